/**
 * Master-weight error correction (docs/flashoptim.md#error-correction-bits). An fp32 master θ
 * is kept as its RTNE narrow copy θ' (the tensor the model uses) plus a small integer ρ: the
 * rounding residual θ − θ' measured in half-ULPs of θ' and scaled to ±M (M = 127 for int8
 * "24-bit" masters, 32767 for int16 "32-bit" masters). RTNE keeps the residual within half an ULP, so no per-group
 * scale is needed. All arithmetic is fp32 (`Math.fround` after each operation).
 */
import { MixprecError } from '../../errors/mixprec-error.js';
import {
  bf16FromF32Bits,
  f16FromF32Bits,
  type NarrowDType,
  narrowBitsToF32,
  narrowToF32Table,
} from './fp32.js';

export type { NarrowDType } from './fp32.js';

/** Per-dtype constants and exact power-of-two tables indexed by the narrow exponent field. */
export interface EccFormat {
  /** Shift that moves the exponent field of a 16-bit pattern to bit 0 (= mantissa bits). */
  readonly shift: number;
  /** 2^s, s = log2 of half an ULP of a narrow value with that exponent field (docs/flashoptim.md#error-correction-bits). */
  readonly halfUlp: Float64Array;
  /** 2^−s, the encoder's scaling to units of half an ULP. */
  readonly invHalfUlp: Float64Array;
  /** Narrow bit pattern → fp32 value. */
  readonly toF32: Float32Array;
}

const formats = new Map<NarrowDType, EccFormat>();

/** The tables the encoder and decoder use for `dtype`, built once. */
export function eccFormat(dtype: NarrowDType): EccFormat {
  let f = formats.get(dtype);
  if (f === undefined) {
    const mant = dtype === 'bfloat16' ? 7 : 10;
    const bias = dtype === 'bfloat16' ? 127 : 15;
    const fields = 1 << (15 - mant);
    const halfUlp = new Float64Array(fields);
    const invHalfUlp = new Float64Array(fields);
    for (let field = 0; field < fields; field++) {
      // Zero and subnormals share the smallest normal exponent; inf/NaN keep their field.
      const e = field === 0 ? 1 - bias : field - bias;
      const s = e - mant - 1;
      halfUlp[field] = 2 ** s;
      invHalfUlp[field] = 2 ** -s;
    }
    f = { shift: mant, halfUlp, invHalfUlp, toF32: narrowToF32Table(dtype) };
    formats.set(dtype, f);
  }
  return f;
}

const rhoScaleTables = new Map<number, Float32Array>();

/**
 * fp32(ρ/M) for every ρ an Int8Array (M = 127, indexed by ρ & 0xff) or Int16Array (M = 32767,
 * indexed by ρ & 0xffff) can hold: exact, and saves a division per decoded element.
 */
export function rhoScaleTable(m: 127 | 32767): Float32Array {
  let t = rhoScaleTables.get(m);
  if (t === undefined) {
    const size = m === 127 ? 256 : 65536;
    const half = size >>> 1;
    t = new Float32Array(size);
    for (let i = 0; i < size; i++) t[i] = (i >= half ? i - size : i) / m;
    rhoScaleTables.set(m, t);
  }
  return t;
}

/** M for a correction array: 127 for int8, 32767 for int16. */
export function eccMax(rho: Int8Array | Int16Array): 127 | 32767 {
  return rho instanceof Int8Array ? 127 : 32767;
}

/**
 * Encode (docs/flashoptim.md#error-correction-bits) for one element: the correction code of
 * fp32 master `theta` given its narrow bits. e = θ − θ' (fp32), scaled to half-ULPs, clamped
 * to [−1, 1], times M, rounded half away from zero. A NaN master gives 0 (what a typed-array
 * store of NaN gives).
 */
export function eccEncode1(
  theta: number,
  narrowBits: number,
  dtype: NarrowDType,
  m: number,
): number {
  const fmt = eccFormat(dtype);
  const r = fmt.toF32[narrowBits & 0xffff];
  const e = Math.fround(Math.fround(theta) - r);
  let en = Math.fround(e * fmt.invHalfUlp[(narrowBits & 0x7fff) >>> fmt.shift]);
  if (en > 1) en = 1;
  else if (en < -1) en = -1;
  const y = Math.fround(en * m);
  const rho = y < 0 ? -Math.floor(Math.fround(0.5 - y)) : Math.floor(Math.fround(y + 0.5));
  return Number.isNaN(rho) ? 0 : rho + 0;
}

/** Decode for one element: fp32(θ' + fp32(fp32(ρ/M)·2^s)), subnormals kept (docs/flashoptim.md#error-correction-bits). */
export function eccDecode1(narrowBits: number, dtype: NarrowDType, rho: number, m: number): number {
  const fmt = eccFormat(dtype);
  const r = narrowBitsToF32(narrowBits & 0xffff, dtype);
  const q = Math.fround(Math.fround(rho / m) * fmt.halfUlp[(narrowBits & 0x7fff) >>> fmt.shift]);
  return Math.fround(r + q);
}

function checkSameLength(what: string, name: string, got: number, n: number): void {
  if (got !== n) {
    throw new MixprecError(
      `${what}: ${name} has length ${got}, expected ${n} (same as the master)`,
    );
  }
}

/** RTNE fp32 → narrow bit patterns (the param copy the model computes with). */
export function narrowInto(theta: Float32Array, dtype: NarrowDType, out: Uint16Array): void {
  checkSameLength('narrowInto', 'out', out.length, theta.length);
  const bits = new Uint32Array(theta.buffer, theta.byteOffset, theta.length);
  const n = theta.length;
  if (dtype === 'bfloat16') for (let i = 0; i < n; i++) out[i] = bf16FromF32Bits(bits[i]);
  else for (let i = 0; i < n; i++) out[i] = f16FromF32Bits(bits[i]);
}

/** Encode (docs/flashoptim.md#error-correction-bits): `rho[i]` for master `theta[i]` and its narrow copy `narrow[i]`. */
export function eccEncodeInto(
  theta: Float32Array,
  narrow: Uint16Array,
  dtype: NarrowDType,
  rho: Int8Array | Int16Array,
): void {
  const n = theta.length;
  checkSameLength('eccEncodeInto', 'narrow', narrow.length, n);
  checkSameLength('eccEncodeInto', 'rho', rho.length, n);
  const fmt = eccFormat(dtype);
  const { toF32, invHalfUlp, shift } = fmt;
  const m = eccMax(rho);
  for (let i = 0; i < n; i++) {
    const b = narrow[i];
    const e = Math.fround(theta[i] - toF32[b]);
    let en = Math.fround(e * invHalfUlp[(b & 0x7fff) >>> shift]);
    if (en > 1) en = 1;
    else if (en < -1) en = -1;
    const y = Math.fround(en * m);
    rho[i] = y < 0 ? -Math.floor(Math.fround(0.5 - y)) : Math.floor(Math.fround(y + 0.5));
  }
}

/** Decode (docs/flashoptim.md#error-correction-bits): the fp32 masters for `narrow` and its corrections `rho`. */
export function eccDecodeInto(
  narrow: Uint16Array,
  dtype: NarrowDType,
  rho: Int8Array | Int16Array,
  out: Float32Array,
): void {
  const n = narrow.length;
  checkSameLength('eccDecodeInto', 'rho', rho.length, n);
  checkSameLength('eccDecodeInto', 'out', out.length, n);
  const { toF32, halfUlp, shift } = eccFormat(dtype);
  const m = eccMax(rho);
  const scale = rhoScaleTable(m);
  const mask = m === 127 ? 0xff : 0xffff;
  for (let i = 0; i < n; i++) {
    const b = narrow[i];
    out[i] = toF32[b] + Math.fround(scale[rho[i] & mask] * halfUlp[(b & 0x7fff) >>> shift]);
  }
}

/**
 * flashoptim `compute_ecc_bits`: corrections for a 2-byte param. `masterBytewidth` 3 (24-bit
 * masters) gives int8 codes, 4 (32-bit masters) int16 codes.
 */
export function computeEccBits(
  theta: Float32Array,
  narrow: Uint16Array,
  dtype: NarrowDType,
  masterBytewidth: 3 | 4,
): Int8Array | Int16Array {
  if (dtype !== 'bfloat16' && dtype !== 'float16') {
    throw new MixprecError(
      `computeEccBits: dtype ${String(dtype)} has no error correction, expected 'bfloat16' or 'float16'`,
    );
  }
  if (masterBytewidth !== 3 && masterBytewidth !== 4) {
    throw new MixprecError(
      `computeEccBits: masterBytewidth ${String(masterBytewidth)} is not supported for a 2-byte param, expected 3 (int8 corrections, 24-bit masters) or 4 (int16 corrections, 32-bit masters)`,
    );
  }
  const rho = masterBytewidth === 3 ? new Int8Array(theta.length) : new Int16Array(theta.length);
  eccEncodeInto(theta, narrow, dtype, rho);
  return rho;
}

/** flashoptim `reconstruct_fp32_param`: the fp32 masters a narrow param and its corrections encode. */
export function reconstructFp32(
  narrow: Uint16Array,
  dtype: NarrowDType,
  rho: Int8Array | Int16Array,
): Float32Array {
  const out = new Float32Array(narrow.length);
  eccDecodeInto(narrow, dtype, rho, out);
  return out;
}
