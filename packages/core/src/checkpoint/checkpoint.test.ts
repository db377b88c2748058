import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { fromArray } from '../tensor/creation.js';
import { checkTensorsMatch } from './check-tensors-match.js';
import { type CheckpointMetadata, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

// Failure injection: the next rename onto a path matching `failRename.target` throws, as a
// crash or a full disk would between writing a temp file and publishing it.
const failRename = vi.hoisted(() => ({ target: undefined as string | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof actual.rename = async (from, to) => {
    if (failRename.target !== undefined && String(to).endsWith(failRename.target)) {
      failRename.target = undefined;
      throw Object.assign(new Error('EIO: simulated failure, rename'), { code: 'EIO' });
    }
    return actual.rename(from, to);
  };
  return { ...actual, rename };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mixprec-checkpoint-'));
});
afterEach(async () => {
  failRename.target = undefined;
  await rm(dir, { recursive: true, force: true });
});

const META: CheckpointMetadata = {
  step: 12,
  rng: [1, 2, 3, 4],
  optimizer: { name: 'adamw', lr: 1e-3, betas: [0.9, 0.999] },
  plugin: { lossScale: 65536, growthTracker: 3 },
  versions: { '@mixprec/core': '0.1.0' },
  note: 'extra keys are kept',
};

async function save(step = 12, value = 1.5): Promise<void> {
  await saveCheckpoint(dir, {
    tensors: {
      'model.0.weight': fromArray(new Float32Array([value, -0, 2, 3]), { shape: [2, 2] }),
      'model.0.bias': fromArray(new Uint16Array([0x3fc0, 0x8000]), { dtype: 'bfloat16' }),
      'optim.0.weight.m': { dtype: 'float16', shape: [], data: new Uint16Array([0x7e01]) },
    },
    metadata: { ...META, step },
  });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(CheckpointError.isInstance(error)).toBe(true);
  return (error as Error).message;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const modelPath = () => join(dir, 'model.safetensors');
const jsonPath = () => join(dir, 'checkpoint.json');

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips tensors bit for bit and the metadata', async () => {
    await save();
    const { tensors, metadata } = await loadCheckpoint(dir);
    expect(metadata).toEqual(META);
    const w = tensors['model.0.weight'];
    expect(w).toMatchObject({ dtype: 'float32', shape: [2, 2] });
    expect(Array.from(w.data)).toEqual([1.5, -0, 2, 3]);
    expect(Object.is(w.data[1], -0)).toBe(true);
    expect(tensors['model.0.bias']).toMatchObject({ dtype: 'bfloat16', shape: [2] });
    expect(Array.from(tensors['model.0.bias'].data)).toEqual([0x3fc0, 0x8000]);
    expect(Array.from(tensors['optim.0.weight.m'].data)).toEqual([0x7e01]); // NaN payload
  });

  it('writes exactly two files; the JSON records the size and sha256 of the tensor file', async () => {
    await save();
    expect((await readdir(dir)).sort()).toEqual(['checkpoint.json', 'model.safetensors']);
    const bytes = await readFile(modelPath());
    const json = JSON.parse(await readFile(jsonPath(), 'utf8'));
    expect(json).toEqual({
      format: 'mixprec-checkpoint',
      version: 1,
      ...META,
      files: { 'model.safetensors': { sha256: sha256(bytes), bytes: bytes.length } },
    });
  });

  it('overwrites a previous checkpoint in place', async () => {
    await save(1, 1);
    await save(2, 7);
    const { tensors, metadata } = await loadCheckpoint(dir);
    expect(metadata.step).toBe(2);
    expect(tensors['model.0.weight'].data[0]).toBe(7);
    expect((await readdir(dir)).length).toBe(2);
  });
});

describe('loadCheckpoint refuses, naming the file and the problem', () => {
  beforeEach(() => save());

  it('a flipped byte in the tensor data (checksum)', async () => {
    const bytes = await readFile(modelPath());
    const expected = sha256(bytes);
    bytes[bytes.length - 1] ^= 0x10;
    await writeFile(modelPath(), bytes);
    const message = await refusal(loadCheckpoint(dir));
    expect(message).toBe(
      `${modelPath()}: checksum mismatch: expected sha256 ${expected}, got ${sha256(bytes)}; the file is corrupt or belongs to another checkpoint.json`,
    );
  });

  it('a truncated tensor file (size)', async () => {
    const bytes = await readFile(modelPath());
    await writeFile(modelPath(), bytes.subarray(0, 100));
    expect(await refusal(loadCheckpoint(dir))).toBe(
      `${modelPath()}: size mismatch: expected ${bytes.length} bytes (from checkpoint.json), got 100; the file is truncated or was replaced`,
    );
  });

  it('a corrupt tensor file whose checksum was updated to match (decoder)', async () => {
    const bytes = await readFile(modelPath());
    bytes[3] = 0x7f; // header length now runs far past the file
    const json = JSON.parse(await readFile(jsonPath(), 'utf8'));
    json.files['model.safetensors'].sha256 = sha256(bytes);
    await writeFile(jsonPath(), JSON.stringify(json));
    await writeFile(modelPath(), bytes);
    expect(await refusal(loadCheckpoint(dir))).toMatch(
      new RegExp(`^${modelPath()}: header length \\d+ runs past the end of the file`),
    );
  });

  it.each([
    ['a missing JSON', null, /checkpoint\.json: not found; expected a checkpoint directory/],
    ['JSON garbage', '{"format": ', /checkpoint\.json: not valid JSON/],
    ['a JSON array', '[]', /checkpoint\.json: holds \[\]; expected a JSON object/],
    [
      'another format',
      { format: 'other' },
      /checkpoint\.json: format is "other"; expected 'mixprec-checkpoint'/,
    ],
    [
      'a newer version',
      { version: 2 },
      /checkpoint\.json: version 2 is not supported; this mixprec reads version 1/,
    ],
    [
      'a missing step',
      { step: undefined },
      /checkpoint\.json: step is undefined; expected a non-negative integer/,
    ],
    [
      'a bad files entry',
      { files: {} },
      /checkpoint\.json: files\['model\.safetensors'\] is undefined; expected \{ sha256/,
    ],
  ])('%s', async (_what, edit, message) => {
    if (edit === null) {
      await rm(jsonPath());
    } else if (typeof edit === 'string') {
      await writeFile(jsonPath(), edit);
    } else {
      const json = { ...JSON.parse(await readFile(jsonPath(), 'utf8')), ...edit };
      await writeFile(jsonPath(), JSON.stringify(json));
    }
    const text = await refusal(loadCheckpoint(dir));
    expect(text.startsWith(`${jsonPath()}: `)).toBe(true);
    expect(text).toMatch(message);
  });

  it('a missing tensor file', async () => {
    await rm(modelPath());
    expect(await refusal(loadCheckpoint(dir))).toBe(
      `${modelPath()}: not found; checkpoint.json lists it, so the checkpoint is incomplete`,
    );
  });
});

describe('atomic writes', () => {
  beforeEach(() => save(1, 1));

  const expectOldCheckpoint = async () => {
    expect((await readdir(dir)).sort()).toEqual(['checkpoint.json', 'model.safetensors']);
    const { tensors, metadata } = await loadCheckpoint(dir);
    expect(metadata.step).toBe(1);
    expect(tensors['model.0.weight'].data[0]).toBe(1);
  };

  it('a save that fails validation leaves the previous checkpoint intact', async () => {
    const bad = saveCheckpoint(dir, {
      tensors: { x: { dtype: 'float32', shape: [3], data: new Float32Array(2) } },
      metadata: { step: 2 },
    });
    expect(await refusal(bad)).toMatch(/tensor 'x': data has 2 elements; shape \[3\] needs 3/);
    await expectOldCheckpoint();
  });

  it('a failure publishing the tensor file removes its temp file and keeps the old checkpoint', async () => {
    failRename.target = 'model.safetensors';
    expect(await refusal(save(2, 7))).toMatch(
      /writing .*model\.safetensors failed: EIO: simulated/,
    );
    await expectOldCheckpoint();
  });

  it('a failure between the two renames is refused on load, never paired silently', async () => {
    failRename.target = 'checkpoint.json';
    expect(await refusal(save(2, 7))).toMatch(/writing .*checkpoint\.json failed/);
    expect((await readdir(dir)).sort()).toEqual(['checkpoint.json', 'model.safetensors']);
    expect(await refusal(loadCheckpoint(dir))).toMatch(
      /model\.safetensors: size mismatch|checksum mismatch/,
    );
  });
});

describe('saveCheckpoint refuses metadata that JSON would lose', () => {
  it.each([
    [
      'NaN',
      { step: 1, plugin: { scale: Number.NaN } },
      /metadata\.plugin\.scale is NaN; expected JSON data/,
    ],
    [
      'a typed array',
      { step: 1, optimizer: { m: new Float32Array(2) } },
      /metadata\.optimizer\.m is a Float32Array; expected JSON data.*contents\.tensors/,
    ],
    ['undefined in an array', { step: 1, rng: [1, undefined] }, /metadata\.rng\[1\] is undefined/],
    [
      'a reserved key',
      { step: 1, files: 'x' },
      /metadata key 'files' is reserved by the checkpoint format/,
    ],
    ['a fractional step', { step: 1.5 }, /step is 1\.5; expected a non-negative integer/],
  ])('%s', async (_what, metadata, message) => {
    const text = await refusal(
      saveCheckpoint(dir, { tensors: {}, metadata: metadata as CheckpointMetadata }),
    );
    expect(text.startsWith(`saveCheckpoint(${JSON.stringify(dir)}): `)).toBe(true);
    expect(text).toMatch(message);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('checkTensorsMatch', () => {
  const model = {
    '0.weight': { dtype: 'float32', shape: [32, 64] },
    '0.bias': { dtype: 'float32', shape: [32] },
    '1.weight': { dtype: 'float32', shape: [8, 32] },
  } as const;

  it('accepts an exact match', () => {
    expect(() => checkTensorsMatch(model, { ...model }, 'ckpt/model.safetensors')).not.toThrow();
  });

  it('lists missing and unexpected keys and every mismatch', () => {
    const got = {
      '0.weight': { dtype: 'float32', shape: [64, 32] },
      '0.bias': { dtype: 'bfloat16', shape: [32] },
      extra: { dtype: 'int32', shape: [] },
    } as const;
    expect(() => checkTensorsMatch(model, got, 'ckpt/model.safetensors')).toThrow(
      new CheckpointError(
        "ckpt/model.safetensors: the checkpoint does not match the model: missing 1 key that the model has: '1.weight'; 1 unexpected key that the model lacks: 'extra'; 2 mismatches: '0.weight': shape [64,32] in the checkpoint, [32,64] in the model; '0.bias': dtype bfloat16 in the checkpoint, float32 in the model. Load it into the model it was saved from, or convert it first",
      ),
    );
  });

  it('names the expected side and cuts long lists', () => {
    expect(() =>
      checkTensorsMatch(model, {}, 'f', { expectedIn: 'the optimizer', maxListed: 1 }),
    ).toThrow("missing 3 keys that the optimizer has: '0.weight', … and 2 more");
  });

  it('compares a loaded checkpoint with live tensors', async () => {
    await save();
    const { tensors } = await loadCheckpoint(dir);
    const live = {
      'model.0.weight': fromArray(new Float32Array(4), { shape: [4, 1] }),
      'model.0.bias': fromArray(new Uint16Array(2), { dtype: 'bfloat16' }),
      'optim.0.weight.m': fromArray(new Uint16Array(1), { dtype: 'float16', shape: [] }),
    };
    expect(() => checkTensorsMatch(live, tensors, modelPath())).toThrow(
      `${modelPath()}: the checkpoint does not match the model: 1 mismatch: 'model.0.weight': shape [2,2] in the checkpoint, [4,1] in the model.`,
    );
    const fixed = { ...live, 'model.0.weight': live['model.0.weight'].reshape([2, 2]) };
    expect(() => checkTensorsMatch(fixed, tensors, modelPath())).not.toThrow();
  });
});
