/**
 * The suite's own float arithmetic: decoding, rounding and ulp distances for the float dtypes,
 * written from the IEEE formats alone. Deliberately independent of core's conversion module
 * (`dtype/convert.ts`): the suite checks backends that use that module, so it must not borrow
 * its answers from it.
 */

/** The float dtypes the suite computes expectations for. */
export type FloatDt = 'bfloat16' | 'float16' | 'float32' | 'float64';

interface Format {
  /** Explicit mantissa bits. */
  readonly p: number;
  /** Exponent bits. */
  readonly ebits: number;
  /** Smallest normal exponent. */
  readonly emin: number;
  /** Largest finite value. */
  readonly max: number;
}

const fmt = (p: number, ebits: number): Format => {
  const bias = 2 ** (ebits - 1) - 1;
  return { p, ebits, emin: 1 - bias, max: (2 - 2 ** -p) * 2 ** bias };
};

/** IEEE parameters of each float dtype. */
export const FORMATS: Readonly<Record<FloatDt, Format>> = {
  bfloat16: fmt(7, 8),
  float16: fmt(10, 5),
  float32: fmt(23, 8),
  float64: fmt(52, 11),
};

/** Short names used in case ids (`op/add/bf16`). */
export const SHORT: Readonly<Record<FloatDt, string>> = {
  bfloat16: 'bf16',
  float16: 'fp16',
  float32: 'f32',
  float64: 'f64',
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** Float32 value of 32 raw bits. */
export function f32FromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0];
}

/** Raw bits of a float32 value (the value must be a float32). */
export function f32Bits(value: number): number {
  f32[0] = value;
  return u32[0];
}

/** Value of a 16-bit pattern of `dtype` (exact: every half value is a float64). */
export function halfValue(bits: number, dtype: 'bfloat16' | 'float16'): number {
  if (dtype === 'bfloat16') return f32FromBits((bits & 0xffff) << 16);
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Infinity : Number.NaN;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1024 + m) * 2 ** (e - 25);
}

/**
 * Rounds a float64 to the nearest value of `dtype`, ties to even, overflow to ±inf, subnormals
 * kept, NaN stays NaN. Works on the exact value: x / quantum is exact because the quantum is a
 * power of two well inside float64's range.
 */
export function roundTo(x: number, dtype: FloatDt): number {
  if (dtype === 'float64' || !Number.isFinite(x) || x === 0) return x;
  // Math.fround is specified as IEEE roundTiesToEven, so it is the float32 reference.
  if (dtype === 'float32') return Math.fround(x);
  const { p, emin, max } = FORMATS[dtype];
  const a = Math.abs(x);
  const e = Math.max(Math.floor(Math.log2(a)), emin);
  // log2 may be off by one near powers of two; fix e so that 2^e <= a < 2^(e+1) (or e = emin).
  let exp = e;
  if (exp > emin && 2 ** exp > a) exp--;
  if (2 ** (exp + 1) <= a) exp++;
  const quantum = 2 ** (Math.max(exp, emin) - p);
  const r = a / quantum;
  let n = Math.floor(r);
  const frac = r - n;
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n++;
  const rounded = n * quantum;
  // Anything that rounds above max lies at or beyond the overflow threshold: ±inf.
  const out = rounded > max ? Infinity : rounded;
  return x < 0 ? -out : out;
}

/** Bits of a value exactly representable in a half dtype (NaN gives the quiet NaN). */
export function halfBits(value: number, dtype: 'bfloat16' | 'float16'): number {
  if (dtype === 'bfloat16') {
    if (Number.isNaN(value)) return 0x7fc0;
    return f32Bits(value) >>> 16;
  }
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | (a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | (a / 2 ** (e - 10) - 1024);
}

/** Whether `value` is exactly representable in `dtype`. */
export function representable(value: number, dtype: FloatDt): boolean {
  return Number.isNaN(value) || Object.is(roundTo(value, dtype), value);
}

/**
 * Distance in ulps of `dtype` between two values of that dtype: the number of bit patterns
 * between them in value order. ±0 are equal; two NaNs are 0 apart, NaN and a number infinitely.
 */
export function ulpDistance(a: number, b: number, dtype: FloatDt): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (dtype === 'float64') {
    const d = ordered64(a) - ordered64(b);
    return Number(d < 0n ? -d : d);
  }
  return Math.abs(ordered(a, dtype) - ordered(b, dtype));
}

// Sign-magnitude bits to a signed integer in value order, with -0 and +0 both at 0.
function ordered(v: number, dtype: 'bfloat16' | 'float16' | 'float32'): number {
  const bits = dtype === 'float32' ? f32Bits(v) : halfBits(v, dtype);
  const signBit = dtype === 'float32' ? 0x80000000 : 0x8000;
  const magnitude = dtype === 'float32' ? bits & 0x7fffffff : bits & 0x7fff;
  return bits >= signBit ? -magnitude : magnitude;
}

function ordered64(v: number): bigint {
  f64[0] = v;
  const bits = i64[0];
  return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits;
}

/** Formats a value for failure messages: the number and, for non-f64 floats, its bits. */
export function show(value: number, dtype: FloatDt): string {
  const text = Object.is(value, -0) ? '-0' : String(value);
  if (dtype === 'float64') return text;
  if (Number.isNaN(value)) return 'NaN';
  const bits = dtype === 'float32' ? f32Bits(value) : halfBits(value, dtype);
  return `${text} (0x${bits.toString(16).padStart(dtype === 'float32' ? 8 : 4, '0')})`;
}
