import { describe, expect, it } from 'vitest';
import { roundToDtype } from '../../../dtype/convert.js';
import type { DType } from '../../../dtype/dtypes.js';
import { runOp } from '../__fixtures__/graphs.js';
import { createReferenceBackend } from '../reference-backend.js';

const backend = createReferenceBackend();

/** Naive batched matmul in f64 with numpy broadcasting of one leading batch dim. */
function naive(a: number[], sa: number[], b: number[], sb: number[]): number[] {
  const [M, K] = sa.slice(-2);
  const N = sb[sb.length - 1];
  const ba = sa.length === 3 ? sa[0] : 1;
  const bb = sb.length === 3 ? sb[0] : 1;
  const batch = Math.max(ba, bb);
  const out: number[] = [];
  for (let t = 0; t < batch; t++) {
    const ao = (ba === 1 ? 0 : t) * M * K;
    const bo = (bb === 1 ? 0 : t) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ao + i * K + k] * b[bo + k * N + j];
        out.push(s);
      }
    }
  }
  return out;
}

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_v, i) => f(i));

describe('matmul', () => {
  const SHAPES: Array<[number[], number[], number[]]> = [
    [
      [2, 3],
      [3, 4],
      [2, 4],
    ],
    [
      [2, 2, 3],
      [3, 2],
      [2, 2, 2],
    ],
    [
      [2, 3],
      [3, 3, 1],
      [3, 2, 1],
    ],
    [
      [1, 4, 5],
      [3, 5, 2],
      [3, 4, 2],
    ],
  ];
  const cases = SHAPES.flatMap((s) =>
    (['float32', 'float64', 'bfloat16', 'float16'] as DType[]).map((d) => [...s, d] as const),
  );
  it.each(cases)('%j @ %j -> %j (%s)', async (sa, sb, shape, dtype) => {
    const a = seq(
      sa.reduce((n, d) => n * d, 1),
      (i) => roundToDtype(((i * 7) % 11) / 8 - 0.6, dtype),
    );
    const b = seq(
      sb.reduce((n, d) => n * d, 1),
      (i) => roundToDtype(((i * 5) % 13) / 4 - 1.3, dtype),
    );
    const out = await runOp(backend, 'matmul', {}, [
      { dtype, shape: sa, values: a },
      { dtype, shape: sb, values: b },
    ]);
    expect(out.shape).toEqual(shape);
    expect(out.values).toEqual(naive(a, sa, b, sb).map((v) => roundToDtype(v, dtype)));
  });

  it('bf16 accumulates exactly and rounds once: [1,1,1]·[1,2^-8,2^-30] = 1 + 2^-7', async () => {
    const out = await runOp(backend, 'matmul', {}, [
      { dtype: 'bfloat16', shape: [1, 3], values: [1, 1, 1] },
      { dtype: 'bfloat16', shape: [3, 1], values: [1, 2 ** -8, 2 ** -30] },
    ]);
    expect(out.values).toEqual([1 + 2 ** -7]);
  });

  it('fp16 products overflow to inf only at the final rounding', async () => {
    const out = await runOp(backend, 'matmul', {}, [
      { dtype: 'float16', shape: [1, 2], values: [300, 300] },
      { dtype: 'float16', shape: [2, 2], values: [300, 300, -300, 100] },
    ]);
    // 300·300 = 90000 overflows fp16 alone, but the sums are 0 and 120000 → inf.
    expect(out.values).toEqual([0, Number.POSITIVE_INFINITY]);
  });
});
