import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { countingRuns } from '../conformance/counting-runs.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { graphCacheStats } from '../graph/lower-graph.js';
import { arange, fromArray, full, ones, rand, randn, zeros } from './creation.js';
import { withDefaultDtype } from './default-dtype.js';
import { concat } from './shape-ops.js';
import { realize } from './tensor.js';

describe('lazy tensors', () => {
  it('records without running; data() runs the whole graph once', async () => {
    const { backend, runs } = countingRuns(createReferenceBackend());
    const x = fromArray([
      [1, 2],
      [3, 4],
    ]);
    const y = x.mul(2).add(1).relu().sum(1);
    expect(runs()).toBe(0);
    expect(y.shape).toEqual([2]);
    await y.realize(backend);
    expect(runs()).toBe(1);
    expect(Array.from(await y.data())).toEqual([8, 16]);
  });

  it('a shape mismatch throws where the op is recorded, naming both shapes', () => {
    const a = zeros([2, 3]);
    const b = zeros([4]);
    expect(() => a.add(b)).toThrow(ShapeMismatchError);
    expect(() => a.add(b)).toThrow(/\[2,3\] and \[4\]/);
    expect(() => a.matmul(zeros([2, 3]))).toThrow(/inner dims differ/);
  });

  it('a loop with the same structure compiles once', async () => {
    const backend = createReferenceBackend();
    const before = graphCacheStats().misses;
    for (let i = 0; i < 5; i++) {
      const w = fromArray([i, i + 1, i + 2, i + 3], { shape: [2, 2] });
      await w.matmul(w).softmax().sum().realize(backend);
    }
    expect(graphCacheStats().misses - before).toBe(1);
  });

  it('realize() of several tensors is one backend run', async () => {
    const { backend, runs } = countingRuns(createReferenceBackend());
    const x = rand([3, 3], { seed: 1 });
    const a = x.exp();
    const b = x.log();
    const c = a.add(b);
    await realize([a, b, c], backend);
    expect(runs()).toBe(1);
  });

  it('weak scalars keep the dtype; mixed tensors promote', () => {
    const h = ones([2], { dtype: 'bfloat16' });
    expect(h.mul(2).dtype).toBe('bfloat16');
    expect(h.add(ones([2])).dtype).toBe('float32');
    expect(h.add(ones([2], { dtype: 'float16' })).dtype).toBe('float32');
    expect(arange(4).dtype).toBe('int32');
    expect(arange(4).div(2).dtype).toBe('float32');
    expect(arange(4).lt(2).dtype).toBe('bool');
  });

  it('half tensors round on creation and read back widened', async () => {
    const t = fromArray([1 + 2 ** -11, 65520, -0], { dtype: 'float16' });
    expect(Array.from(await t.data())).toEqual([1, Number.POSITIVE_INFINITY, -0]);
    const raw = (await t.raw()) as Uint16Array;
    expect(Array.from(raw)).toEqual([0x3c00, 0x7c00, 0x8000]);
    const b = fromArray([1 + 2 ** -8 + 2 ** -20], { dtype: 'bfloat16' });
    expect(Array.from(await b.data())).toEqual([1 + 2 ** -7]);
  });

  it('the default dtype context applies to float creators', () => {
    const t = withDefaultDtype('bfloat16', () => zeros([2]));
    expect(t.dtype).toBe('bfloat16');
    expect(zeros([2]).dtype).toBe('float32');
  });

  it('seeded random tensors are reproducible', async () => {
    const a = Array.from(await randn([1000], { seed: 42 }).data());
    const b = await randn([1000], { seed: 42 }).data();
    const c = await randn([1000], { seed: 43 }).data();
    expect(a).toEqual(Array.from(b));
    expect(a).not.toEqual(Array.from(c));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.15);
    const u = await rand([1000], { seed: 7 }).data();
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('shape helpers: reshape(-1), transpose, slice with negatives, concat, gather', async () => {
    const x = arange(12).reshape([3, -1]);
    expect(x.shape).toEqual([3, 4]);
    expect(await x.transpose().array()).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
    expect(await x.slice([-2, 1], [undefined as unknown as number, -1]).array()).toEqual([
      [5, 6],
      [9, 10],
    ]);
    expect(await concat([x.slice([0], [1]), full([1, 4], 7, { dtype: 'int32' })]).array()).toEqual([
      [0, 1, 2, 3],
      [7, 7, 7, 7],
    ]);
    expect(await x.gather(fromArray(new Int32Array([2, 0])), 0).array()).toEqual([
      [8, 9, 10, 11],
      [0, 1, 2, 3],
    ]);
  });

  it('dispose frees backend memory; a disposed tensor cannot be used', async () => {
    const backend = createReferenceBackend();
    const start = backend.memory().bytes;
    const t = await ones([256], { dtype: 'bfloat16' }).realize(backend);
    expect(backend.memory().bytes - start).toBe(512);
    t.dispose();
    expect(backend.memory().bytes).toBe(start);
    await expect(t.data()).rejects.toThrow(/was disposed/);
  });

  it('refuses to mix tensors that live on different backends', async () => {
    const a = await ones([2]).realize(createReferenceBackend());
    const b = await ones([2]).realize(createReferenceBackend());
    await expect(a.add(b).data()).rejects.toThrow(
      /lives on backend 'reference' but this graph runs on 'reference'|expected all inputs on one backend/,
    );
  });
});
