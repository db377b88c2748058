import { describe, expect, it } from 'vitest';
import { roundToDtype } from '../../../dtype/convert.js';
import type { DType } from '../../../dtype/dtypes.js';
import { runOp } from '../__fixtures__/graphs.js';
import { createReferenceBackend } from '../reference-backend.js';

const backend = createReferenceBackend();
// [2,3] rows along axis 1; along axis 0 the columns are pairs.
const X = [1, 2, 3, -1, 0.5, 4];

function softmaxRow(row: number[]): number[] {
  const e = row.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('softmax / logSoftmax', () => {
  it.each(['float64', 'float32', 'bfloat16', 'float16'] as DType[])(
    'softmax along the last axis, %s',
    async (dtype) => {
      const x = X.map((v) => roundToDtype(v, dtype));
      const out = await runOp(backend, 'softmax', { axis: 1 }, [
        { dtype, shape: [2, 3], values: x },
      ]);
      const expected = [...softmaxRow(x.slice(0, 3)), ...softmaxRow(x.slice(3))];
      out.values.forEach((v, i) => {
        // f64 formula vs max-subtracted kernel: equal to ~1e-16, so equal after rounding to
        // fp32/half, and within a few f64 ulps for float64.
        if (dtype === 'float64') expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-15);
        else expect(v).toBe(roundToDtype(expected[i], dtype));
      });
    },
  );

  it('softmax along axis 0 of [2,3]', async () => {
    const out = await runOp(backend, 'softmax', { axis: 0 }, [
      { dtype: 'float64', shape: [2, 3], values: X },
    ]);
    const cols = [0, 1, 2].map((j) => softmaxRow([X[j], X[3 + j]]));
    const expected = [cols[0][0], cols[1][0], cols[2][0], cols[0][1], cols[1][1], cols[2][1]];
    out.values.forEach((v, i) => {
      expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1e-15);
    });
  });

  it('is stable for large inputs and logSoftmax does not underflow to -inf', async () => {
    const big = await runOp(backend, 'softmax', { axis: 0 }, [
      { dtype: 'float32', shape: [2], values: [1000, 1000] },
    ]);
    expect(big.values).toEqual([0.5, 0.5]);
    const log = await runOp(backend, 'logSoftmax', { axis: 0 }, [
      { dtype: 'float32', shape: [2], values: [0, -200] },
    ]);
    // log(1 + e^-200) = 1.38e-87 rounds to -0 or 0; the second is -200 - that, i.e. -200.
    expect(log.values[1]).toBe(-200);
    expect(Math.abs(log.values[0])).toBe(0);
  });

  it('logSoftmax equals x - max - log Σ exp(x - max)', async () => {
    const out = await runOp(backend, 'logSoftmax', { axis: 1 }, [
      { dtype: 'float32', shape: [2, 3], values: X },
    ]);
    const expected = [0, 3].flatMap((o) => {
      const row = X.slice(o, o + 3);
      const m = Math.max(...row);
      const ls = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      return row.map((v) => Math.fround(v - m - ls));
    });
    expect(out.values).toEqual(expected);
  });

  it('a NaN makes its whole row NaN', async () => {
    const out = await runOp(backend, 'softmax', { axis: 1 }, [
      { dtype: 'float32', shape: [2, 2], values: [Number.NaN, 1, 0, 0] },
    ]);
    expect(out.values).toEqual([Number.NaN, Number.NaN, 0.5, 0.5]);
  });
});
