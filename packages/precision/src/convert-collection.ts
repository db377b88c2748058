import { checkDtype, type DType, isFloatDType, Tensor } from '@mixprec/core';

/** Whether `value` is a plain object (a "dict" batch), not a tensor, array or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Casts a floating tensor to `dtype`; integer/bool tensors and non-tensors come back as they are. */
function castTensor(value: unknown, dtype: DType): unknown {
  if (value instanceof Tensor && isFloatDType(value.dtype) && value.dtype !== dtype) {
    return value.cast(dtype);
  }
  return value;
}

/**
 * Lightning's `apply_to_collection` for batches: rebuilds arrays and plain objects (keys and
 * order kept) and casts every floating tensor inside to `dtype`. Anything else is returned
 * untouched, so class instances and strings are safe.
 */
export function castFloating<T>(data: T, dtype: DType): T {
  checkDtype('castFloating', dtype, { floating: true });
  return castAny(data, dtype) as T;
}

function castAny(data: unknown, dtype: DType): unknown {
  if (data instanceof Tensor) return castTensor(data, dtype);
  if (Array.isArray(data)) return data.map((item) => castAny(item, dtype));
  if (isPlainObject(data)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(data)) out[key] = castAny(value, dtype);
    return out;
  }
  return data;
}

/** NeMo's default audio key test: a case-sensitive substring, so `source_audio` matches, `Audio` not. */
export const isAudioKey = (key: string): boolean => key.includes('audio');

/**
 * NeMo's `_convert_audio_preserving`: recursive over plain objects only. A tensor under a key
 * that `keepKey` accepts is kept as is (whatever its dtype); other floating tensors are cast.
 * Like NeMo, arrays inside a dict are NOT traversed (their tensors stay as they are), and a
 * dict stored under an audio key is still recursed (its own keys decide).
 */
export function convertAudioPreserving<T>(
  batch: T,
  dtype: DType,
  keepKey: (key: string) => boolean = isAudioKey,
): T {
  checkDtype('convertAudioPreserving', dtype, { floating: true });
  return preserve(batch, dtype, keepKey) as T;
}

function preserve(data: unknown, dtype: DType, keepKey: (key: string) => boolean): unknown {
  if (!isPlainObject(data)) return castTensor(data, dtype);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    out[key] = keepKey(key) && value instanceof Tensor ? value : preserve(value, dtype, keepKey);
  }
  return out;
}

/**
 * The input conversion of the audio-aware plugins: a dict batch keeps its audio tensors, any
 * other batch is cast like Lightning's HalfPrecision does.
 */
export function convertAudioAware<T>(data: T, dtype: DType): T {
  return isPlainObject(data) ? convertAudioPreserving(data, dtype) : castFloating(data, dtype);
}
