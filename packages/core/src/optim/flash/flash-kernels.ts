/**
 * Fused in-place updates of one parameter for FlashAdam(W), FlashLion and FlashSGD(W)
 * (docs/flashoptim.md#update-rules). Each kernel makes a single pass over 32-element groups:
 * load the gradient, decode the master (ECC), dequantize the moments into scratch, update in
 * fp32, then narrow + encode the param and re-quantize the moments. The most common
 * configuration (FlashAdamW on a bf16 param with int8 ECC and quantized moments) has a
 * specialised loop; every other one takes the generic path. The order of fp32 operations
 * follows the fused kernels (and the FlashAdamW recipe in vectors/flash.json,
 * docs/conformance-vectors.md#flashjson) so results are bit-exact against the fp32 emulation.
 * Scratch is module-level and fixed-size: the hot loops allocate nothing.
 */
import { MixprecError } from '../../errors/mixprec-error.js';
import { eccFormat, eccMax, rhoScaleTable } from './ecc.js';
import { f16FromF32Bits, narrowToF32Table } from './fp32.js';
import {
  dequantLevels,
  GROUP_SIZE,
  MOMENTUM_QUANT,
  quantizeGroup,
  VARIANCE_QUANT,
} from './quantize.js';
import { flashWasmEngine } from './wasm/flash-wasm-engine.js';

/** An optimizer moment: 8-bit codes + fp16 group scales, or plain values at the param dtype. */
export type MomentStore =
  | {
      readonly kind: 'quantized';
      readonly codes: Int8Array | Uint8Array;
      readonly scales: Uint16Array;
    }
  | {
      readonly kind: 'plain';
      readonly data: Float32Array | Uint16Array;
      readonly dtype: 'float32' | 'bfloat16' | 'float16';
    };

/** A parameter's storage: fp32 values, or bf16/fp16 bit patterns. Updated in place. */
export interface FlashParam {
  readonly data: Float32Array | Uint16Array;
  readonly dtype: 'float32' | 'bfloat16' | 'float16';
}

/** A gradient; float64 gradients are rounded to fp32 on load like any other. */
export interface FlashGrad {
  readonly data: Float32Array | Uint16Array | Float64Array;
  readonly dtype: 'float32' | 'bfloat16' | 'float16' | 'float64';
}

/** FlashAdam / FlashAdamW hyper-parameters (`decoupled` selects AdamW). */
export interface FlashAdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
  decoupleLr: boolean;
  initialLr: number;
}

/** FlashLion hyper-parameters (weight decay is always decoupled). */
export interface FlashLionHyper {
  lr: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  decoupleLr: boolean;
  initialLr: number;
}

/** FlashSGD / FlashSGDW hyper-parameters (`decoupled` selects SGDW). */
export interface FlashSgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  decoupled: boolean;
  decoupleLr: boolean;
  initialLr: number;
}

// ---- scratch: one group for the generic path, one block of groups for the specialised loop ----
/** Groups per block of the specialised Adam loop (fewer calls, longer independent loops). */
const BLOCK_GROUPS = 8;
const BLOCK = BLOCK_GROUPS * GROUP_SIZE;
const G = new Float32Array(BLOCK);
const T = new Float32Array(BLOCK);
const TI = new Int32Array(T.buffer);
const M1 = new Float32Array(BLOCK);
const M1I = new Int32Array(M1.buffer);
const M2 = new Float32Array(BLOCK);
const M2I = new Int32Array(M2.buffer);
const SQ = new Float32Array(BLOCK);
/** Decoded fp16 scales of the block's groups (exponential average, then its second moment). */
const SCALE_M = new Float64Array(BLOCK_GROUPS);
const SCALE_V = new Float64Array(BLOCK_GROUPS);
/** Views that turn bf16 bits (shifted up) into fp32 values, and fp32 values into bits. */
const R = new Float32Array(BLOCK);
const RI = new Int32Array(R.buffer);

/**
 * Decoupled decay factor fp32(1 − fp32(λ_eff)) with λ_eff = wd·lr (or wd·lr/initialLr under
 * decouple_lr) computed in float64 on the host, as the kernels receive it.
 */
function decayFactor(weightDecay: number, lr: number, decoupleLr: boolean, initialLr: number) {
  const lam = decoupleLr ? (weightDecay * lr) / initialLr : weightDecay * lr;
  return Math.fround(1 - Math.fround(lam));
}

function fail(what: string, message: string): never {
  throw new MixprecError(`${what}: ${message}`);
}

function checkCommon(
  what: string,
  param: FlashParam,
  grad: FlashGrad,
  ecc: Int8Array | Int16Array | undefined,
): number {
  const n = param.data.length;
  const narrow = param.dtype === 'bfloat16' || param.dtype === 'float16';
  if (narrow !== param.data instanceof Uint16Array) {
    fail(
      what,
      `param data is a ${param.data.constructor.name} for dtype ${param.dtype}, expected ${narrow ? 'a Uint16Array' : 'a Float32Array'}`,
    );
  }
  if (grad.data.length !== n) {
    fail(what, `grad has ${grad.data.length} elements, expected ${n} (the param's size)`);
  }
  const gExpected =
    grad.dtype === 'float64' ? Float64Array : grad.dtype === 'float32' ? Float32Array : Uint16Array;
  if (!(grad.data instanceof gExpected)) {
    fail(
      what,
      `grad data is a ${grad.data.constructor.name} for dtype ${grad.dtype}, expected a ${gExpected.name}`,
    );
  }
  if (ecc !== undefined) {
    if (!narrow) {
      fail(
        what,
        `error-correction codes given for a ${param.dtype} param, expected none (only bfloat16/float16 params carry them)`,
      );
    }
    if (!(ecc instanceof Int8Array || ecc instanceof Int16Array)) {
      fail(
        what,
        `ecc is a ${(ecc as object).constructor.name}, expected an Int8Array or Int16Array`,
      );
    }
    if (ecc.length !== n) fail(what, `ecc has ${ecc.length} elements, expected ${n}`);
  }
  return n;
}

function checkMoment(
  what: string,
  name: string,
  store: MomentStore,
  n: number,
  signed: boolean,
  param: FlashParam,
): void {
  if (store.kind === 'quantized') {
    const ok = signed ? store.codes instanceof Int8Array : store.codes instanceof Uint8Array;
    if (!ok) {
      fail(
        what,
        `${name} codes are a ${store.codes.constructor.name}, expected ${signed ? 'an Int8Array' : 'a Uint8Array'}`,
      );
    }
    if (store.codes.length !== n)
      fail(what, `${name} has ${store.codes.length} codes, expected ${n}`);
    const groups = Math.ceil(n / GROUP_SIZE);
    if (store.scales.length !== groups) {
      fail(
        what,
        `${name} has ${store.scales.length} scales, expected ${groups} (ceil(${n}/${GROUP_SIZE}))`,
      );
    }
  } else if (store.kind === 'plain') {
    const wide = store.dtype === 'float32';
    if (wide !== store.data instanceof Float32Array) {
      fail(
        what,
        `${name} data is a ${store.data.constructor.name} for dtype ${store.dtype}, expected ${wide ? 'a Float32Array' : 'a Uint16Array'}`,
      );
    }
    if (store.data.length !== n)
      fail(what, `${name} has ${store.data.length} elements, expected ${n}`);
    if (store.dtype !== param.dtype) {
      // Plain moments live at the param dtype (as in FlashOptim; see
      // docs/flashoptim.md#per-parameter-state); anything else is a caller bug.
      fail(what, `${name} is stored as ${store.dtype}, expected the param dtype ${param.dtype}`);
    }
  } else {
    fail(
      what,
      `${name} has kind ${String((store as { kind: unknown }).kind)}, expected 'quantized' or 'plain'`,
    );
  }
}

/** fp32 gradient values of elements [off, off+count) into G. */
function loadGrad(grad: FlashGrad, off: number, count: number): void {
  loadFloats(grad.data, grad.dtype, off, count, G);
}

/**
 * Elements [off, off+count) of a float array as fp32 into `dst`: fp32/f64 copied (f64 rounded
 * by the Float32Array store), bf16/fp16 bit patterns decoded through the exact table.
 */
function loadFloats(
  d: Float32Array | Float64Array | Uint16Array,
  dtype: FlashGrad['dtype'],
  off: number,
  count: number,
  dst: Float32Array,
): void {
  if (dtype === 'float32' || dtype === 'float64') {
    for (let i = 0; i < count; i++) dst[i] = d[off + i];
  } else {
    const table = narrowToF32Table(dtype);
    for (let i = 0; i < count; i++) dst[i] = table[d[off + i]];
  }
}

/** fp32 masters into T: ECC-decoded (docs/flashoptim.md#error-correction-bits), the narrow value upcast, or fp32 as is. */
function loadParam(
  param: FlashParam,
  ecc: Int8Array | Int16Array | undefined,
  off: number,
  count: number,
): void {
  const d = param.data;
  if (param.dtype === 'float32') {
    for (let i = 0; i < count; i++) T[i] = d[off + i];
    return;
  }
  const fmt = eccFormat(param.dtype);
  const toF32 = fmt.toF32;
  if (ecc === undefined) {
    for (let i = 0; i < count; i++) T[i] = toF32[d[off + i]];
    return;
  }
  const halfUlp = fmt.halfUlp;
  const shift = fmt.shift;
  const m = eccMax(ecc);
  const scale = rhoScaleTable(m);
  const mask = m === 127 ? 0xff : 0xffff;
  for (let i = 0; i < count; i++) {
    const b = d[off + i];
    T[i] = toF32[b] + Math.fround(scale[ecc[off + i] & mask] * halfUlp[(b & 0x7fff) >>> shift]);
  }
}

/** Writes T back: fp32 in place, or RTNE to the narrow dtype plus the ECC code (docs/flashoptim.md#error-correction-bits). */
function storeParam(
  param: FlashParam,
  ecc: Int8Array | Int16Array | undefined,
  off: number,
  count: number,
): void {
  const d = param.data;
  if (param.dtype === 'float32') {
    for (let i = 0; i < count; i++) d[off + i] = T[i];
    return;
  }
  const bf16 = param.dtype === 'bfloat16';
  for (let i = 0; i < count; i++) {
    const x = TI[i];
    d[off + i] = bf16
      ? (x & 0x7fffffff) > 0x7f800000
        ? ((x >>> 16) & 0x8000) | 0x7fc0
        : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16
      : f16FromF32Bits(x);
  }
  if (ecc === undefined) return;
  const fmt = eccFormat(param.dtype);
  const toF32 = fmt.toF32;
  const inv = fmt.invHalfUlp;
  const shift = fmt.shift;
  const m = eccMax(ecc);
  for (let i = 0; i < count; i++) {
    const b = d[off + i];
    const e = Math.fround(T[i] - toF32[b]);
    let en = Math.fround(e * inv[(b & 0x7fff) >>> shift]);
    if (en > 1) en = 1;
    else if (en < -1) en = -1;
    const y = Math.fround(en * m);
    ecc[off + i] = y < 0 ? -Math.floor(Math.fround(0.5 - y)) : Math.floor(Math.fround(y + 0.5));
  }
}

/** Moment group g (elements [off, off+count)) into dst as fp32 (dequantized, or a plain load). */
function loadMoment(
  store: MomentStore,
  sqrt: boolean,
  g: number,
  off: number,
  count: number,
  dst: Float32Array,
): void {
  if (store.kind === 'quantized') {
    const codes = store.codes;
    const levels = dequantLevels(sqrt ? VARIANCE_QUANT : MOMENTUM_QUANT);
    const scale = narrowToF32Table('float16')[store.scales[g]];
    if (sqrt) {
      for (let i = 0; i < count; i++) {
        const r = Math.fround(levels[codes[off + i] & 0xff] * scale);
        dst[i] = r * r;
      }
    } else {
      for (let i = 0; i < count; i++) dst[i] = levels[codes[off + i] & 0xff] * scale;
    }
    return;
  }
  loadFloats(store.data, store.dtype, off, count, dst);
}

/**
 * Stores src (bits view srcI) as moment group g: quantized (signed+softsign, or unsigned over
 * the precomputed square roots in SQ when `sqrt`), or RTNE-cast to the plain dtype.
 */
function storeMoment(
  store: MomentStore,
  sqrt: boolean,
  g: number,
  off: number,
  count: number,
  src: Float32Array,
  srcI: Int32Array,
): void {
  if (store.kind === 'quantized') {
    store.scales[g] = sqrt
      ? quantizeGroup(SQ, 0, count, false, false, store.codes, off)
      : quantizeGroup(src, 0, count, true, true, store.codes, off);
    return;
  }
  const d = store.data;
  if (store.dtype === 'float32') {
    for (let i = 0; i < count; i++) d[off + i] = src[i];
  } else if (store.dtype === 'bfloat16') {
    for (let i = 0; i < count; i++) {
      const x = srcI[i];
      d[off + i] =
        (x & 0x7fffffff) > 0x7f800000
          ? ((x >>> 16) & 0x8000) | 0x7fc0
          : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  } else {
    for (let i = 0; i < count; i++) d[off + i] = f16FromF32Bits(srcI[i]);
  }
}

/** 2^-125: fp32 quotients at or above this are normal, where x·(1/a) rounds like x/a. */
const NORMAL_GUARD = 2 ** -125;

/**
 * fp32(x/a) computed as x·(1/a) in doubles. For fp32 x and a the exact quotient is never within
 * 2^-49 (relative) of an fp32 rounding boundary, while the double product is within ~2^-52 of it,
 * so both round to the same fp32 value whenever the result is normal; subnormal results fall back
 * to the real division.
 */
function divByRecip(x: number, a: number, inv: number): number {
  const q = Math.fround(x * inv);
  return Math.abs(q) >= NORMAL_GUARD ? q : Math.fround(x / a);
}

/**
 * Everything the bf16 + int8-ECC + quantized Adam block kernel reads, in one monomorphic object:
 * the per-block function below stays small and hot (V8 optimizes it by call count), instead of
 * relying on on-stack replacement of one long loop.
 */
class AdamFastJob {
  constructor(
    readonly pd: Uint16Array,
    /** The gradient when it is fp32 (else null)… */
    readonly gf: Float32Array | null,
    /** …or its bf16/fp16 bits, decoded through `gTable`. */
    readonly gu: Uint16Array | null,
    readonly gTable: Float32Array,
    readonly ecc: Int8Array,
    readonly mc: Int8Array,
    readonly ms: Uint16Array,
    readonly vc: Uint8Array,
    readonly vs: Uint16Array,
    readonly b1: number,
    readonly b2: number,
    readonly omb1: number,
    readonly omb2: number,
    readonly lr: number,
    readonly eps: number,
    readonly bc1: number,
    readonly bc2: number,
    readonly decay: number,
    readonly wd: number,
  ) {}
}

const BF16 = eccFormat('bfloat16');
const BF16_HALF_ULP = BF16.halfUlp;
const BF16_INV_HALF_ULP = BF16.invHalfUlp;
const RHO8 = rhoScaleTable(127);
const F16_VALUES = narrowToF32Table('float16');
const LEVELS_M = dequantLevels(MOMENTUM_QUANT);
const LEVELS_V = dequantLevels(VARIANCE_QUANT);

/**
 * One block [off, off+count) (whole groups, at most BLOCK elements, starting on a group boundary)
 * of the common configuration: the same fp32 operations as the generic path.
 */
function adamFastBlock(job: AdamFastJob, off: number, count: number): void {
  const { pd, gf, gu, gTable, ecc, mc, ms, vc, vs, b1, b2, omb1, omb2, lr, eps, bc1, bc2 } = job;
  const { decay, wd } = job;
  const halfUlp = BF16_HALF_ULP;
  const invHalfUlp = BF16_INV_HALF_ULP;
  const rhoS = RHO8;
  const lvM = LEVELS_M;
  const lvV = LEVELS_V;
  const ibc1 = 1 / bc1;
  const ibc2 = 1 / bc2;
  const g0 = off / GROUP_SIZE;
  const groups = Math.ceil(count / GROUP_SIZE);
  for (let k = 0; k < groups; k++) {
    SCALE_M[k] = F16_VALUES[ms[g0 + k]];
    SCALE_V[k] = F16_VALUES[vs[g0 + k]];
  }
  // Short loops with independent iterations (loop fission): each body's fp32 chain is long, and
  // splitting it lets the CPU overlap many elements instead of waiting on one long chain.
  for (let i = 0; i < count; i++) {
    const j = off + i;
    const b = pd[j];
    RI[i] = b << 16;
    const q = Math.fround(rhoS[ecc[j] & 0xff] * halfUlp[(b >>> 7) & 0xff]);
    T[i] = R[i] + q;
  }
  if (gf !== null) for (let i = 0; i < count; i++) G[i] = gf[off + i];
  else if (gu !== null) for (let i = 0; i < count; i++) G[i] = gTable[gu[off + i]];
  for (let i = 0; i < count; i++) {
    const j = off + i;
    let gi = G[i];
    if (wd !== 0) gi = Math.fround(gi + Math.fround(wd * T[i]));
    const mOld = Math.fround(lvM[mc[j] & 0xff] * SCALE_M[i >>> 5]);
    const r = Math.fround(lvV[vc[j]] * SCALE_V[i >>> 5]);
    M1[i] = Math.fround(mOld * b1) + Math.fround(gi * omb1);
    M2[i] = Math.fround(Math.fround(r * r) * b2) + Math.fround(Math.fround(gi * gi) * omb2);
  }
  for (let i = 0; i < count; i++) {
    const m = M1[i];
    const v = M2[i];
    const num = Math.fround(lr * divByRecip(m, bc1, ibc1));
    const den = Math.fround(Math.fround(Math.sqrt(divByRecip(v, bc2, ibc2))) + eps);
    T[i] = Math.fround(T[i] * decay) - Math.fround(num / den);
    SQ[i] = Math.sqrt(v);
  }
  for (let i = 0; i < count; i++) {
    const x = TI[i];
    const nb =
      (x & 0x7fffffff) > 0x7f800000
        ? ((x >>> 16) & 0x8000) | 0x7fc0
        : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    pd[off + i] = nb;
    RI[i] = nb << 16;
    let en = Math.fround(Math.fround(T[i] - R[i]) * invHalfUlp[(nb >>> 7) & 0xff]);
    if (en > 1) en = 1;
    else if (en < -1) en = -1;
    R[i] = en * 127;
  }
  for (let i = 0; i < count; i++) {
    // ρ = sign(y)·floor(|y| + 0.5) without a branch on the (unpredictable) sign: the sign mask
    // comes from y's fp32 bits; `| 0` truncates the non-negative fround (NaN → 0).
    const sgn = RI[i] >> 31;
    ecc[off + i] = ((Math.fround(Math.abs(R[i]) + 0.5) | 0) ^ sgn) - sgn;
  }
  for (let k = 0, s = 0; s < count; k++, s += GROUP_SIZE) {
    const c = Math.min(count - s, GROUP_SIZE);
    ms[g0 + k] = quantizeGroup(M1, s, c, true, true, mc, off + s);
    vs[g0 + k] = quantizeGroup(SQ, s, c, false, false, vc, off + s);
  }
}

/** The common configuration (bf16 param, int8 ECC, quantized moments), block by block. */
function adamFast(job: AdamFastJob): void {
  const n = job.pd.length;
  for (let off = 0; off < n; off += BLOCK) adamFastBlock(job, off, Math.min(n - off, BLOCK));
}

/** Which implementation runs the specialised FlashAdam loop: WebAssembly SIMD or plain JS. */
export type FlashKernelEngine = 'wasm-simd' | 'js';

let kernelMode: 'auto' | 'js' | 'wasm-simd' = 'auto';

/**
 * The engine of the specialised FlashAdam(W) loop (bf16 param + int8 ECC + quantized moments):
 * 'wasm-simd' when WebAssembly SIMD is available, else (or after `setFlashKernelEngine('js')`)
 * 'js'. Both give the same bits. The first call instantiates the wasm module.
 */
export function flashKernelEngine(): FlashKernelEngine {
  return kernelMode !== 'js' && flashWasmEngine() ? 'wasm-simd' : 'js';
}

/**
 * Forces the JS loop ('js'), requires the wasm kernel ('wasm-simd': throws where this runtime
 * cannot run it) or restores the default ('auto': wasm SIMD when available), and returns the
 * engine now in use. For benchmarks and for verifying both engines.
 */
export function setFlashKernelEngine(engine: 'auto' | 'js' | 'wasm-simd'): FlashKernelEngine {
  if (engine !== 'auto' && engine !== 'js' && engine !== 'wasm-simd') {
    fail(
      'setFlashKernelEngine',
      `engine ${String(engine)} is unknown, expected 'auto', 'js' or 'wasm-simd'`,
    );
  }
  if (engine === 'wasm-simd' && !flashWasmEngine()) {
    fail('setFlashKernelEngine', 'WebAssembly SIMD is not available in this runtime');
  }
  kernelMode = engine;
  return flashKernelEngine();
}

/**
 * One FlashAdam(W) update of one parameter (docs/flashoptim.md#update-rules), in place. `step`
 * counts updates including this one (1 on the first). `ecc` absent: no correction (narrow
 * params are upcast, updated and RTNE-cast back; fp32 params are updated in place).
 */
export function flashAdamStep(args: {
  param: FlashParam;
  grad: FlashGrad;
  ecc?: Int8Array | Int16Array;
  expAvg: MomentStore;
  expAvgSq: MomentStore;
  step: number;
  hyper: FlashAdamHyper;
}): void {
  const { param, grad, ecc, expAvg, expAvgSq, step, hyper } = args;
  const what = 'flashAdamStep';
  const n = checkCommon(what, param, grad, ecc);
  checkMoment(what, 'expAvg', expAvg, n, true, param);
  checkMoment(what, 'expAvgSq', expAvgSq, n, false, param);
  if (!(Number.isInteger(step) && step >= 1)) {
    fail(
      what,
      `step ${step} is not a positive integer, expected the update count including this one (1 on the first)`,
    );
  }
  const b1 = Math.fround(hyper.beta1);
  const b2 = Math.fround(hyper.beta2);
  const omb1 = Math.fround(1 - b1);
  const omb2 = Math.fround(1 - b2);
  const lr = Math.fround(hyper.lr);
  const eps = Math.fround(hyper.eps);
  const bc1 = Math.fround(1 - Math.fround(b1 ** step));
  const bc2 = Math.fround(1 - Math.fround(b2 ** step));
  const decoupled = hyper.decoupled;
  const decay = decoupled
    ? decayFactor(hyper.weightDecay, hyper.lr, hyper.decoupleLr, hyper.initialLr)
    : 1;
  const wd = decoupled ? 0 : Math.fround(hyper.weightDecay);
  const sqQuant = expAvgSq.kind === 'quantized';
  if (
    param.dtype === 'bfloat16' &&
    ecc instanceof Int8Array &&
    grad.dtype !== 'float64' &&
    expAvg.kind === 'quantized' &&
    expAvgSq.kind === 'quantized'
  ) {
    const job = {
      pd: param.data as Uint16Array,
      grad: grad.data as Float32Array | Uint16Array,
      gradDtype: grad.dtype,
      ecc,
      mc: expAvg.codes as Int8Array,
      ms: expAvg.scales,
      vc: expAvgSq.codes as Uint8Array,
      vs: expAvgSq.scales,
      ...{ b1, b2, omb1, omb2, lr, eps, bc1, bc2, decay, wd },
    };
    const wasm = kernelMode === 'js' ? null : flashWasmEngine();
    if (wasm !== null) wasm.adam(job);
    else {
      const { pd, grad: g, mc, ms, vc, vs } = job;
      adamFast(
        new AdamFastJob(
          pd,
          g instanceof Float32Array ? g : null,
          g instanceof Uint16Array ? g : null,
          narrowToF32Table(grad.dtype === 'float16' ? 'float16' : 'bfloat16'),
          ecc,
          mc,
          ms,
          vc,
          vs,
          b1,
          b2,
          omb1,
          omb2,
          lr,
          eps,
          bc1,
          bc2,
          decay,
          wd,
        ),
      );
    }
    return;
  }
  for (let g = 0, off = 0; off < n; g++, off += GROUP_SIZE) {
    const count = Math.min(n - off, GROUP_SIZE);
    loadGrad(grad, off, count);
    loadParam(param, ecc, off, count);
    if (wd !== 0) for (let i = 0; i < count; i++) G[i] = G[i] + Math.fround(wd * T[i]);
    loadMoment(expAvg, false, g, off, count, M1);
    loadMoment(expAvgSq, true, g, off, count, M2);
    for (let i = 0; i < count; i++) {
      const gi = G[i];
      const m = Math.fround(Math.fround(M1[i] * b1) + Math.fround(gi * omb1));
      const v = Math.fround(Math.fround(M2[i] * b2) + Math.fround(Math.fround(gi * gi) * omb2));
      M1[i] = m;
      M2[i] = v;
      const th = decoupled ? Math.fround(T[i] * decay) : T[i];
      const num = Math.fround(lr * Math.fround(m / bc1));
      const den = Math.fround(Math.fround(Math.sqrt(Math.fround(v / bc2))) + eps);
      T[i] = th - Math.fround(num / den);
      if (sqQuant) SQ[i] = Math.sqrt(v);
    }
    storeParam(param, ecc, off, count);
    storeMoment(expAvg, false, g, off, count, M1, M1I);
    storeMoment(expAvgSq, true, g, off, count, M2, M2I);
  }
}

/**
 * One FlashLion update (docs/flashoptim.md#update-rules), in place: u = sign(β1·m + (1−β1)·g)
 * with sign(0) = 0, m ← β2·m + (1−β2)·g, θ ← θ·(1 − λ_eff) − lr·u. The gradient never gets
 * weight decay.
 */
export function flashLionStep(args: {
  param: FlashParam;
  grad: FlashGrad;
  ecc?: Int8Array | Int16Array;
  expAvg: MomentStore;
  hyper: FlashLionHyper;
}): void {
  const { param, grad, ecc, expAvg, hyper } = args;
  const what = 'flashLionStep';
  const n = checkCommon(what, param, grad, ecc);
  checkMoment(what, 'expAvg', expAvg, n, true, param);
  const b1 = Math.fround(hyper.beta1);
  const b2 = Math.fround(hyper.beta2);
  const omb1 = Math.fround(1 - b1);
  const omb2 = Math.fround(1 - b2);
  const lr = Math.fround(hyper.lr);
  const decay = decayFactor(hyper.weightDecay, hyper.lr, hyper.decoupleLr, hyper.initialLr);
  for (let g = 0, off = 0; off < n; g++, off += GROUP_SIZE) {
    const count = Math.min(n - off, GROUP_SIZE);
    loadGrad(grad, off, count);
    loadParam(param, ecc, off, count);
    loadMoment(expAvg, false, g, off, count, M1);
    for (let i = 0; i < count; i++) {
      const gi = G[i];
      const mi = M1[i];
      const c = Math.fround(Math.fround(mi * b1) + Math.fround(gi * omb1));
      M1[i] = Math.fround(mi * b2) + Math.fround(gi * omb2);
      const u = c > 0 ? lr : c < 0 ? -lr : c; // sign(c)·lr; NaN stays NaN, ±0 gives 0
      T[i] = Math.fround(T[i] * decay) - u;
    }
    storeParam(param, ecc, off, count);
    storeMoment(expAvg, false, g, off, count, M1, M1I);
  }
}

/**
 * One FlashSGD(W) update (docs/flashoptim.md#update-rules), in place. With `momentumBuffer`
 * (momentum > 0): b ← μ·b + (1−d)·g, then θ ← θ − lr·(g + μ·b) (Nesterov) or θ − lr·b. Note
 * the first step gives b = (1−d)·g, where torch's SGD sets b = g; the two agree when
 * dampening is 0. With
 * momentum exactly 0 the plain path θ ← θ − lr·g runs and a given buffer is left untouched (a
 * param gets a buffer whenever any group uses momentum). SGD adds λ·θ to g; SGDW scales θ by
 * 1 − λ_eff.
 */
export function flashSgdStep(args: {
  param: FlashParam;
  grad: FlashGrad;
  ecc?: Int8Array | Int16Array;
  momentumBuffer?: MomentStore;
  hyper: FlashSgdHyper;
}): void {
  const { param, grad, ecc, hyper } = args;
  const momentumBuffer = hyper.momentum === 0 ? undefined : args.momentumBuffer;
  const what = 'flashSgdStep';
  const n = checkCommon(what, param, grad, ecc);
  if (args.momentumBuffer !== undefined) {
    checkMoment(what, 'momentumBuffer', args.momentumBuffer, n, true, param);
  } else if (hyper.momentum !== 0) {
    fail(
      what,
      `momentum is ${hyper.momentum} but no momentumBuffer was given, expected one whenever momentum != 0`,
    );
  }
  const mu = Math.fround(hyper.momentum);
  const omd = Math.fround(1 - Math.fround(hyper.dampening));
  const lr = Math.fround(hyper.lr);
  const decoupled = hyper.decoupled;
  const decay = decoupled
    ? decayFactor(hyper.weightDecay, hyper.lr, hyper.decoupleLr, hyper.initialLr)
    : 1;
  const wd = decoupled ? 0 : Math.fround(hyper.weightDecay);
  const nesterov = hyper.nesterov;
  for (let g = 0, off = 0; off < n; g++, off += GROUP_SIZE) {
    const count = Math.min(n - off, GROUP_SIZE);
    loadGrad(grad, off, count);
    loadParam(param, ecc, off, count);
    if (wd !== 0) for (let i = 0; i < count; i++) G[i] = G[i] + Math.fround(wd * T[i]);
    if (momentumBuffer === undefined) {
      for (let i = 0; i < count; i++) {
        const th = decoupled ? Math.fround(T[i] * decay) : T[i];
        T[i] = th - Math.fround(lr * G[i]);
      }
    } else {
      loadMoment(momentumBuffer, false, g, off, count, M1);
      for (let i = 0; i < count; i++) {
        const gi = G[i];
        const b = Math.fround(Math.fround(mu * M1[i]) + Math.fround(omd * gi));
        M1[i] = b;
        const th = decoupled ? Math.fround(T[i] * decay) : T[i];
        const dir = nesterov ? Math.fround(gi + Math.fround(mu * b)) : b;
        T[i] = th - Math.fround(lr * dir);
      }
    }
    storeParam(param, ecc, off, count);
    if (momentumBuffer !== undefined) storeMoment(momentumBuffer, false, g, off, count, M1, M1I);
  }
}
