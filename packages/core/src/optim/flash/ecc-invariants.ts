/**
 * The exhaustive ECC invariant sweep of FlashOptim's test_ecc_invariants
 * (docs/flashoptim.md#ecc-invariants): for one (narrow dtype, sign, fp32 exponent) every one of
 * the 2^23 fp32 mantissas is narrowed, encoded with int8 and int16 corrections, decoded, and
 * seven precision invariants are counted. Used by scripts/verify-ecc-invariants.mjs (sampled
 * exponents) and by one cheap unit test.
 */
import { MixprecError } from '../../errors/mixprec-error.js';
import { eccFormat, rhoScaleTable } from './ecc.js';
import { bf16FromF32Bits, f16FromF32Bits, type NarrowDType } from './fp32.js';

/** Which invariant test an exponent belongs to: fp32/narrow normals, or narrow-subnormal inputs. */
export type EccInvariantKind = 'normal' | 'denormal';

/**
 * Largest allowed count of each invariant (index 0..6 = invariants 1..7) per dtype and test kind,
 * as the reference suite asserts them. Unlisted invariants allow 0.
 */
export const ECC_INVARIANT_ALLOWANCES: Readonly<
  Record<NarrowDType, Readonly<Record<EccInvariantKind, readonly number[]>>>
> = Object.freeze({
  bfloat16: Object.freeze({
    normal: Object.freeze([0, 0, 32, 32, 0, 0, 32129]),
    denormal: Object.freeze([0, 0, 0, 0, 8192, 25, 24319]),
  }),
  float16: Object.freeze({
    normal: Object.freeze([0, 0, 0, 0, 0, 0, 235656]),
    denormal: Object.freeze([0, 0, 8192, 16383, 7656268, 7602176, 123952]),
  }),
});

/** The exponents a sampled sweep covers (all 2^23 mantissas each; docs/flashoptim.md#ecc-invariants). */
export const ECC_SAMPLED_EXPONENTS: Readonly<Record<NarrowDType, readonly number[]>> =
  Object.freeze({
    bfloat16: Object.freeze([-127, -126, -1, 0, 1, 126, 127]),
    float16: Object.freeze([-30, -26, -18, -15, -14, 0, 15]),
  });

/** The invariant test an exponent belongs to (bf16: k = −127 is denormal; fp16: k ≤ −15). */
export function eccInvariantKind(dtype: NarrowDType, k: number): EccInvariantKind {
  return (dtype === 'bfloat16' ? k === -127 : k <= -15) ? 'denormal' : 'normal';
}

const MANTISSAS = 1 << 23;
const R8 = 1 / 127;
const R16 = 1 / 32767;

const xs = new Float32Array(1);
const xb = new Uint32Array(xs.buffer);

/** fp32(θ' + fp32(fp32(ρ/M)·2^s)) with ρ from the encoder (same math as ecc.ts, inlined here). */
function encodeDecode(
  x: number,
  r: number,
  halfUlp: number,
  invHalfUlp: number,
  m: number,
  rhoScale: Float32Array,
  mask: number,
): number {
  let en = Math.fround(Math.fround(x - r) * invHalfUlp);
  if (en > 1) en = 1;
  else if (en < -1) en = -1;
  const y = Math.fround(en * m);
  const rho = y < 0 ? -Math.floor(Math.fround(0.5 - y)) : Math.floor(Math.fround(y + 0.5));
  return Math.fround(r + Math.fround(rhoScale[rho & mask] * halfUlp));
}

/**
 * The invariant counts (docs/flashoptim.md#ecc-invariants) for one (dtype, sign, exponent k):
 * x = sign·2^k·(1 + j/2^23) for every j, or x = sign·2^−126·(j/2^23) when k = −127 (fp32
 * subnormals). Elements whose narrow value is ±inf are skipped. Returns the count of each
 * invariant (counts[0..6] = invariants 1..7) and how many elements were evaluated. Errors are float64; relative errors divide by |x| (1 if x = 0).
 */
export function eccInvariantCounts(
  dtype: NarrowDType,
  sign: 1 | -1,
  k: number,
): { counts: number[]; evaluated: number } {
  if (dtype !== 'bfloat16' && dtype !== 'float16') {
    throw new MixprecError(
      `eccInvariantCounts: dtype ${String(dtype)}, expected 'bfloat16' or 'float16'`,
    );
  }
  if (!(Number.isInteger(k) && k >= -127 && k <= 127)) {
    throw new MixprecError(
      `eccInvariantCounts: exponent ${k}, expected an integer in [-127, 127] (-127 = fp32 subnormals)`,
    );
  }
  if (sign !== 1 && sign !== -1) {
    throw new MixprecError(`eccInvariantCounts: sign ${String(sign)}, expected 1 or -1`);
  }
  const fmt = eccFormat(dtype);
  const { toF32, halfUlp, invHalfUlp, shift } = fmt;
  const rho8 = rhoScaleTable(127);
  const rho16 = rhoScaleTable(32767);
  const narrow = dtype === 'bfloat16' ? bf16FromF32Bits : f16FromF32Bits;
  const high = ((sign < 0 ? 0x80000000 : 0) | (k === -127 ? 0 : (k + 127) << 23)) >>> 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  let c4 = 0;
  let c5 = 0;
  let c6 = 0;
  let c7 = 0;
  let evaluated = 0;
  for (let j = 0; j < MANTISSAS; j++) {
    xb[0] = (high | j) >>> 0;
    const x = xs[0];
    const nb = narrow(xb[0]);
    const r = toF32[nb];
    if (r === Number.POSITIVE_INFINITY || r === Number.NEGATIVE_INFINITY) continue;
    evaluated++;
    const field = (nb & 0x7fff) >>> shift;
    const hu = halfUlp[field];
    const ihu = invHalfUlp[field];
    const d8 = encodeDecode(x, r, hu, ihu, 127, rho8, 0xff);
    const d16 = encodeDecode(x, r, hu, ihu, 32767, rho16, 0xffff);
    const e0 = Math.abs(r - x);
    const e8 = Math.abs(d8 - x);
    const e16 = Math.abs(d16 - x);
    const ax = x === 0 ? 1 : Math.abs(x);
    const r0 = e0 / ax;
    const r8 = e8 / ax;
    const r16 = e16 / ax;
    if (e0 === 0 && e8 !== 0) c1++;
    if (e0 === 0 && e16 !== 0) c2++;
    if (e8 === 0 && e16 !== 0) c3++;
    if (!(e16 <= e8)) c4++;
    if (r0 >= R8 && !(r8 < R8)) c5++;
    if (r0 >= R16 && !(r16 < R16)) c6++;
    if (r0 >= R16 && r0 < R8 && !(e16 < e8)) c7++;
  }
  return { counts: [c1, c2, c3, c4, c5, c6, c7], evaluated };
}
