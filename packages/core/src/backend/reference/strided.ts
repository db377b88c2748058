import { allocStorage, type StorageArray } from '../../dtype/dtypes.js';
import { shapeSize, stridedOffsets, stridesOf } from '../../graph/graph.js';

export { stridedOffsets };

import type { Value } from './kernel.js';

/**
 * Strided views, the one mechanism behind broadcasting, permute, expand, slice and the reduce
 * index map: an element at multi-index `i` of `shape` lives at `offset + Σ i[d]·strides[d]`.
 */

/**
 * Strides that read a tensor of `shape` as if it had the (numpy-broadcast) shape `outShape`:
 * dims are aligned on the right, and a dim of 1 or a missing leading dim gets stride 0.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_d, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]));
}

/** Copies `data[offsets[i]]` to element `i` of a new array of the same kind (bits, not values). */
export function gatherElements(value: Value, offsets: Int32Array): StorageArray {
  const out = allocStorage(value.dtype, offsets.length);
  const src = value.data;
  for (let i = 0; i < offsets.length; i++) out[i] = src[offsets[i]];
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * `value` broadcast to `outShape`, as its own storage kind. Fast paths: the same shape returns
 * `value.data` itself (callers only read it), a one-element value is a fill.
 */
export function broadcastData(value: Value, outShape: readonly number[]): StorageArray {
  if (sameShape(value.shape, outShape)) return value.data;
  const n = shapeSize(outShape);
  if (value.data.length === 1) {
    const out = allocStorage(value.dtype, n);
    out.fill(value.data[0]);
    return out;
  }
  return gatherElements(value, stridedOffsets(outShape, broadcastStrides(value.shape, outShape)));
}
