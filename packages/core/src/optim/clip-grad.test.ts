import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { fromArray, randn, zeros } from '../tensor/creation.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { clipGradNorm, clipGradValue } from './clip-grad.js';

/** Parameters with seeded fp32 gradients, and those gradients as f64 numbers. */
async function setup() {
  const backend = createReferenceBackend();
  const shapes = [[5], [3, 4], [7]];
  const params = await Promise.all(shapes.map((s) => zeros(s).realize(backend)));
  const host: number[][] = [];
  for (const [i, p] of params.entries()) {
    // Lazy gradients, as backward leaves them; their values read from a twin on another backend.
    const twin = randn(p.shape, { seed: 10 + i }).mul(1);
    host.push(Array.from(await (await twin.realize(createReferenceBackend())).data()));
    p.grad = randn(p.shape, { seed: 10 + i }).mul(1);
  }
  return { backend, params, host };
}

/** f64 reference: torch's formula evaluated in double precision. */
function reference(host: number[][], maxNorm: number, p: number) {
  const all = host.flat();
  const total =
    p === Number.POSITIVE_INFINITY
      ? Math.max(...all.map(Math.abs))
      : all.reduce((s, x) => s + Math.abs(x) ** p, 0) ** (1 / p);
  const coef = Math.min(1, maxNorm / (total + 1e-6));
  return { total, clipped: host.map((g) => g.map((x) => x * coef)) };
}

const values = async (ts: readonly Tensor[]) =>
  Promise.all(ts.map(async (t) => Array.from(await t.data())));

describe('clipGradNorm', () => {
  it.each([
    [2, 1],
    [2, 100],
    [1, 2],
    [3, 1.5],
    [Number.POSITIVE_INFINITY, 0.5],
  ])(
    'normType %s, maxNorm %s matches the f64 reference; norm + grads realize in ONE run',
    async (p, maxNorm) => {
      const { backend, params, host } = await setup();
      const norm = clipGradNorm(params, maxNorm, { normType: p });
      expect(norm.shape).toEqual([]);
      expect(norm.dtype).toBe('float32');
      const before = backend.stats.runs;
      await realize([norm, ...params.map((q) => q.grad!)], backend);
      expect(backend.stats.runs - before).toBe(1);
      const ref = reference(host, maxNorm, p);
      expect(Math.abs((await norm.item()) - ref.total)).toBeLessThanOrEqual(2e-6 * ref.total);
      const got = await values(params.map((q) => q.grad!));
      got.flat().forEach((x, i) => {
        const e = ref.clipped.flat()[i];
        expect(Math.abs(x - e)).toBeLessThanOrEqual(4e-7 * Math.max(1, Math.abs(e)));
      });
    },
  );

  it('keeps a half gradient in its dtype (scaled in fp32, rounded once)', async () => {
    const backend = createReferenceBackend();
    const q = await zeros([2], { dtype: 'bfloat16' }).realize(backend);
    q.grad = fromArray([3, 4], { dtype: 'bfloat16' });
    const norm = clipGradNorm([q], 1);
    expect(q.grad.dtype).toBe('bfloat16');
    expect(await norm.item()).toBe(5);
    const [a, b] = Array.from(await q.grad.data());
    expect(a).toBeCloseTo(0.6, 2);
    expect(b).toBeCloseTo(0.8, 2);
  });

  it('returns 0 without gradients and leaves parameters without a grad alone', async () => {
    const q = zeros([2]);
    expect(await clipGradNorm([q], 1).item()).toBe(0);
    expect(q.grad).toBeUndefined();
  });

  it('non-finite norm: no error (error_if_nonfinite=False); inf zeroes finite entries', async () => {
    const backend = createReferenceBackend();
    const q = await zeros([3]).realize(backend);
    q.grad = fromArray([Number.POSITIVE_INFINITY, 1, -2]);
    const norm = clipGradNorm([q], 1);
    expect(await norm.item()).toBe(Number.POSITIVE_INFINITY);
    const got = Array.from(await q.grad.data());
    expect(got[0]).toBeNaN();
    expect(got.slice(1)).toEqual([0, -0]);
    q.grad = fromArray([Number.NaN, 1, 2]);
    expect(await clipGradNorm([q], 1).item()).toBeNaN();
    expect(Array.from(await q.grad.data()).every(Number.isNaN)).toBe(true);
  });

  it('rejects a bad normType', () => {
    expect(() => clipGradNorm([], 1, { normType: 0 })).toThrow(
      'clipGradNorm: normType 0; expected a number > 0 or Infinity',
    );
  });
});

describe('clipGradValue', () => {
  it('clamps lazily to [-clip, clip] in the gradient dtype', async () => {
    const backend = createReferenceBackend();
    const q = await zeros([5]).realize(backend);
    q.grad = fromArray([-3, -0.5, 0, 0.25, 7]);
    clipGradValue([q], 1);
    expect(q.grad.isRealized).toBe(false);
    expect(Array.from(await q.grad.data())).toEqual([-1, -0.5, 0, 0.25, 1]);
    expect(() => clipGradValue([q], -1)).toThrow('clipValue -1; expected a number >= 0');
  });
});
