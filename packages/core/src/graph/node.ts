import type { Backend, Storage } from '../backend/backend.js';
import type { DType, StorageArray } from '../dtype/dtypes.js';
import type { OpAttrs, OpName } from '../ops/catalogue.js';

let nextId = 0;

/** Where a realized node's value lives. */
export interface RealizedValue {
  readonly backend: Backend;
  readonly storage: Storage;
}

/**
 * A recorded op: the lazy tensor's graph node. Nodes are immutable apart from their
 * realization state: once computed (or uploaded), `realized` holds the backend storage and
 * later graphs read it as an input instead of recomputing.
 */
export class LazyNode<O extends OpName = OpName> {
  /** Creation order; unique in the process. */
  readonly id = nextId++;
  /** Host data of an `input` node not yet uploaded (dropped once uploaded). */
  hostData: StorageArray | undefined;
  /** Backend storage once realized. */
  realized: RealizedValue | undefined;
  /** Set by `dispose`: the value is gone. */
  disposed = false;
  /**
   * Marked by `Tensor.requiresGrad_` (leaves only): autograd accumulates a gradient here and
   * treats the node as a leaf of the backward pass (gradients stop at it).
   */
  requiresGrad = false;

  constructor(
    readonly op: O,
    readonly inputs: readonly LazyNode[],
    readonly attrs: OpAttrs<O>,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}

  /** A graph must take this node as a fed input rather than compute it. */
  get isLeafForRun(): boolean {
    return this.op === 'input' || this.realized !== undefined;
  }
}
