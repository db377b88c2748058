/**
 * The one bulk conversion module of mixprec: every float conversion between fp32, f64, bf16 and
 * fp16 on whole typed arrays goes through here (half types are their 16-bit patterns in a
 * Uint16Array). Rules, the same for every path and every engine:
 * - narrowing rounds to nearest, ties to even, ONCE from the exact source value (f64 → half
 *   does not go through an fp32 rounding); overflow gives ±inf; subnormals and the sign of zero
 *   are kept; NaN gives a quiet NaN with the input's sign (bf16 0x7fc0, fp16 0x7e00, | 0x8000);
 * - widening is exact; bf16 → fp32 is a pure 16-bit shift (NaN payloads unchanged), fp16 → fp32
 *   quiets a signalling NaN (0x7c01 → 0x7fc02000, as F16C does).
 * Non-NaN results equal torch's bit for bit (vectors/casts.json; docs/conformance-vectors.md#castsjson).
 *
 * `castStorage` covers every pair of the nine dtypes (float → int truncates and saturates,
 * NaN → 0; int → narrower int saturates; anything → bool is `!== 0`); see its doc comment and
 * `packages/core/docs/casts.md`.
 *
 * Engines: arrays of 64+ elements run on WebAssembly SIMD kernels (wasm/convert.wat) when the
 * runtime has them; shorter arrays, and every array when SIMD is missing, run on TS loops
 * (convert-js.ts). `conversionEngine()` says which one bulk calls use; both give the same bits.
 * `src` and `dst` must not overlap.
 */

export { castStorage } from './cast-storage.js';
export {
  bf16ToF32,
  bf16ToF64,
  type ConversionEngine,
  conversionEngine,
  f16ToF32,
  f16ToF64,
  f32ToBf16,
  f32ToF16,
  f32ToF64,
  f64ToBf16,
  f64ToF16,
  f64ToF32,
  roundToHalfInPlace,
  setConversionEngine,
} from './convert-bulk.js';
export {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  f64ToBf16Bits,
  f64ToF16Bits,
  roundToDtype,
} from './convert-scalar.js';
