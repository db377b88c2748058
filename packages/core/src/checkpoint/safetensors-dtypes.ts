/**
 * The dtype names of the safetensors format and how they map to mixprec dtypes. A data table so
 * the writer's ordering, the reader's lookup and error messages all derive from one place.
 */
import type { DType } from '../dtype/dtypes.js';

/** The safetensors dtype string of each mixprec dtype. */
export const SAFETENSORS_DTYPE = Object.freeze({
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int8: 'I8',
  uint8: 'U8',
  int16: 'I16',
  int32: 'I32',
  bool: 'BOOL',
} as const satisfies Record<DType, string>);

/** A safetensors dtype string that mixprec reads and writes. */
export type SafetensorsDType = (typeof SAFETENSORS_DTYPE)[DType];

const FROM_SAFETENSORS: ReadonlyMap<string, DType> = new Map(
  (Object.entries(SAFETENSORS_DTYPE) as [DType, SafetensorsDType][]).map(([m, s]) => [s, m]),
);

/** The mixprec dtype of a safetensors dtype string, or undefined for one mixprec does not support. */
export function dtypeFromSafetensors(name: string): DType | undefined {
  return FROM_SAFETENSORS.get(name);
}

/** The safetensors dtypes mixprec reads, for error messages. */
export const SAFETENSORS_DTYPE_LIST = Object.values(SAFETENSORS_DTYPE).join(', ');

/**
 * Rank of each dtype in the reference writer's ordering (huggingface/safetensors sorts tensors
 * by descending rank of its `Dtype` enum, then by name). Writing in the same order makes our
 * files byte-identical to the reference's, and since the enum is in increasing alignment order
 * (and the header is padded to 8), every tensor's data starts aligned to its item size.
 */
export const SAFETENSORS_WRITE_RANK: Readonly<Record<SafetensorsDType, number>> = Object.freeze({
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 5,
  F16: 7,
  BF16: 8,
  I32: 9,
  F32: 11,
  F64: 12,
});
