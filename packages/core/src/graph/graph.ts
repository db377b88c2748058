import type { DType } from '../dtype/dtypes.js';
import type { OpAttrs, OpName } from '../ops/catalogue.js';

/**
 * One node of a realized graph, as a backend receives it: plain data with inputs as indices
 * into `Graph.nodes`. Switching on `op` narrows `attrs`.
 */
export type GraphNode = {
  [O in OpName]: {
    readonly op: O;
    /** Indices of the input nodes in `Graph.nodes` (always smaller than this node's index). */
    readonly inputs: readonly number[];
    readonly attrs: OpAttrs<O>;
    readonly shape: readonly number[];
    readonly dtype: DType;
  };
}[OpName];

/**
 * A whole computation handed to `Backend.run` in one call. Graphs with the same `key` have
 * the same structure, shapes and dtypes, and core hands out the same object for them, so a
 * backend may cache its compiled form on the object or the key.
 */
export interface Graph {
  /** Nodes in topological order. */
  readonly nodes: readonly GraphNode[];
  /** Indices of the `input` nodes, in the order of the `feeds` passed to `run`. */
  readonly inputs: readonly number[];
  /** Indices of the nodes whose values `run` returns, in this order. */
  readonly outputs: readonly number[];
  /** Structural cache key: op structure, attributes, shapes and dtypes (never data). */
  readonly key: string;
}

/** Number of elements of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Formats a shape the way error messages print it: `[2,3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Source offsets of every element of `shape` (row-major order) under `strides` and `offset`:
 * the index map of a strided view (broadcast, permute, expand, slice), for any backend.
 */
export function stridedOffsets(
  shape: readonly number[],
  strides: readonly number[],
  offset = 0,
): Int32Array {
  const n = shapeSize(shape);
  const out = new Int32Array(n);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < n; i++) {
    out[i] = at;
    // Odometer step: bump the last dim, carrying into earlier dims when one wraps.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      at += strides[d];
      if (index[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}
