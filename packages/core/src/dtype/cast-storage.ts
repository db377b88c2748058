/**
 * `castStorage`: converts a storage array between any two of the nine dtypes. Every source is
 * first widened EXACTLY to fp32 or f64 (fp32 for the halves and the small integers, f64 for
 * int32 and float64), then narrowed ONCE to the target, so every cast is a single rounding
 * (int32 → bf16 rounds from the exact integer, not from an fp32 that already rounded).
 */
import { DtypeError } from '../errors/dtype-error.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, f64ToBf16, f64ToF16 } from './convert-bulk.js';
import {
  allocStorage,
  DTYPE_NAMES,
  DTYPES,
  type DType,
  isDType,
  isStorageOf,
  type StorageArray,
  type StorageArrayMap,
} from './dtypes.js';

type Wide = Float32Array | Float64Array;

/** Exact values of `src` as fp32 or f64. May return `src` itself: callers must not write it. */
function widen(src: StorageArray, from: DType): Wide {
  switch (from) {
    case 'float32':
    case 'float64':
      return src as Wide;
    case 'bfloat16':
      return bf16ToF32(src as Uint16Array);
    case 'float16':
      return f16ToF32(src as Uint16Array);
    case 'int32':
      return new Float64Array(src);
    case 'bool': {
      // Any nonzero byte is true, so a bool storage holding 2 still casts as 1.
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
      return out;
    }
    default:
      return new Float32Array(src);
  }
}

/** Float (or exact integer) values → integer storage: truncate, saturate, NaN → 0. */
function toInteger(wide: Wide, out: Int8Array | Uint8Array | Int16Array | Int32Array, to: DType) {
  const { min, max } = DTYPES[to];
  for (let i = 0; i < wide.length; i++) {
    const v = wide[i];
    // NaN fails both comparisons and becomes 0; a -0 from Math.trunc stores as integer 0.
    out[i] = v >= max ? max : v <= min ? min : Number.isNaN(v) ? 0 : Math.trunc(v);
  }
  return out;
}

/** Narrows exact values to `to`, rounding once; `fresh` says `wide` may be returned as is. */
function narrow(wide: Wide, to: DType, fresh: boolean): StorageArray {
  const is32 = wide instanceof Float32Array;
  switch (to) {
    case 'float32':
      return is32 && fresh ? wide : new Float32Array(wide);
    case 'float64':
      return !is32 && fresh ? wide : new Float64Array(wide);
    case 'bfloat16':
      return is32 ? f32ToBf16(wide) : f64ToBf16(wide);
    case 'float16':
      return is32 ? f32ToF16(wide) : f64ToF16(wide);
    case 'bool': {
      const out = new Uint8Array(wide.length);
      for (let i = 0; i < wide.length; i++) out[i] = wide[i] !== 0 ? 1 : 0;
      return out;
    }
    default:
      return toInteger(wide, allocStorage(to, wide.length), to);
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return value.constructor?.name ?? 'object';
}

/**
 * Converts `src`, the storage of dtype `from`, to a NEW storage array of dtype `to` (a copy
 * even when `from === to`; bool → bool also maps any nonzero byte to 1). Rules:
 * - float → float: round to nearest even, once; overflow → ±inf; NaN stays NaN (quiet, sign
 *   kept); subnormals and the sign of zero kept. bf16 ↔ fp16 goes through the exact fp32 value.
 * - float → integer: truncate toward zero, then saturate to the target's range; NaN → 0;
 *   ±inf saturate (-inf → min, inf → max).
 * - integer → narrower integer: saturate (int32 300 → int8 127, uint8 200 → int8 127,
 *   int8 -1 → uint8 0). This differs from torch and C, which wrap around modulo 2^bits.
 * - bool/integer → float: the exact integer rounded to nearest even to the target (int32 →
 *   bf16 or fp16 rounds, and overflows fp16 to ±inf beyond 65519).
 * - anything → bool: nonzero (NaN included, -0 excluded) → 1, else 0. bool → number: 0 or 1.
 * Throws `DtypeError` for an unknown dtype or when `src` is not `from`'s storage type.
 */
export function castStorage<To extends DType>(
  src: StorageArray,
  from: DType,
  to: To,
): StorageArrayMap[To] {
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!isDType(value)) {
      throw new DtypeError(
        `castStorage: argument '${name}' is ${JSON.stringify(value)}; expected one of ${DTYPE_NAMES.join(', ')}`,
      );
    }
  }
  if (!isStorageOf(src, from)) {
    throw new DtypeError(
      `castStorage: argument 'src' is a ${describe(src)}; expected a ${DTYPES[from].storage} (the storage of '${from}')`,
    );
  }
  // Same dtype: a plain copy, except bool, which is normalized to 0/1 like any cast to bool.
  if ((from as DType) === to && to !== 'bool') return src.slice() as StorageArrayMap[To];
  const wide = widen(src, from);
  return narrow(wide, to, wide !== src) as StorageArrayMap[To];
}
