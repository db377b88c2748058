import { UsageError } from '../usage-error.js';

/** Everything that defines a `mixt train` run; stored in the checkpoint and metrics. */
export interface TrainConfig {
  readonly task: 'builtin-audio';
  readonly precision: string;
  readonly backend: string;
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly warmupSteps: number;
  readonly seed: number;
  readonly trainSize: number;
  readonly valSize: number;
  readonly valInterval: number;
}

/** The defaults: reach >= 90% validation accuracy on the built-in task in a few CPU minutes. */
export const TRAIN_DEFAULTS: TrainConfig = {
  task: 'builtin-audio',
  precision: '32-true',
  backend: 'auto',
  steps: 450,
  batchSize: 32,
  lr: 3e-3,
  weightDecay: 0.01,
  warmupSteps: 20,
  seed: 0,
  trainSize: 4096,
  valSize: 576,
  valInterval: 100,
};

/** Precisions `mixt train` runs today; the others arrive with the precision plugins (issue 4). */
export const AVAILABLE_PRECISIONS = ['32-true'] as const;
const PLANNED_PRECISIONS = [
  '64-true',
  '16-mixed',
  'bf16-mixed',
  '16-true',
  'fp16-true',
  'bf16-true',
  'fp16-flash',
  'bf16-flash',
];
const PRECISION_ALIASES: Readonly<Record<string, string>> = { '32': '32-true' };

/** Parses `--precision`: `32-true` (alias `32`) now; named modes of issue 4 get a clear "not yet". */
export function parsePrecision(value: string): string {
  const resolved = PRECISION_ALIASES[value] ?? value;
  if ((AVAILABLE_PRECISIONS as readonly string[]).includes(resolved)) return resolved;
  if (PLANNED_PRECISIONS.includes(resolved)) {
    throw new UsageError(
      `mixt train: --precision '${value}' is not available yet (precision plugins arrive with issue 4); available now: ${AVAILABLE_PRECISIONS.join(', ')}`,
    );
  }
  throw new UsageError(
    `mixt train: --precision '${value}' is not a precision; expected one of ${[...AVAILABLE_PRECISIONS, ...PLANNED_PRECISIONS].join(', ')}`,
  );
}

/** Parses a flag value as a number within bounds, or throws a `UsageError` naming flag and value. */
export function parseNumberFlag(
  flag: string,
  value: string,
  options: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean },
): number {
  const n = Number(value);
  const {
    integer = false,
    min = Number.NEGATIVE_INFINITY,
    max = Number.POSITIVE_INFINITY,
  } = options;
  const tooSmall = options.exclusiveMin ? n <= min : n < min;
  if (
    value.trim() === '' ||
    !Number.isFinite(n) ||
    (integer && !Number.isInteger(n)) ||
    tooSmall ||
    n > max
  ) {
    const kind = integer ? 'an integer' : 'a number';
    const range = `${options.exclusiveMin ? '>' : '>='} ${min}${max < Number.POSITIVE_INFINITY ? ` and <= ${max}` : ''}`;
    throw new UsageError(`mixt train: --${flag} '${value}'; expected ${kind} ${range}`);
  }
  return n;
}
