/**
 * Checkpoint directories: `model.safetensors` (every tensor, model and optimizer state under
 * names the caller picks) plus `checkpoint.json` (step, RNG, optimizer/plugin/config state and
 * the tensor file's size and sha256). Data only, written atomically, verified on load.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { Tensor } from '../tensor/tensor.js';
import { checkOptionKeys, describeValue } from '../util/check-option-keys.js';
import { assertJsonData } from './assert-json-data.js';
import { writeFileAtomic } from './atomic-write.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from './safetensors.js';

/** The `format` field of `checkpoint.json`. */
export const CHECKPOINT_FORMAT = 'mixprec-checkpoint';
/** The `checkpoint.json` version this mixprec writes and reads. */
export const CHECKPOINT_VERSION = 1;
const TENSOR_FILE = 'model.safetensors';
const JSON_FILE = 'checkpoint.json';
/** Keys of `checkpoint.json` owned by the format, so metadata may not use them. */
const RESERVED = ['format', 'version', 'files'];

/** JSON-serializable checkpoint state besides tensors; any further keys are kept as given. */
export interface CheckpointMetadata {
  /** Optimizer steps taken. */
  step: number;
  /** RNG state to resume the same random stream. */
  rng?: number[];
  /** Optimizer hyperparameters and scalar state (its tensors go in `tensors`). */
  optimizer?: unknown;
  /** Precision plugin state, e.g. the loss scaler. */
  plugin?: unknown;
  /** The training config the run was started with. */
  config?: unknown;
  /** Package versions that wrote the checkpoint. */
  versions?: Record<string, string>;
  [key: string]: unknown;
}

/** What `saveCheckpoint` writes and `loadCheckpoint` returns. */
export interface CheckpointContents<T = Tensor | SafetensorsTensor> {
  /** All tensors by name; the caller prefixes model and optimizer names to keep them apart. */
  readonly tensors: Record<string, T>;
  readonly metadata: CheckpointMetadata;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function checkStep(step: unknown, context: string): void {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    throw new CheckpointError(
      `${context}: step is ${JSON.stringify(step)}; expected a non-negative integer`,
    );
  }
}

/**
 * Saves a checkpoint into `dir` (created if needed): `model.safetensors` first, then
 * `checkpoint.json` with its size and sha256, each via temp file + fsync + rename. A crash
 * therefore never leaves a JSON naming a half-written tensor file; a crash between the two
 * renames leaves the previous JSON, which `loadCheckpoint` refuses by checksum rather than
 * pairing it with the new tensors. Use one directory per step to keep the previous one loadable.
 * `contents` is `{ tensors, metadata }` (no other key).
 * @throws CheckpointError for an unknown key in `contents`, non-JSON metadata, reserved keys,
 *   bad tensors or a failed write.
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  checkDir('saveCheckpoint', dir);
  const context = `saveCheckpoint(${JSON.stringify(dir)})`;
  checkOptionKeys(context, contents, ['tensors', 'metadata'], {
    noun: 'key',
    subject: 'contents',
    makeError: (message) => new CheckpointError(message),
  });
  const { metadata, tensors } = contents ?? {};
  if (typeof tensors !== 'object' || tensors === null || Array.isArray(tensors)) {
    throw new CheckpointError(
      `${context}: contents.tensors is ${describeValue(tensors)}; expected an object of tensors by name`,
    );
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new CheckpointError(
      `${context}: contents.metadata is ${describeValue(metadata)}; expected an object with at least { step }`,
    );
  }
  checkStep(metadata.step, context);
  for (const key of RESERVED) {
    if (Object.hasOwn(metadata, key)) {
      throw new CheckpointError(
        `${context}: metadata key '${key}' is reserved by the checkpoint format; rename it`,
      );
    }
  }
  assertJsonData(metadata, 'metadata', context);
  const stored: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const entry = t instanceof Tensor ? { dtype: t.dtype, shape: t.shape, data: await t.raw() } : t;
    Object.defineProperty(stored, name, { value: entry, enumerable: true });
  }
  // Encode (and so validate) everything before touching the directory.
  const bytes = encodeSafetensors(stored);
  const json = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...metadata,
    files: { [TENSOR_FILE]: { sha256: sha256(bytes), bytes: bytes.length } },
  };
  const text = `${JSON.stringify(json, null, 2)}\n`;
  await write(context, dir, null);
  await write(context, join(dir, TENSOR_FILE), bytes);
  await write(context, join(dir, JSON_FILE), text);
}

function checkDir(where: string, dir: unknown): void {
  if (typeof dir !== 'string' || dir === '') {
    throw new CheckpointError(
      `${where}: dir is ${describeValue(dir)}; expected the checkpoint directory's path`,
    );
  }
}

async function write(context: string, path: string, data: Uint8Array | string | null) {
  try {
    if (data === null) await mkdir(path, { recursive: true });
    else await writeFileAtomic(path, data);
  } catch (error) {
    throw new CheckpointError(`${context}: writing ${path} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function readOrRefuse(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? `not found; ${what}` : (error as Error).message;
    throw new CheckpointError(`${path}: ${problem}`, { cause: error });
  }
}

/**
 * Loads a checkpoint written by `saveCheckpoint`: checks `checkpoint.json` (present, JSON,
 * format and version), then the tensor file's size and sha256, then decodes it.
 * Returns the tensors as host storage (pass to `fromArray`) and the metadata without the
 * format's own keys.
 * @throws CheckpointError naming the file and the problem (missing, corrupt, mismatched).
 */
export async function loadCheckpoint(dir: string): Promise<CheckpointContents<SafetensorsTensor>> {
  checkDir('loadCheckpoint', dir);
  const jsonPath = join(dir, JSON_FILE);
  const text = (
    await readOrRefuse(jsonPath, 'expected a checkpoint directory written by saveCheckpoint')
  ).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`${jsonPath}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(`${jsonPath}: holds ${text.slice(0, 20)}; expected a JSON object`);
  }
  const { format, version, files, ...metadata } = json as Record<string, unknown>;
  if (format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `${jsonPath}: format is ${JSON.stringify(format)}; expected '${CHECKPOINT_FORMAT}'`,
    );
  }
  if (version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `${jsonPath}: version ${JSON.stringify(version)} is not supported; this mixprec reads version ${CHECKPOINT_VERSION} (a newer mixprec wrote it? upgrade mixprec)`,
    );
  }
  checkStep(metadata.step, jsonPath);
  const listed = (files as Record<string, { sha256?: unknown; bytes?: unknown }> | undefined)?.[
    TENSOR_FILE
  ];
  if (
    typeof listed?.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(listed.sha256) ||
    !Number.isSafeInteger(listed.bytes)
  ) {
    throw new CheckpointError(
      `${jsonPath}: files['${TENSOR_FILE}'] is ${JSON.stringify(listed)}; expected { sha256: <64 hex digits>, bytes: <integer> }`,
    );
  }
  const tensorPath = join(dir, TENSOR_FILE);
  const bytes = await readOrRefuse(
    tensorPath,
    `${JSON_FILE} lists it, so the checkpoint is incomplete`,
  );
  if (bytes.length !== listed.bytes) {
    throw new CheckpointError(
      `${tensorPath}: size mismatch: expected ${listed.bytes} bytes (from ${JSON_FILE}), got ${bytes.length}; the file is truncated or was replaced`,
    );
  }
  const actual = sha256(bytes);
  if (actual !== listed.sha256) {
    throw new CheckpointError(
      `${tensorPath}: checksum mismatch: expected sha256 ${listed.sha256}, got ${actual}; the file is corrupt or belongs to another ${JSON_FILE}`,
    );
  }
  const { tensors } = decodeSafetensors(bytes, tensorPath);
  return { tensors, metadata: metadata as CheckpointMetadata };
}
