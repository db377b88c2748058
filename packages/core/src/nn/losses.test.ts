import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../backend/default-registry.js';
import { DtypeError } from '../errors/dtype-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { fromArray, randn } from '../tensor/creation.js';
import { expectClose, values } from './__fixtures__/expect-close.js';
import { bceWithLogits, crossEntropy, mse, type Reduction } from './losses.js';

beforeAll(async () => {
  await setBackend('reference');
});

/** torch's formula in f64: per row (1-ε)·(-log p_y) + ε·mean_c(-log p_c), 0 when ignored. */
function crossEntropyRef(
  logits: number[],
  labels: number[],
  c: number,
  ignoreIndex: number,
  eps: number,
  reduction: Reduction,
): number[] {
  const rows = labels.map((y, r) => {
    if (y === ignoreIndex) return 0;
    const row = logits.slice(r * c, r * c + c);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    const logp = row.map((v) => v - lse);
    const smooth = -logp.reduce((a, v) => a + v, 0) / c;
    return (1 - eps) * -logp[y] + eps * smooth;
  });
  if (reduction === 'none') return rows;
  const sum = rows.reduce((a, v) => a + v, 0);
  if (reduction === 'sum') return [sum];
  return [sum / labels.filter((y) => y !== ignoreIndex).length];
}

describe('crossEntropy', () => {
  it('uniform logits give ln C (hand-computed)', async () => {
    const loss = crossEntropy(fromArray([[0, 0, 0, 0]]), fromArray(new Int32Array([3])));
    expect(loss.shape).toEqual([]);
    expect(await loss.item()).toBeCloseTo(Math.log(4), 6);
  });

  const N = 6;
  const C = 5;
  const labelsList = [4, -100, 0, 2, 2, 1];
  it.each([
    { eps: 0, ignoreIndex: -100, reduction: 'mean' },
    { eps: 0, ignoreIndex: -100, reduction: 'sum' },
    { eps: 0, ignoreIndex: -100, reduction: 'none' },
    { eps: 0.1, ignoreIndex: -100, reduction: 'mean' },
    { eps: 0.1, ignoreIndex: -100, reduction: 'none' },
    { eps: 0.2, ignoreIndex: 2, reduction: 'mean' },
    { eps: 0, ignoreIndex: 2, reduction: 'sum' },
  ] as const)('matches the torch formula for %o', async ({ eps, ignoreIndex, reduction }) => {
    const logits = randn([N, C], { seed: 11 }).mul(2);
    // -100 is just another out-of-range label when ignoreIndex is 2: give it a real class there.
    const labels = labelsList.map((y) => (y === -100 && ignoreIndex !== -100 ? 3 : y));
    const loss = crossEntropy(logits, fromArray(new Int32Array(labels)), {
      ignoreIndex,
      labelSmoothing: eps,
      reduction,
    });
    expect(loss.shape).toEqual(reduction === 'none' ? [N] : []);
    const want = crossEntropyRef(await values(logits), labels, C, ignoreIndex, eps, reduction);
    expectClose(await values(loss), want, 1e-5);
  });

  it('keeps the logits dtype and counts exactly in bfloat16', async () => {
    const n = 257;
    const logits = fromArray(new Float32Array(n * 2), { shape: [n, 2], dtype: 'bfloat16' });
    const loss = crossEntropy(logits, fromArray(new Int32Array(n)));
    expect(loss.dtype).toBe('bfloat16');
    expect(await loss.item()).toBeCloseTo(Math.log(2), 2);
  });

  it('is NaN when every target is ignored (torch: 0/0)', async () => {
    const loss = crossEntropy(randn([2, 3], { seed: 1 }), fromArray(new Int32Array([-100, -100])));
    expect(await loss.item()).toBeNaN();
  });

  it('rejects float labels and mismatched shapes', () => {
    const logits = randn([2, 3], { seed: 1 });
    expect(() => crossEntropy(logits, fromArray([0, 1]))).toThrow(DtypeError);
    expect(() => crossEntropy(logits, fromArray([0, 1]))).toThrow(
      "crossEntropy: argument 'labels' has dtype float32; expected integer class indices (int32)",
    );
    expect(() => crossEntropy(logits, fromArray(new Int32Array([0, 1, 2])))).toThrow(
      ShapeMismatchError,
    );
  });
});

describe('mse and bceWithLogits', () => {
  const xs = [-30, -4, -1, -0.25, 0, 0.5, 2, 30];
  const ys = [1, 0, 1, 0.3, 0.5, 1, 0, 0];
  const x = fromArray(xs);
  const y = fromArray(ys);

  it.each(['mean', 'sum', 'none'] as const)('mse with reduction %s', async (reduction) => {
    const sq = xs.map((v, i) => (v - ys[i]) ** 2);
    const total = sq.reduce((a, v) => a + v, 0);
    const want = reduction === 'none' ? sq : [reduction === 'sum' ? total : total / sq.length];
    expectClose(await values(mse(x, y, { reduction })), want, 1e-6);
  });

  // -[p·y·log σ(x) + (1-y)·log(1-σ(x))] with log σ(x) = -log1p(e^-x), log(1-σ(x)) = -log1p(e^x).
  const bceRef = (p: number) =>
    xs.map((v, i) => p * ys[i] * Math.log1p(Math.exp(-v)) + (1 - ys[i]) * Math.log1p(Math.exp(v)));

  it('bceWithLogits is stable for large |x| and matches the definition', async () => {
    const got = await values(bceWithLogits(x, y, { reduction: 'none' }));
    expect(got.every(Number.isFinite)).toBe(true);
    expectClose(got, bceRef(1), 1e-6);
    const mean = bceRef(1).reduce((a, v) => a + v, 0) / xs.length;
    expectClose([await bceWithLogits(x, y).item()], [mean], 1e-6);
  });

  it('rejects a target whose shape differs from the input', () => {
    expect(() => mse(x, y.reshape([8, 1]))).toThrow(
      "mse: argument 'target' has shape [8,1]; expected the input's shape [8]",
    );
    expect(() => bceWithLogits(x.reshape([2, 4]), y)).toThrow(ShapeMismatchError);
  });

  it('bceWithLogits with posWeight weights the positive term', async () => {
    const got = await values(bceWithLogits(x, y, { reduction: 'none', posWeight: fromArray([3]) }));
    expectClose(got, bceRef(3), 1e-6);
    const sum = bceRef(3).reduce((a, v) => a + v, 0);
    const total = bceWithLogits(x, y, { reduction: 'sum', posWeight: fromArray([3]) });
    expectClose([await total.item()], [sum], 1e-6);
  });
});
