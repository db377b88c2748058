/**
 * The reference backend's matmul: a GotoBLAS-style blocked GEMM in plain TypeScript.
 *
 * Layout: for each NC-wide column block of B, for each KC-deep slice of K, B is packed into
 * KC×NR panels and A (per MC-tall row block) into MR×KC panels, both as Float64Array. The
 * micro-kernel then computes an MR×NR block of C with every accumulator in a local variable.
 * Why this shape: V8 does not vectorise, so speed comes from keeping the 12 accumulators in
 * registers (3×4 measured fastest on x64 against 4×4, 4×8, 6×4, 2×4, 8×2 — larger tiles spill),
 * from the packed panels staying in L1 (B panel, 8 KiB) and L2 (A block, ~190 KiB), and from
 * the kernel only ever seeing Float64Array, so it stays monomorphic whatever the input kinds.
 * Packing to f64 also converts an f32 input once instead of once per use.
 *
 * Numerics: every partial sum is an f64 (JS number). Across K slices the running sum lives in
 * f64 (in `c` itself when it is a Float64Array, else in an f64 scratch), so a Float32Array `c`
 * is rounded exactly once, at the final store.
 */
import { ShapeMismatchError } from '../../errors/index.js';
import { checkOptions, optionSpec } from '../../util/check-option-keys.js';

/** Typed arrays gemm reads and writes. */
export type GemmArray = Float32Array | Float64Array;

/** Options of {@link gemm}. */
export interface GemmOptions {
  /** A is stored K×M (row-major), i.e. the product uses Aᵀ of the stored matrix. */
  transA?: boolean;
  /** B is stored N×K (row-major), i.e. the product uses Bᵀ of the stored matrix. */
  transB?: boolean;
}

/** Options of {@link batchedGemm}. */
export interface BatchedGemmOptions extends GemmOptions {
  /** Element stride of A per batch dim; 0 broadcasts A along that dim. Default: contiguous. */
  aBatchStrides?: readonly number[];
  /** Element stride of B per batch dim; 0 broadcasts B along that dim. Default: contiguous. */
  bBatchStrides?: readonly number[];
}

const GEMM_OPTIONS = optionSpec<GemmOptions>({ transA: 'boolean', transB: 'boolean' });
const BATCHED_GEMM_OPTIONS = optionSpec<BatchedGemmOptions>({
  transA: 'boolean',
  transB: 'boolean',
  aBatchStrides: 'array',
  bBatchStrides: 'array',
});

const MR = 3;
const NR = 4;
const KC = 256;
const MC = 96; // multiple of MR; MC×KC f64 = 192 KiB stays in L2
const NC = 1024; // multiple of NR; bounds the packed-B scratch to KC×NC f64 = 2 MiB
/** C scratch larger than this (elements) is allocated per call and not kept alive. */
const KEEP_C_SCRATCH = 1 << 20;

// Grow-only scratch reused across calls (gemm is synchronous, so no call can interleave).
const packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NR);
let cScratch = new Float64Array(0);
const tile = new Float64Array(MR * NR);

/**
 * The micro-kernel: tile = Apanel(MR×kc) @ Bpanel(kc×NR). Panels are k-major, so each step
 * reads MR then NR consecutive values. Summation is sequential over k, in f64.
 */
// biome-ignore format: the 3×4 tile reads best as a grid
function kernel3x4(ap: Float64Array, pa: number, bp: Float64Array, pb: number, kc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  for (let k = 0; k < kc; k++) {
    const a0 = ap[pa], a1 = ap[pa + 1], a2 = ap[pa + 2];
    const b0 = bp[pb], b1 = bp[pb + 1], b2 = bp[pb + 2], b3 = bp[pb + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    pa += MR;
    pb += NR;
  }
  const t = tile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
}

/**
 * Packs the kc×uc block X(u0.., k0..) of a strided matrix into W-wide panels, k-major. X(u, k)
 * is at src[off + u*us + k*ks], so one routine packs A (u = row, W = MR) and B (u = column,
 * W = NR) in either storage order without a transpose copy. The last panel is zero-padded so the
 * kernel needs no edge variant; padded lanes only feed tile entries that are never stored.
 */
function pack(
  dst: Float64Array,
  src: GemmArray,
  off: number,
  us: number,
  ks: number,
  u0: number,
  uc: number,
  k0: number,
  kc: number,
  W: number,
): void {
  let p = 0;
  for (let up = 0; up < uc; up += W) {
    const w = Math.min(W, uc - up);
    const base = off + (u0 + up) * us + k0 * ks;
    for (let k = 0; k < kc; k++) {
      const o = base + k * ks;
      for (let r = 0; r < W; r++) dst[p++] = r < w ? src[o + r * us] : 0;
    }
  }
}

/** Writes (or, with `add`, adds) the valid mr×nr corner of the tile into dst at off, row pitch ld. */
function storeTile(
  dst: GemmArray,
  off: number,
  ld: number,
  mr: number,
  nr: number,
  add: boolean,
): void {
  const t = tile;
  for (let r = 0; r < mr; r++) {
    const o = off + r * ld;
    const s = r * NR;
    if (add) for (let q = 0; q < nr; q++) dst[o + q] += t[s + q];
    else for (let q = 0; q < nr; q++) dst[o + q] = t[s + q];
  }
}

function checkDims(M: number, K: number, N: number): void {
  for (const [name, v] of Object.entries({ M, K, N })) {
    if (!Number.isInteger(v) || v < 0) {
      throw new ShapeMismatchError(`gemm: ${name} must be a non-negative integer, got ${v}`);
    }
  }
}

function checkSpan(what: string, arr: GemmArray, offset: number, span: number): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ShapeMismatchError(
      `gemm: ${what} offset must be a non-negative integer, got ${offset}`,
    );
  }
  if (span > 0 && offset + span > arr.length) {
    throw new ShapeMismatchError(
      `gemm: ${what} needs ${span} elements from offset ${offset}, but its array has ${arr.length}`,
    );
  }
}

/** The unchecked core of gemm and batchedGemm. `c` must not overlap `a` or `b`. */
function gemmCore(
  a: GemmArray,
  aOff: number,
  b: GemmArray,
  bOff: number,
  c: GemmArray,
  cOff: number,
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    c.fill(0, cOff, cOff + M * N);
    return;
  }
  const rsA = transA ? 1 : K;
  const csA = transA ? M : 1;
  const rsB = transB ? 1 : N;
  const csB = transB ? K : 1;
  // Where the f64 running sums live between K slices: `c` itself if it is f64 or if there is
  // only one slice (then the store is the single rounding); otherwise an f64 scratch block.
  const direct = c instanceof Float64Array || K <= KC;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    let acc: GemmArray = c;
    let accOff = cOff + jc;
    let ld = N;
    if (!direct) {
      const need = M * nc;
      if (cScratch.length < need) {
        const fresh = new Float64Array(need);
        if (need <= KEEP_C_SCRATCH) cScratch = fresh;
        acc = fresh;
      } else acc = cScratch;
      accOff = 0;
      ld = nc;
    }
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      const add = pc > 0;
      const needB = kc * Math.ceil(nc / NR) * NR;
      if (packB.length < needB) packB = new Float64Array(needB);
      pack(packB, b, bOff, csB, rsB, jc, nc, pc, kc, NR);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        pack(packA, a, aOff, rsA, csA, ic, mc, pc, kc, MR);
        // B panel outer, A panels inner: the 8 KiB B panel is reused from L1 by the whole
        // A block, which is read from L2.
        for (let jp = 0; jp < nc; jp += NR) {
          const nr = Math.min(NR, nc - jp);
          const pb = jp * kc;
          for (let ip = 0; ip < mc; ip += MR) {
            kernel3x4(packA, ip * kc, packB, pb, kc);
            storeTile(acc, accOff + (ic + ip) * ld + jp, ld, Math.min(MR, mc - ip), nr, add);
          }
        }
      }
    }
    if (!direct) {
      // The one rounding to fp32: a Float32Array store rounds the f64 sum to nearest-even.
      for (let i = 0; i < M; i++) {
        const o = cOff + i * N + jc;
        for (let j = 0; j < nc; j++) c[o + j] = acc[i * nc + j];
      }
    }
  }
}

/**
 * C[M×N] = A[M×K] @ B[K×N], all row-major, reading at the given element offsets. Accumulates in
 * float64 (JS numbers) and stores once into `c` (a Float32Array store rounds once to fp32; a
 * Float64Array store keeps the f64 sum). K = 0 writes zeros. `c` must not overlap `a` or `b`.
 *
 * @param opts.transA A is stored K×M, so the product is Aᵀ@B without materialising Aᵀ.
 * @param opts.transB B is stored N×K, so the product is A@Bᵀ without materialising Bᵀ.
 * @throws ShapeMismatchError on a negative or fractional size or offset, or an array too short.
 */
export function gemm(
  a: GemmArray,
  aOffset: number,
  b: GemmArray,
  bOffset: number,
  c: GemmArray,
  cOffset: number,
  M: number,
  K: number,
  N: number,
  opts?: GemmOptions,
): void {
  if (opts !== undefined) checkOptions('gemm', opts, GEMM_OPTIONS);
  checkDims(M, K, N);
  checkSpan('A', a, aOffset, M * K);
  checkSpan('B', b, bOffset, K * N);
  checkSpan('C', c, cOffset, M * N);
  gemmCore(a, aOffset, b, bOffset, c, cOffset, M, K, N, !!opts?.transA, !!opts?.transB);
}

/** Row-major (contiguous) strides of a batch shape whose items are `item` elements each. */
function contiguousStrides(shape: readonly number[], item: number): number[] {
  const out = new Array<number>(shape.length);
  let s = item;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d];
  }
  return out;
}

/**
 * A batch of gemms: for each index of `batchShape` (row-major), C[idx] = A[idx] @ B[idx]. C is
 * contiguous: batch item n starts at cOffset + n*M*N. A and B items start at their offset plus
 * Σ idx[d]*stride[d]; a stride of 0 broadcasts that operand along dim d (numpy-style broadcast
 * with no copy: e.g. A [2,1,M,K] @ B [1,3,K,N] is batchShape [2,3], aBatchStrides [M*K, 0],
 * bBatchStrides [0, K*N]). Same numerics and transposes as {@link gemm}.
 *
 * @throws ShapeMismatchError on a bad size, a stride list of the wrong length or a negative
 *   stride, or an array too short for the batch.
 */
export function batchedGemm(
  a: GemmArray,
  aOffset: number,
  b: GemmArray,
  bOffset: number,
  c: GemmArray,
  cOffset: number,
  batchShape: readonly number[],
  M: number,
  K: number,
  N: number,
  opts?: BatchedGemmOptions,
): void {
  if (opts !== undefined) checkOptions('batchedGemm', opts, BATCHED_GEMM_OPTIONS);
  checkDims(M, K, N);
  const rank = batchShape.length;
  let count = 1;
  for (const d of batchShape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeMismatchError(
        `batchedGemm: batch dims must be non-negative integers, got [${batchShape.join(', ')}]`,
      );
    }
    count *= d;
  }
  const sa = opts?.aBatchStrides ?? contiguousStrides(batchShape, M * K);
  const sb = opts?.bBatchStrides ?? contiguousStrides(batchShape, K * N);
  for (const [name, s] of [
    ['aBatchStrides', sa],
    ['bBatchStrides', sb],
  ] as const) {
    if (s.length !== rank || s.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new ShapeMismatchError(
        `batchedGemm: ${name} must be ${rank} non-negative integers for batch shape [${batchShape.join(', ')}], got [${s.join(', ')}]`,
      );
    }
  }
  if (count === 0) return;
  // The furthest item start is at Σ (dim-1)*stride, because strides are non-negative.
  let lastA = 0;
  let lastB = 0;
  for (let d = 0; d < rank; d++) {
    lastA += (batchShape[d] - 1) * sa[d];
    lastB += (batchShape[d] - 1) * sb[d];
  }
  checkSpan('A', a, aOffset, M * K === 0 ? 0 : lastA + M * K);
  checkSpan('B', b, bOffset, K * N === 0 ? 0 : lastB + K * N);
  checkSpan('C', c, cOffset, count * M * N);
  const transA = !!opts?.transA;
  const transB = !!opts?.transB;
  const idx = new Array<number>(rank).fill(0);
  let oa = aOffset;
  let ob = bOffset;
  for (let n = 0; n < count; n++) {
    gemmCore(a, oa, b, ob, c, cOffset + n * M * N, M, K, N, transA, transB);
    // Odometer increment of the batch index, keeping the A/B item offsets in step.
    for (let d = rank - 1; d >= 0; d--) {
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < batchShape[d]) break;
      oa -= batchShape[d] * sa[d];
      ob -= batchShape[d] * sb[d];
      idx[d] = 0;
    }
  }
}
