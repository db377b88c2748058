import type { Backend } from '../backend/backend.js';
import type { DType } from '../dtype/dtypes.js';
import { inputTensor } from '../tensor/creation.js';
import { record } from '../tensor/record.js';
import { Random } from '../util/random.js';
import { fromStorage, Mismatches, sameValue, showValue, toStorage } from './compare.js';
import { ravel, sizeOf, tabulate } from './host-index.js';
import { f32FromBits, halfValue, roundTo, ulpDistance } from './numerics.js';
import type { HostValues } from './probe.js';
import { errorText } from './probe.js';
import {
  type CaseContext,
  type CaseOutcome,
  type ConformanceCase,
  fail,
  pass,
  skip,
} from './types.js';
import { type MatmulVector, parseMatmul } from './vectors.js';

/**
 * The matmul group: `matmul.json` through the `matmul` primitive and through a graph. Half
 * outputs must be within 1 ulp of 'expected' (the exact product rounded once); fp32 outputs
 * within K·2^-24·Σ|A_ik·B_kj| of 'expected_f32'; a batched, broadcast product must equal a
 * per-batch loop of the primitive bit for bit.
 */

type Via = 'primitive' | 'graph';

/** `a @ b` on the backend, by the primitive or by a one-node graph; returns decoded values. */
async function product(
  backend: Backend,
  a: HostValues,
  b: HostValues,
  outShape: readonly number[],
  via: Via,
): Promise<number[]> {
  const size = sizeOf(outShape);
  if (via === 'primitive') {
    const sa = backend.upload(toStorage(a.values, a.dtype), a.dtype, a.shape);
    const sb = backend.upload(toStorage(b.values, b.dtype), b.dtype, b.shape);
    try {
      const out = await backend.matmul(sa, sb);
      try {
        if (out.shape.join(',') !== outShape.join(','))
          throw new Error(`result shape [${out.shape}]; expected [${outShape}]`);
        return fromStorage(await backend.download(out), a.dtype, size, via);
      } finally {
        backend.free(out);
      }
    } finally {
      backend.free(sa);
      backend.free(sb);
    }
  }
  const ta = inputTensor(toStorage(a.values, a.dtype), a.dtype, a.shape);
  const tb = inputTensor(toStorage(b.values, b.dtype), b.dtype, b.shape);
  const tc = record('matmul', {}, [ta, tb]);
  try {
    await tc.realize(backend);
    return fromStorage(await tc.raw(), a.dtype, size, via);
  } finally {
    for (const t of [ta, tb, tc]) t.dispose();
  }
}

function unsupported(backend: Backend, dtype: DType): CaseOutcome | undefined {
  if (backend.capabilities.dtypes[dtype] !== 'unsupported') return undefined;
  return skip(`${dtype} unsupported by ${backend.name}; dtype/${dtype} checks the error instead`);
}

/** Runs `check` for each vector and both paths, turning thrown errors into mismatches. */
async function eachPath(
  vectors: readonly MatmulVector[],
  m: Mismatches,
  check: (v: MatmulVector, via: Via) => Promise<void>,
): Promise<void> {
  for (const v of vectors) {
    for (const via of ['primitive', 'graph'] as const) {
      try {
        await check(v, via);
      } catch (error) {
        m.problem(`${via} ${v.note}: ${errorText(error)}`);
      }
    }
  }
}

const operands = (
  v: MatmulVector,
  dtype: DType,
  decode: (bits: number) => number,
): [HostValues, HostValues] => [
  { dtype, shape: [v.M, v.K], values: v.A.map(decode) },
  { dtype, shape: [v.K, v.N], values: v.B.map(decode) },
];

function halfCase(dtype: 'bfloat16' | 'float16'): ConformanceCase {
  const short = dtype === 'bfloat16' ? 'bf16' : 'fp16';
  return {
    id: `matmul/${short}`,
    group: 'matmul',
    async run(ctx: CaseContext) {
      const vectors = (await ctx.vectors('matmul.json', parseMatmul)).filter(
        (v) => v.dtype === dtype,
      );
      const backend = await ctx.backend();
      const skipped = unsupported(backend, dtype);
      if (skipped) return skipped;
      const m = new Mismatches();
      const decode = (bits: number) => halfValue(bits, dtype);
      await eachPath(vectors, m, async (v, via) => {
        const [a, b] = operands(v, dtype, decode);
        const got = await product(backend, a, b, [v.M, v.N], via);
        v.expected.forEach((bits, i) => {
          const e = decode(bits);
          m.check(
            ulpDistance(got[i], e, dtype) <= 1,
            () =>
              `${via} ${v.note} [${i}] got ${showValue(got[i], dtype)} expected ${showValue(e, dtype)}`,
          );
        });
      });
      const what = `${vectors.length} ${short} products from matmul.json (primitive and graph) within 1 ${short} ulp of 'expected'`;
      return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
    },
  };
}

const f32Case: ConformanceCase = {
  id: 'matmul/f32',
  group: 'matmul',
  async run(ctx) {
    const vectors = await ctx.vectors('matmul.json', parseMatmul);
    const backend = await ctx.backend();
    const skipped = unsupported(backend, 'float32');
    if (skipped) return skipped;
    const m = new Mismatches();
    await eachPath(vectors, m, async (v, via) => {
      const [a, b] = operands(v, 'float32', (bits) => halfValue(bits, v.dtype));
      const got = await product(backend, a, b, [v.M, v.N], via);
      v.expectedF32.forEach((bits, i) => {
        const e = f32FromBits(bits);
        const [r, c] = [Math.floor(i / v.N), i % v.N];
        // Σ|A_ik·B_kj| bounds the rounding error of any fp32 summation order (K·2^-24 per unit).
        let magnitude = 0;
        for (let k = 0; k < v.K; k++)
          magnitude += Math.abs(a.values[r * v.K + k] * b.values[k * v.N + c]);
        const bound = v.K * 2 ** -24 * magnitude;
        const ok = Number.isFinite(e) ? Math.abs(got[i] - e) <= bound : sameValue(got[i], e);
        m.check(
          ok,
          () =>
            `${via} ${v.note} [${i}] got ${showValue(got[i], 'float32')} expected ${showValue(e, 'float32')} ± ${bound}`,
        );
      });
    });
    const what = `${vectors.length} matmul.json products on float32 inputs (primitive and graph) within K·2^-24·Σ|A·B| of 'expected_f32'`;
    return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
  },
};

/**
 * A[2,1,M,K] @ B[3,K,N] → [2,3,M,N], broadcasting batch dims both ways. Operands are k/4 for
 * small integers k, so every partial sum is exact in fp32 and any summation order gives the
 * same bits: the batched result must equal the per-batch primitive loop and the exact product.
 */
const batchedCase: ConformanceCase = {
  id: 'matmul/batched',
  group: 'matmul',
  async run(ctx) {
    const backend = await ctx.backend();
    const [M, K, N] = [3, 8, 5];
    const rng = new Random(11);
    const draw = () => (Math.floor(rng.uniform() * 31) - 15) / 4;
    const A = Array.from({ length: 2 * M * K }, draw);
    const B = Array.from({ length: 3 * K * N }, draw);
    const outShape = [2, 3, M, N];
    const m = new Mismatches();
    const checked: string[] = [];
    for (const dtype of ['bfloat16', 'float32'] as const) {
      if (backend.capabilities.dtypes[dtype] === 'unsupported') continue;
      checked.push(dtype);
      const exact = tabulate(outShape, ([i, j, r, c]) => {
        let s = 0;
        for (let k = 0; k < K; k++)
          s += A[ravel([i, 0, r, k], [2, 1, M, K])] * B[ravel([j, k, c], [3, K, N])];
        return roundTo(s, dtype);
      });
      try {
        const a: HostValues = { dtype, shape: [2, 1, M, K], values: A };
        const b: HostValues = { dtype, shape: [3, K, N], values: B };
        const batched = await product(backend, a, b, outShape, 'primitive');
        const graph = await product(backend, a, b, outShape, 'graph');
        for (let i = 0; i < 2; i++) {
          for (let j = 0; j < 3; j++) {
            const ai: HostValues = {
              dtype,
              shape: [M, K],
              values: A.slice(i * M * K, (i + 1) * M * K),
            };
            const bj: HostValues = {
              dtype,
              shape: [K, N],
              values: B.slice(j * K * N, (j + 1) * K * N),
            };
            const single = await product(backend, ai, bj, [M, N], 'primitive');
            single.forEach((s, t) => {
              const at = (i * 3 + j) * M * N + t;
              const show = (x: number) => showValue(x, dtype);
              m.check(
                sameValue(batched[at], s),
                () =>
                  `${dtype} batch (${i},${j}) [${t}] batched ${show(batched[at])} vs per-batch ${show(s)}`,
              );
              m.check(
                sameValue(graph[at], exact[at]),
                () =>
                  `${dtype} graph batch (${i},${j}) [${t}] got ${show(graph[at])} expected ${show(exact[at])}`,
              );
              m.check(
                sameValue(s, exact[at]),
                () =>
                  `${dtype} per-batch (${i},${j}) [${t}] got ${show(s)} expected ${show(exact[at])}`,
              );
            });
          }
        }
      } catch (error) {
        m.problem(`${dtype}: ${errorText(error)}`);
      }
    }
    const what = `[2,1,${M},${K}] @ [3,${K},${N}] on ${checked.join(', ')}: batched primitive = per-batch primitive = graph = exact`;
    return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
  },
};

/** The cases of the matmul group. */
export function matmulCases(): ConformanceCase[] {
  return [halfCase('bfloat16'), halfCase('float16'), f32Case, batchedCase];
}
