import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend/backend.js';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import {
  droppedHalfRounding,
  halfAccumulatingMatmul,
  lyingCapabilities,
  stickyMemory,
  truncatingBf16Cast,
} from './__fixtures__/broken-backends.js';
import {
  type ConformanceResult,
  defaultVectorsDir,
  describeConformance,
  listConformanceCases,
  runConformance,
  summarizeConformance,
} from './index.js';

// The whole suite on the reference backend, as a backend package would run it.
await describeConformance({ createBackend: () => createReferenceBackend() });

const failing = (results: readonly ConformanceResult[]) =>
  results.filter((r) => r.status === 'fail').map((r) => r.id);

async function run(createBackend: () => Backend, only?: string[], vectorsDir?: string) {
  return runConformance({ createBackend, only, vectorsDir });
}

describe('runConformance on a second, independently generated vectors directory', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mixprec-vectors-'));
    const script = fileURLToPath(new URL('../../../../scripts/gen-vectors.mjs', import.meta.url));
    execFileSync(process.execPath, [script, dir, '--seed', '7']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes every case and reads the generated files, not the shipped ones', async () => {
    const results = await run(() => createReferenceBackend(), ['casts', 'matmul'], dir);
    expect(failing(results)).toEqual([]);
    const casts = JSON.parse(readFileSync(join(dir, 'casts.json'), 'utf8')) as { cases: unknown[] };
    const f32ToBf16 = results.find((r) => r.id === 'cast/f32→bf16');
    expect(f32ToBf16?.detail).toContain(`${casts.cases.length} float32→bfloat16`);
    expect(casts.cases.length).toBeLessThan(400);
    expect(results.find((r) => r.id === 'matmul/bf16')?.detail).toMatch(/^4 bf16 products/);
  });
});

describe('the suite can fail', () => {
  it('fails cast/f32→bf16 when bf16 casts truncate instead of rounding', async () => {
    const results = await run(truncatingBf16Cast, ['cast/', 'dtype/']);
    expect(failing(results)).toEqual(['cast/f32→bf16']);
    const detail = results.find((r) => r.id === 'cast/f32→bf16')?.detail ?? '';
    expect(detail).toMatch(
      /primitive \[\d+\] float32 0x[0-9a-f]{8}.* got 0x[0-9a-f]{4} expected 0x[0-9a-f]{4}/,
    );
  });

  it('fails the half matmul cases when matmul accumulates in the half dtype', async () => {
    const results = await run(halfAccumulatingMatmul, ['matmul']);
    // The broken primitive only handles 2-D operands, so batched and per-batch results differ too.
    expect(failing(results)).toEqual(['matmul/bf16', 'matmul/fp16', 'matmul/batched']);
    expect(results.find((r) => r.id === 'matmul/bf16')?.detail).toMatch(
      /\d+ mismatches; first: primitive random .* \[\d+\] got .* expected /,
    );
  });

  it('fails the memory group when memory() never decreases', async () => {
    const results = await run(stickyMemory, ['memory']);
    expect(failing(results)).toEqual(results.map((r) => r.id));
    // The group's first case sees a fresh backend: the upload is counted, the free is not.
    expect(results[0].id).toBe('memory/bytes/float32');
    expect(results[0].detail).toContain('after free: memory().bytes changed by 4000; expected 0');
  });

  it('fails dtype/int8 when an "unsupported" dtype uploads without an error, and skips what needs it', async () => {
    const results = await run(lyingCapabilities, ['dtype/int8', 'memory/bytes/int8']);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['dtype/int8', 'fail'],
      ['memory/bytes/int8', 'skip'],
    ]);
    expect(results[0].detail).toContain('upload succeeded; expected an UnsupportedDtypeError');
  });

  it('fails the half chains when half graphs run in fp32 and round only at the outputs', async () => {
    const results = await run(droppedHalfRounding, ['op/']);
    expect(failing(results)).toEqual(['op/chain/bf16', 'op/chain/fp16']);
    expect(results.find((r) => r.id === 'op/chain/bf16')?.detail).toContain(
      '(a + b) - a [0] input (1 (0x3f80), 0.001953125 (0x3b00)) got 0.001953125',
    );
  });
});

describe('vector files', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'mixprec-bad-vectors-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('defaults to the vectors shipped in the package', () => {
    expect(defaultVectorsDir()).toBe(
      fileURLToPath(new URL('../../vectors', import.meta.url)).replace(/\/$/, ''),
    );
  });

  it('fails (never skips) the cases that need a missing file, naming it', async () => {
    const dir = tempDir();
    const results = await run(() => createReferenceBackend(), ['casts', 'matmul'], dir);
    const needFiles = results.filter(
      (r) => r.id.startsWith('cast/') || /^matmul\/(bf16|fp16|f32)$/.test(r.id),
    );
    expect(needFiles.length).toBe(8);
    for (const r of needFiles) {
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/vectors file .*(casts|matmul)\.json could not be read \(ENOENT\)/);
    }
    expect(
      results
        .filter((r) => r.id.startsWith('dtype/') || r.id === 'matmul/batched')
        .every((r) => r.status === 'pass'),
    ).toBe(true);
  });

  it('fails with the file and field when a file is malformed', async () => {
    const dir = tempDir();
    const casts = JSON.parse(readFileSync(join(defaultVectorsDir(), 'casts.json'), 'utf8'));
    casts.cases[3].bf16 = 'xyz';
    writeFileSync(join(dir, 'casts.json'), JSON.stringify(casts));
    writeFileSync(join(dir, 'matmul.json'), '{"cases": [');
    const results = await run(
      () => createReferenceBackend(),
      ['cast/f32→fp16', 'matmul/fp16'],
      dir,
    );
    expect(results.map((r) => r.status)).toEqual(['fail', 'fail']);
    expect(results[0].detail).toContain(
      `${join(dir, 'casts.json')}: cases[3].bf16 is "xyz"; expected 4 hex digits`,
    );
    expect(results[1].detail).toMatch(/matmul\.json is not valid JSON/);
  });
});

describe('training runs (b) and (c) hold the tolerances of the file', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mixprec-training-vectors-'));
    const file = JSON.parse(readFileSync(join(defaultVectorsDir(), 'mlp_training.json'), 'utf8'));
    const scaleBits = (hex: string, by: number) => {
      const f = new Float32Array([
        new Float32Array(new Uint32Array([Number.parseInt(hex, 16)]).buffer)[0] * by,
      ]);
      return new Uint32Array(f.buffer)[0].toString(16).padStart(8, '0');
    };
    const byRun = (name: string) => file.cases.find((c: { run: string }) => c.run === name);
    const trueLosses = byRun('bf16_true').loss_f32;
    trueLosses[3] = scaleBits(trueLosses[3], 1.03);
    const mixedLosses = byRun('bf16_mixed').loss_f32;
    mixedLosses[29] = scaleBits(mixedLosses[29], 1.06);
    writeFileSync(join(dir, 'mlp_training.json'), JSON.stringify(file));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails a 3% loss difference within 10 steps and a 6% final difference, naming the step', async () => {
    const results = await run(() => createReferenceBackend(), ['train/mlp-bf16'], dir);
    expect(failing(results)).toEqual(['train/mlp-bf16-mixed', 'train/mlp-bf16-true']);
    expect(results.find((r) => r.id === 'train/mlp-bf16-true')?.detail).toMatch(
      /step 3 loss got .* \(rel 2\.9\de-2 > 2e-2\)/,
    );
    expect(results.find((r) => r.id === 'train/mlp-bf16-mixed')?.detail).toMatch(
      /final loss \(step 29\) got .* \(rel 5\.\d+e-2 > 5%\)/,
    );
  });
});

describe('selection and summary', () => {
  it('selects by group and id prefix, and rejects prefixes that match nothing', () => {
    expect(listConformanceCases(['graph']).map((c) => c.id)).toEqual([
      'graph/compile-once',
      'graph/one-run-per-realize',
      'graph/distinct-constants',
    ]);
    expect(listConformanceCases(['op/add/']).map((c) => c.id)).toEqual([
      'op/add/bf16',
      'op/add/fp16',
      'op/add/f32',
      'op/add/f64',
    ]);
    expect(() => listConformanceCases(['op/nope'])).toThrow(
      /'only' entries \["op\/nope"\] match no case/,
    );
  });

  it('counts pass / fail / skip per group', () => {
    const rows: ConformanceResult[] = [
      { id: 'cast/widen', group: 'casts', status: 'pass', detail: '' },
      { id: 'dtype/int8', group: 'casts', status: 'fail', detail: '' },
      { id: 'memory/bytes/int8', group: 'memory', status: 'skip', detail: '' },
    ];
    expect(summarizeConformance(rows)).toEqual([
      { group: 'casts', pass: 1, fail: 1, skip: 0 },
      { group: 'memory', pass: 0, fail: 0, skip: 1 },
    ]);
  });

  it('fails every case of a group whose backend cannot be created', async () => {
    const results = await run(() => {
      throw new Error('no device');
    }, ['graph']);
    expect(results.map((r) => r.status)).toEqual(['fail', 'fail', 'fail']);
    expect(results[0].detail).toBe('Error: createBackend failed: Error: no device');
  });
});
