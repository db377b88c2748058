import { describe, expect, it } from 'vitest';
import { roundToDtype } from '../../../dtype/convert.js';
import { runOp } from '../__fixtures__/graphs.js';
import { createReferenceBackend } from '../reference-backend.js';

const backend = createReferenceBackend();
// x[i][j][k] = 100i + 10j + k for a [2,3,2] tensor.
const X = [0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121];

describe('sum / mean / max', () => {
  it.each([
    ['sum', [0], false, [3, 2], [100, 102, 120, 122, 140, 142]],
    ['sum', [1], true, [2, 1, 2], [30, 33, 330, 333]],
    ['sum', [0, 2], false, [3], [202, 242, 282]],
    ['sum', [0, 1, 2], false, [], [726]],
    ['sum', [], false, [2, 3, 2], X],
    ['mean', [1], false, [2, 2], [10, 11, 110, 111]],
    ['mean', [0, 1, 2], true, [1, 1, 1], [60.5]],
    ['max', [2], false, [2, 3], [1, 11, 21, 101, 111, 121]],
    ['max', [0, 1], false, [2], [120, 121]],
  ] as const)('%s axes %j keepdims %s', async (op, axes, keepdims, shape, expected) => {
    const out = await runOp(backend, op, { axes, keepdims }, [
      { dtype: 'float32', shape: [2, 3, 2], values: X },
    ]);
    expect(out.shape).toEqual(shape);
    expect(out.values).toEqual(expected);
  });

  it('sums 4096 bf16 ones to exactly 4096 (a bf16 running sum would stop at 256)', async () => {
    const out = await runOp(backend, 'sum', { axes: [0], keepdims: false }, [
      { dtype: 'bfloat16', shape: [4096], values: new Array(4096).fill(1) },
    ]);
    expect(out).toMatchObject({ dtype: 'bfloat16', values: [4096] });
  });

  it('rounds once from the f64 sum: 1 + 2^-8 + 2^-30 in bf16 is 1 + 2^-7, not the tie 1', async () => {
    const out = await runOp(backend, 'sum', { axes: [0], keepdims: false }, [
      { dtype: 'bfloat16', shape: [3], values: [1, 2 ** -8, 2 ** -30] },
    ]);
    expect(out.values).toEqual([1 + 2 ** -7]);
  });

  it('mean of fp16 rounds the f64 mean once', async () => {
    const values = [1, 2 ** -11, 2 ** -11, 0.5];
    const out = await runOp(backend, 'mean', { axes: [0], keepdims: false }, [
      { dtype: 'float16', shape: [4], values },
    ]);
    expect(out.values).toEqual([roundToDtype((1.5 + 2 ** -10) / 4, 'float16')]);
  });

  it('sums integers and bools to int32 with saturation', async () => {
    const ints = await runOp(backend, 'sum', { axes: [0], keepdims: false }, [
      { dtype: 'int8', shape: [3], values: [100, 100, 100] },
    ]);
    expect(ints).toMatchObject({ dtype: 'int32', values: [300] });
    const bools = await runOp(backend, 'sum', { axes: [0], keepdims: false }, [
      { dtype: 'bool', shape: [4], values: [1, 0, 1, 1] },
    ]);
    expect(bools).toMatchObject({ dtype: 'int32', values: [3] });
    const big = await runOp(backend, 'sum', { axes: [0], keepdims: false }, [
      { dtype: 'int32', shape: [2], values: [2 ** 31 - 1, 5] },
    ]);
    expect(big.values).toEqual([2 ** 31 - 1]);
  });

  it('max propagates NaN and keeps int dtypes', async () => {
    const out = await runOp(backend, 'max', { axes: [1], keepdims: false }, [
      { dtype: 'float32', shape: [2, 3], values: [1, Number.NaN, 3, -5, -2, -7] },
    ]);
    expect(out.values[0]).toBeNaN();
    expect(out.values[1]).toBe(-2);
    const ints = await runOp(backend, 'max', { axes: [0], keepdims: true }, [
      { dtype: 'int16', shape: [3], values: [-3, 9, 4] },
    ]);
    expect(ints).toMatchObject({ dtype: 'int16', shape: [1], values: [9] });
  });

  it('mean over an empty axis is NaN', async () => {
    const out = await runOp(backend, 'mean', { axes: [1], keepdims: false }, [
      { dtype: 'float32', shape: [2, 0], values: [] },
    ]);
    expect(out.values).toEqual([Number.NaN, Number.NaN]);
  });
});
