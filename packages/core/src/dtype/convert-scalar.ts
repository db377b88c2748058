/**
 * Scalar conversions between JS numbers and the half formats' bit patterns. The bulk paths
 * (`convert.ts`) use the same rules; these are for single values, tests and other modules.
 *
 * Narrowing rules (all formats): round to nearest, ties to even; overflow gives ±inf; subnormals
 * are kept; the sign of zero is kept; NaN gives a quiet NaN with the input's sign (bf16 0x7fc0,
 * fp16 0x7e00, ORed with 0x8000 for a negative NaN).
 */
import { DTYPES, type DType } from './dtypes.js';

// One-element scratch views to read a number's fp32 / f64 bits without allocating.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);
const scratchF64 = new Float64Array(1);
const scratchF64Words = new Uint32Array(scratchF64.buffer);

/** Index of the high (sign and exponent) 32-bit word of a double in a Uint32Array view. */
export const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** 2^52: adding and subtracting it rounds a double in [0, 2^52) to an integer, ties to even. */
export const RNE_INTEGER_MAGIC = 4503599627370496;
/** 2^24: one fp16 subnormal step (2^-24) expressed as a multiplier. */
export const F16_SUBNORMAL_SCALE = 16777216;

/**
 * bf16 bits from an fp32 bit pattern. RNE on the 16 dropped bits: adding 0x7fff plus the
 * lowest kept bit carries exactly when the dropped part is above half, or exactly half with an
 * odd kept part; a carry out of the mantissa bumps the exponent, up to inf (0x7f80).
 */
export function bf16FromF32Bits(bits: number): number {
  const x = bits >>> 0;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) & 0x8000) | 0x7fc0;
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/**
 * fp16 bits from an fp32 bit pattern. Normal range: rebias the exponent (127 → 15) and round
 * the 13 dropped bits like `bf16FromF32Bits`. Below 2^-14 the result is the subnormal count
 * |x| / 2^-24, rounded to an integer by the double adder (exact: |x| has 24 bits).
 */
export function f16FromF32Bits(bits: number): number {
  const x = bits >>> 0;
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00;
  // 0x477ff000 is 65520, half-way between fp16 max (65504) and 2^16: it and above round to inf.
  if (a >= 0x477ff000) return sign | 0x7c00;
  if (a >= 0x38800000) {
    const t = a - 0x38000000;
    return sign | ((t + 0xfff + ((t >>> 13) & 1)) >>> 13);
  }
  scratchU32[0] = a;
  const steps = scratchF32[0] * F16_SUBNORMAL_SCALE;
  return sign | (steps + RNE_INTEGER_MAGIC - RNE_INTEGER_MAGIC);
}

/**
 * The fp32 bit pattern of a double rounded to ODD: truncated toward zero, with the last bit set
 * if anything was dropped. Rounding that fp32 to a half format (8 or 11 significant bits, 2+
 * fewer than fp32's 24, also in fp32's subnormal range whose grid is 2^16 times finer than
 * bf16's) equals rounding the double directly (Boldo & Melquiond, "Emulation of FMA and
 * correctly rounded sums: proved algorithms using rounding to odd"), so f64 → half stays one
 * rounding, where f64 → fp32 (RNE) → half could round twice. Overflow: fround gives inf, the
 * step back yields 0x7f7fffff, which every half format rounds to inf.
 */
export function f32OddBitsFromF64(x: number): number {
  scratchF32[0] = x;
  const f = scratchF32[0];
  let bits = scratchU32[0];
  if (f !== x) {
    if (Number.isNaN(x)) {
      scratchF64[0] = x;
      return ((scratchF64Words[HIGH_WORD] & 0x80000000) | 0x7fc00000) >>> 0;
    }
    // fround rounded away from zero: step back one ulp to get the truncation.
    if (Math.abs(f) > Math.abs(x)) bits -= 1;
    bits = (bits | 1) >>> 0;
  }
  return bits;
}

/** bf16 bits of `x` after rounding it to fp32 first (what a Float32Array store does). */
export function f32ToBf16Bits(x: number): number {
  scratchF32[0] = x;
  return bf16FromF32Bits(scratchU32[0]);
}

/** fp16 bits of `x` after rounding it to fp32 first (what a Float32Array store does). */
export function f32ToF16Bits(x: number): number {
  scratchF32[0] = x;
  return f16FromF32Bits(scratchU32[0]);
}

/** bf16 bits of the double `x`, rounded once (RNE) from its exact value. */
export function f64ToBf16Bits(x: number): number {
  return bf16FromF32Bits(f32OddBitsFromF64(x));
}

/** fp16 bits of the double `x`, rounded once (RNE) from its exact value. */
export function f64ToF16Bits(x: number): number {
  return f16FromF32Bits(f32OddBitsFromF64(x));
}

/** The value of a bf16 bit pattern (exact: bf16 is the top half of an fp32). */
export function bf16BitsToF32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0];
}

/** The value of an fp16 bit pattern, decoded arithmetically (exact). */
export function f16BitsToF32(bits: number): number {
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  let magnitude: number;
  if (exponent === 0) magnitude = mantissa * 2 ** -24;
  else if (exponent === 0x1f) magnitude = mantissa === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  else magnitude = (mantissa + 1024) * 2 ** (exponent - 25);
  return bits & 0x8000 ? -magnitude : magnitude;
}

/**
 * Float → integer value: truncate toward zero, then saturate to [min, max]; NaN → 0 and ±inf
 * saturate. (C and torch leave out-of-range float → int undefined or wrap; mixprec saturates.)
 */
export function saturateToInt(x: number, min: number, max: number): number {
  if (Number.isNaN(x)) return 0;
  if (x <= min) return min;
  if (x >= max) return max;
  // `|| 0` turns the -0 of Math.trunc(-0.5) into 0: integers have no signed zero.
  return Math.trunc(x) || 0;
}

/**
 * The value `x` becomes after a round trip through `dtype`: floats round RNE once from the
 * exact double (fp32, bf16, fp16), integers truncate and saturate (NaN → 0), bool is x !== 0
 * (NaN → 1).
 */
export function roundToDtype(x: number, dtype: DType): number {
  switch (dtype) {
    case 'float64':
      return x;
    case 'float32':
      return Math.fround(x);
    case 'bfloat16':
      return bf16BitsToF32(f64ToBf16Bits(x));
    case 'float16':
      return f16BitsToF32(f64ToF16Bits(x));
    case 'bool':
      return x !== 0 ? 1 : 0;
    default:
      return saturateToInt(x, DTYPES[dtype].min, DTYPES[dtype].max);
  }
}
