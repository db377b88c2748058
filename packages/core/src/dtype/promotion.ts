import { DTYPES, type DType } from './dtypes.js';

/**
 * Type promotion as data: the least upper bound of two dtypes on the lattice
 * bool < {uint8, int8} < int16 < int32 < {float16, bfloat16} < float32 < float64.
 * Two incomparable types meet one level up: int8 ∨ uint8 = int16, float16 ∨ bfloat16 = float32.
 */
const ORDER: Readonly<Record<DType, number>> = {
  bool: 0,
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 3,
  float16: 4,
  bfloat16: 4,
  float32: 5,
  float64: 6,
};

const JOIN_OF_PEERS: Readonly<Record<number, DType>> = { 1: 'int16', 4: 'float32' };

/** The smallest dtype both `a` and `b` convert to without losing their kind (`leastUpperDtype('bfloat16', 'float16')` is `'float32'`). */
export function leastUpperDtype(a: DType, b: DType): DType {
  if (a === b) return a;
  const ra = ORDER[a];
  const rb = ORDER[b];
  if (ra === rb) return JOIN_OF_PEERS[ra];
  return ra > rb ? a : b;
}

/**
 * The dtype of a tensor combined with a JS number. Numbers are weak: they take the tensor's
 * dtype (`bf16.mul(2)` stays bf16), except that a non-integer number lifts an integer or
 * bool tensor to float32, and any number lifts bool to int32.
 */
export function dtypeWithScalar(dtype: DType, value: number): DType {
  if (DTYPES[dtype].isFloat) return dtype;
  if (!Number.isInteger(value)) return 'float32';
  return dtype === 'bool' ? 'int32' : dtype;
}

/** The dtype that float-only ops (exp, softmax, ...) compute in for a given input: floats stay, others become float32. */
export function floatDtypeFor(dtype: DType): DType {
  return DTYPES[dtype].isFloat ? dtype : 'float32';
}
