import { describe, expect, it } from 'vitest';
import { ShapeMismatchError } from '../../errors/index.js';
import { batchedGemm, type GemmArray, gemm } from './gemm.js';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Deterministic uniform [-1, 1) generator (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

function random(Kind: Ctor, n: number, seed: number): GemmArray {
  const r = rng(seed);
  const out = new Kind(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

/** Distance from x to the next fp32 (an ulp of fp32 at |x|), read from the exponent bits. */
function f32ulp(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
  const exp = (bits >>> 23) & 0xff;
  return exp === 0 ? 2 ** -149 : 2 ** (exp - 150);
}

interface Ref {
  value: Float64Array;
  /** Σ|a||b| per element: the scale of the f64 rounding error. */
  scale: Float64Array;
}

/**
 * The independent reference: a naive triple loop over the logical (untransposed) matrices with
 * Neumaier-compensated summation, so it is exact to well below one f64 ulp of the result.
 */
function reference(
  a: GemmArray,
  aOff: number,
  b: GemmArray,
  bOff: number,
  M: number,
  K: number,
  N: number,
  transA = false,
  transB = false,
): Ref {
  const value = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      let comp = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const x = a[aOff + (transA ? k * M + i : i * K + k)];
        const y = b[bOff + (transB ? j * K + k : k * N + j)];
        const p = x * y;
        const t = sum + p;
        comp += Math.abs(sum) >= Math.abs(p) ? sum - t + p : p - t + sum;
        sum = t;
        abs += Math.abs(p);
      }
      value[i * N + j] = sum + comp;
      scale[i * N + j] = abs;
    }
  }
  return { value, scale };
}

/** Asserts c[cOff..] matches ref: f64 within 1e-12·Σ|a||b|, f32 within 1 ulp of fround(ref). */
function expectClose(c: GemmArray, cOff: number, ref: Ref, label: string): void {
  const n = ref.value.length;
  let bad = '';
  for (let e = 0; e < n && !bad; e++) {
    const got = c[cOff + e];
    const want = ref.value[e];
    if (c instanceof Float32Array) {
      const w = Math.fround(want);
      if (!(Math.abs(got - w) <= f32ulp(w))) bad = `[${e}] got ${got}, want fround ${w}`;
    } else if (!(Math.abs(got - want) <= 1e-12 * ref.scale[e])) {
      bad = `[${e}] got ${got}, want ${want} (scale ${ref.scale[e]})`;
    }
  }
  expect(bad, label).toBe('');
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 4],
  [7, 13, 9],
  [17, 1, 33],
  [64, 64, 64],
  [65, 129, 31],
  // Past the internal blocking: K > KC (256), M > MC (96), N > NC (1024).
  [100, 300, 9],
  [5, 600, 7],
  [3, 300, 1030],
  [2, 3, 1030],
];
const KINDS: [string, Ctor, Ctor][] = [
  ['f32→f32', Float32Array, Float32Array],
  ['f64→f64', Float64Array, Float64Array],
  ['f32→f64', Float32Array, Float64Array],
  ['f64→f32', Float64Array, Float32Array],
];
const TRANS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

describe('gemm', () => {
  for (const [name, In, Out] of KINDS) {
    for (const [M, K, N] of SHAPES) {
      it(`${name} ${M}×${K}×${N}, all transpose flags, at offsets`, () => {
        for (const [transA, transB] of TRANS) {
          const a = random(In, 3 + M * K, M * 7 + K);
          const b = random(In, 5 + K * N, N * 11 + K);
          // NaN sentinels: any element outside the output region must stay untouched.
          const c = new Out(2 + M * N + 3).fill(Number.NaN);
          gemm(a, 3, b, 5, c, 2, M, K, N, { transA, transB });
          const ref = reference(a, 3, b, 5, M, K, N, transA, transB);
          expectClose(c, 2, ref, `${name} ${M}×${K}×${N} tA=${transA} tB=${transB}`);
          expect([c[0], c[1], c[c.length - 1]]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
        }
      });
    }
  }

  it('K = 0 writes zeros; M = 0 or N = 0 writes nothing', () => {
    const c = new Float32Array(6).fill(Number.NaN);
    gemm(new Float32Array(0), 0, new Float32Array(0), 0, c, 0, 2, 0, 3);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    const d = new Float64Array(4).fill(7);
    gemm(new Float64Array(4), 0, new Float64Array(4), 0, d, 0, 0, 2, 2);
    gemm(new Float64Array(4), 0, new Float64Array(4), 0, d, 0, 2, 2, 0);
    expect(Array.from(d)).toEqual([7, 7, 7, 7]);
  });

  it('rounds an fp32 output once, from the f64 sum (also across K blocks)', () => {
    // Row [1, x, x, ...] · ones with x = 2^-32 (1/512 ulp of 1 in fp32): an fp32 running sum
    // stays at 1 forever, and rounding each 256-long K block to fp32 also ends at 1, but the
    // f64 sum is 1 + 511·2^-32, whose one rounding is 1 + 2^-23.
    const M = 5;
    const K = 512;
    const N = 6;
    const a = new Float32Array(M * K).fill(2 ** -32);
    for (let i = 0; i < M; i++) a[i * K] = 1;
    const b = new Float32Array(K * N).fill(1);
    let f32sum = Math.fround(1);
    for (let k = 1; k < K; k++) f32sum = Math.fround(f32sum + 2 ** -32);
    expect(f32sum).toBe(1); // the trap is real
    const c = new Float32Array(M * N);
    gemm(a, 0, b, 0, c, 0, M, K, N);
    expect(Array.from(c)).toEqual(new Array(M * N).fill(1 + 2 ** -23));
    // Short K: 1 + 3·2^-25 = 1 + 0.75 ulp rounds up once; fp32 accumulation would give 1.
    const s = new Float32Array(1);
    gemm(
      new Float32Array([1, 2 ** -25, 2 ** -25, 2 ** -25]),
      0,
      new Float32Array(4).fill(1),
      0,
      s,
      0,
      1,
      4,
      1,
    );
    expect(s[0]).toBe(1 + 2 ** -23);
    // An f64 output keeps the unrounded sum.
    const d = new Float64Array(1);
    gemm(a, 0, b, 0, d, 0, 1, K, 1);
    expect(d[0]).toBe(1 + 511 * 2 ** -32);
  });

  it('rejects bad sizes, offsets and short arrays with a clear error', () => {
    const x = new Float32Array(6);
    expect(() => gemm(x, 0, x, 0, x, 0, -1, 2, 3)).toThrow(ShapeMismatchError);
    expect(() => gemm(x, 0, x, 0, new Float32Array(6), 0, 2, 1.5, 3)).toThrow(/K must be/);
    expect(() => gemm(x, 1, x, 0, new Float32Array(6), 0, 2, 3, 2)).toThrow(/A needs 6 elements/);
    expect(() => gemm(x, -1, x, 0, new Float32Array(6), 0, 1, 1, 1)).toThrow(/offset/);
  });
});

describe('batchedGemm', () => {
  it('broadcasts with zero strides: [2,1,M,K] @ [1,3,K,N] → [2,3,M,N]', () => {
    const [M, K, N] = [7, 13, 9];
    for (const [transA, transB] of TRANS) {
      const a = random(Float32Array, 1 + 2 * M * K, 1);
      const b = random(Float32Array, 3 * K * N, 2);
      const c = new Float32Array(6 * M * N).fill(Number.NaN);
      batchedGemm(a, 1, b, 0, c, 0, [2, 3], M, K, N, {
        transA,
        transB,
        aBatchStrides: [M * K, 0],
        bBatchStrides: [0, K * N],
      });
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          const ref = reference(a, 1 + i * M * K, b, j * K * N, M, K, N, transA, transB);
          expectClose(c, (i * 3 + j) * M * N, ref, `item ${i},${j} tA=${transA} tB=${transB}`);
        }
      }
    }
  });

  it('defaults to contiguous batches; shared weights with stride 0; empty batch shape is one gemm', () => {
    const [M, K, N] = [5, 300, 6]; // K > KC exercises the f64 scratch per batch item
    const a = random(Float64Array, 4 * M * K, 3);
    const b = random(Float64Array, 4 * K * N, 4);
    const c = new Float64Array(4 * M * N);
    batchedGemm(a, 0, b, 0, c, 0, [2, 2], M, K, N);
    for (let n = 0; n < 4; n++) {
      expectClose(c, n * M * N, reference(a, n * M * K, b, n * K * N, M, K, N), `item ${n}`);
    }
    const w = new Float32Array(4 * M * N);
    batchedGemm(a, 0, b, 0, w, 0, [4], M, K, N, { bBatchStrides: [0] });
    for (let n = 0; n < 4; n++) {
      expectClose(w, n * M * N, reference(a, n * M * K, b, 0, M, K, N), `shared B ${n}`);
    }
    const one = new Float64Array(M * N);
    batchedGemm(a, 0, b, 0, one, 0, [], M, K, N);
    expectClose(one, 0, reference(a, 0, b, 0, M, K, N), 'rank 0');
    batchedGemm(a, 0, b, 0, one, 0, [0, 3], M, K, N); // no items: nothing to do, no error
  });

  it('rejects stride lists of the wrong length, negative strides and short arrays', () => {
    const a = new Float32Array(12);
    const c = new Float32Array(8);
    expect(() => batchedGemm(a, 0, a, 0, c, 0, [2], 2, 3, 2, { aBatchStrides: [6, 0] })).toThrow(
      /aBatchStrides must be 1/,
    );
    expect(() => batchedGemm(a, 0, a, 0, c, 0, [2], 2, 3, 2, { bBatchStrides: [-6] })).toThrow(
      ShapeMismatchError,
    );
    expect(() => batchedGemm(a, 0, a, 0, c, 0, [3], 2, 3, 2)).toThrow(/A needs 18 elements/);
  });
});
