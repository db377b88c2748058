import { bf16ToF32, castStorage, f16ToF32, f64ToBf16, f64ToF16 } from '../../dtype/convert.js';
import type { DType, StorageArray } from '../../dtype/dtypes.js';

/**
 * The reference backend's numeric boundary. Kernels read element values as JS numbers and
 * write float64 results; all rounding to the output dtype happens here, once, through core's
 * conversion module.
 */

/**
 * Element values of a storage array, readable as numbers. Half bit patterns are decoded to a
 * Float32Array (exact: every half value is an fp32 value); every other storage kind already
 * holds its values and is returned as is (callers only read it).
 */
export function readNumbers(data: StorageArray, dtype: DType): StorageArray {
  if (dtype === 'bfloat16') return bf16ToF32(data as Uint16Array);
  if (dtype === 'float16') return f16ToF32(data as Uint16Array);
  return data;
}

/**
 * Stores float64 results as `dtype`, rounding once: straight to the half dtype (float64 →
 * float32 → half would round twice), RNE to float32, and for integer dtypes truncation toward
 * zero with saturation (NaN → 0); bool is `value !== 0`. Returns `values` itself for float64.
 */
export function writeNumbers(values: Float64Array, dtype: DType): StorageArray {
  if (dtype === 'float64') return values;
  // The half encoders are named here, not reached through castStorage, because this single
  // float64 → half rounding is the half contract of the whole backend.
  if (dtype === 'bfloat16') return f64ToBf16(values);
  if (dtype === 'float16') return f64ToF16(values);
  return castStorage(values, 'float64', dtype);
}
