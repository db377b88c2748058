import type { DType, StorageArray } from '../../dtype/dtypes.js';
import type { OpAttrs, OpName } from '../../ops/catalogue.js';

/** A node's value while the reference backend runs a graph: its storage array, dtype and shape. */
export interface Value {
  readonly data: StorageArray;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * What a kernel reads of its graph node: the op's own attribute type, the output shape and
 * dtype. Every `GraphNode` of op `O` is one; the primitives build one by hand.
 */
export interface KernelNode<O extends OpName> {
  readonly op: O;
  readonly attrs: OpAttrs<O>;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * Computes one node from its input values. Returns a new storage array of `node.dtype` with
 * `shapeSize(node.shape)` elements. Kernels never write to their inputs.
 */
export type Kernel<O extends OpName = OpName> = (
  node: KernelNode<O>,
  inputs: readonly Value[],
) => StorageArray;

/** One kernel per op of the catalogue: a missing op is a compile error. */
export type KernelTable = { readonly [O in OpName]: Kernel<O> };
