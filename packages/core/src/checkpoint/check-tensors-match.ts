/**
 * Compares the tensors a loader expects with those a checkpoint holds, and reports every
 * difference at once: fixing one key per run of a long training job is slow.
 */
import type { DType } from '../dtype/dtypes.js';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { formatShape } from '../graph/graph.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';

/** What `checkTensorsMatch` compares: a tensor, a stored tensor, or just its signature. */
export interface TensorSignature {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Options of `checkTensorsMatch`. */
export interface CheckTensorsMatchOptions {
  /** How messages name the expected side (default `'the model'`; e.g. `'the optimizer'`). */
  readonly expectedIn?: string;
  /** Longest list of names per kind of problem before it is cut to "… and N more". */
  readonly maxListed?: number;
}

const CHECK_TENSORS_MATCH_OPTIONS = optionSpec<CheckTensorsMatchOptions>({
  expectedIn: 'string',
  maxListed: 'integer',
});

function list(names: string[], max: number): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`);
  if (names.length > max) shown.push(`… and ${names.length - max} more`);
  return shown.join(', ');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Throws unless `got` (from the checkpoint `file`) has exactly the names of `expected`, each with
 * the same dtype and shape. The message lists missing keys, unexpected keys and every mismatch,
 * e.g. `'0.weight': shape [64,32] in the checkpoint, [32,64] in the model`.
 * @throws CheckpointError naming the file and every difference.
 */
export function checkTensorsMatch(
  expected: Readonly<Record<string, TensorSignature>>,
  got: Readonly<Record<string, TensorSignature>>,
  file: string,
  options: CheckTensorsMatchOptions = {},
): void {
  options = checkOptions('checkTensorsMatch', options, CHECK_TENSORS_MATCH_OPTIONS);
  const where = options.expectedIn ?? 'the model';
  const max = options.maxListed ?? 20;
  const missing = Object.keys(expected).filter((k) => !Object.hasOwn(got, k));
  const unexpected = Object.keys(got).filter((k) => !Object.hasOwn(expected, k));
  const mismatches: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    if (!Object.hasOwn(got, name)) continue;
    const have = got[name];
    if (have.dtype !== want.dtype) {
      mismatches.push(
        `'${name}': dtype ${have.dtype} in the checkpoint, ${want.dtype} in ${where}`,
      );
    }
    if (formatShape(have.shape) !== formatShape(want.shape)) {
      mismatches.push(
        `'${name}': shape ${formatShape(have.shape)} in the checkpoint, ${formatShape(want.shape)} in ${where}`,
      );
    }
  }
  if (missing.length + unexpected.length + mismatches.length === 0) return;
  const parts: string[] = [];
  if (missing.length > 0) {
    parts.push(`missing ${plural(missing.length, 'key')} that ${where} has: ${list(missing, max)}`);
  }
  if (unexpected.length > 0) {
    parts.push(
      `${plural(unexpected.length, 'unexpected key')} that ${where} lacks: ${list(unexpected, max)}`,
    );
  }
  if (mismatches.length > 0) {
    const shown = mismatches.slice(0, max);
    if (mismatches.length > max) shown.push(`… and ${mismatches.length - max} more`);
    parts.push(`${plural(mismatches.length, 'mismatch', 'mismatches')}: ${shown.join('; ')}`);
  }
  throw new CheckpointError(
    `${file}: the checkpoint does not match ${where}: ${parts.join('; ')}. Load it into the model it was saved from, or convert it first`,
  );
}
