import { castStorage } from '../dtype/convert.js';
import type { DType } from '../dtype/dtypes.js';
import { full, inputTensor } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A NEW value equal to `t` converted to `dtype`, for `Module.to` and `loadStateDict`. New,
 * because optimizers update parameter storage in place and must not write through to the
 * source. Host data converts at once into a fresh input (a leaf, so autograd can mark it
 * immediately); anything else becomes a lazy op.
 */
export function stateValue(t: Tensor, dtype: DType): Tensor {
  const host = t.node.hostData;
  if (host) return inputTensor(castStorage(host, t.dtype, dtype), dtype, t.shape);
  if (dtype !== t.dtype) return t.cast(dtype);
  // `where` with an all-true mask: a new node holding exactly the same values, for any dtype.
  return t.where(full(t.shape, 1, { dtype: 'bool' }), t);
}
