// The SECOND, independent implementation of the half-format casts, used by verify-casts.mjs to
// check core's bulk module. Deliberately a different method from core's (no bit tricks on
// the IEEE encodings, no rounding to odd, no magic constants): it works on the VALUE with f64
// arithmetic. For a finite x != 0 with exponent e = floor(log2|x|), the target grid spacing is
// q = 2^(max(e, emin) - p + 1); |x| / q is exact in f64 (a power-of-two scaling), and it is
// rounded to an integer with an explicit half-even tie test, then scaled back. Results above
// the format's max become infinity. Decoding a 16-bit pattern uses integer division and
// remainders on the pattern read as a plain number.

/** Format parameters: precision p (with the implicit bit), exponent range, field widths. */
export const FORMATS = {
  bf16: { name: 'bf16', p: 8, emin: -126, emax: 127, mantissaBits: 7, exponentBits: 8 },
  f16: { name: 'fp16', p: 11, emin: -14, emax: 15, mantissaBits: 10, exponentBits: 5 },
};
for (const f of Object.values(FORMATS)) {
  f.max = (2 - 2 ** (1 - f.p)) * 2 ** f.emax;
  f.bias = 2 ** (f.exponentBits - 1) - 1;
}

// 2^k for k in [-1200, 1200], looked up instead of recomputed for every element.
const POW2_OFFSET = 1200;
const POW2 = new Float64Array(2 * POW2_OFFSET + 1);
for (let k = -POW2_OFFSET; k <= POW2_OFFSET; k++) POW2[k + POW2_OFFSET] = 2 ** k;
const pow2 = (k) => POW2[k + POW2_OFFSET];

/** floor(log2(a)) for a finite a > 0, corrected where Math.log2 rounds across an integer. */
export function exponentOf(a) {
  let e = Math.floor(Math.log2(a));
  if (pow2(e) > a) e -= 1;
  else if (pow2(e + 1) <= a) e += 1;
  return e;
}

/**
 * The value of x rounded to nearest, ties to even, in format f (NaN, ±0 and ±inf pass
 * through; overflow gives ±inf). `e` may be passed when already known (= exponentOf(|x|)).
 */
export function roundValue(x, f, e) {
  if (
    Number.isNaN(x) ||
    x === 0 ||
    x === Number.POSITIVE_INFINITY ||
    x === Number.NEGATIVE_INFINITY
  ) {
    return x;
  }
  const a = Math.abs(x);
  const exp = e === undefined ? exponentOf(a) : e;
  const k = Math.max(exp, f.emin) - f.p + 1;
  const q = pow2(k);
  const m = a * pow2(-k); // = a / q, exact (a power-of-two scaling; multiplying is faster)
  let n = Math.floor(m);
  const frac = m - n;
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n += 1;
  let r = n * q;
  if (r > f.max) r = Number.POSITIVE_INFINITY;
  return x < 0 ? -r : r;
}

/**
 * roundValue for every element of `f32`, into `refB` (bf16) and `refH` (fp16). Consecutive
 * inputs mostly share an exponent, so the binade [lo, hi) of the last one is kept and
 * exponentOf (Math.log2) runs only when |v| leaves it.
 */
export function roundAllF32(f32, refB, refH) {
  const bf = FORMATS.bf16;
  const fp = FORMATS.f16;
  let e = 0;
  let lo = 1;
  let hi = 2;
  for (let i = 0; i < f32.length; i++) {
    const v = f32[i];
    const a = Math.abs(v);
    if (a > 0 && a < Number.POSITIVE_INFINITY) {
      if (!(a >= lo && a < hi)) {
        e = exponentOf(a);
        lo = pow2(e);
        hi = pow2(e + 1);
      }
      refB[i] = roundValue(v, bf, e);
      refH[i] = roundValue(v, fp, e);
    } else {
      // NaN, ±0, ±inf pass through
      refB[i] = v;
      refH[i] = v;
    }
  }
}

/** The value of a 16-bit pattern of format f, from its fields taken by division. */
export function decodeValue(bits, f) {
  const signed = bits >= 32768;
  const rest = bits % 32768;
  const mantissaSteps = 2 ** f.mantissaBits;
  const exponentField = Math.floor(rest / mantissaSteps);
  const mantissa = rest % mantissaSteps;
  let magnitude;
  if (exponentField === 2 ** f.exponentBits - 1) {
    magnitude = mantissa === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  } else if (exponentField === 0) {
    magnitude = mantissa * pow2(f.emin - f.mantissaBits);
  } else {
    magnitude = (1 + mantissa / mantissaSteps) * pow2(exponentField - f.bias);
  }
  return signed ? -magnitude : magnitude;
}

/** decodeValue for all 65536 patterns of format f. */
export function decodeTable(f) {
  const table = new Float64Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = decodeValue(h, f);
  return table;
}

/** Same number, with -0 distinct from 0 and NaN equal to NaN. */
export function sameValue(a, b) {
  if (Number.isNaN(a)) return Number.isNaN(b);
  return a === b && (a !== 0 || 1 / a === 1 / b);
}

/** The quiet NaN pattern core promises for format f and a negative or positive input. */
export function nanPattern(f, negative) {
  return (negative ? 32768 : 0) + (f.name === 'bf16' ? 0x7fc0 : 0x7e00);
}

/** Deterministic 32-bit PRNG (mulberry32), so every run checks the same doubles. */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
