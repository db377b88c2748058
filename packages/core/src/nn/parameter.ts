import { checkDtype } from '../dtype/check-dtype.js';
import type { DType, StorageArray } from '../dtype/dtypes.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';
import type { LazyNode } from '../graph/node.js';
import { fromArray, type NestedArray } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';

/** Options of `new Parameter(...)`. */
export interface ParameterOptions {
  /** Whether autograd tracks it (default true, like `torch.nn.Parameter`). */
  readonly requiresGrad?: boolean;
  /** Dtype for host data (ignored for a tensor, which keeps its dtype); default `getDefaultDtype()`. */
  readonly dtype?: DType;
  /** Shape for flat host data. */
  readonly shape?: readonly number[];
}

const PARAMETER_OPTIONS = optionSpec<ParameterOptions>({
  requiresGrad: 'boolean',
  dtype: 'any',
  shape: 'array',
});

/**
 * A trainable leaf tensor owned by a `Module`. Modules find their parameters by walking their
 * fields for `Parameter` instances, so the object identity is what optimizers and precision
 * plugins hold on to: conversions and state loading rebind its node (`assign`) instead of
 * replacing the object.
 */
export class Parameter extends Tensor {
  /** Optional display name; modules name parameters by their field path instead. */
  name: string | undefined = undefined;
  // Wants a gradient, but `assign` bound a computed (not yet realized) node, which autograd
  // cannot mark; the mark is applied when the node is next read after realization.
  #pendingGrad = false;

  /**
   * @param data a leaf tensor (host data or realized; taken as is, no copy, like
   *   `torch.nn.Parameter(t)`) or host values (uploaded on first use).
   */
  constructor(
    data: Tensor | NestedArray | ArrayLike<number> | StorageArray,
    options: ParameterOptions = {},
  ) {
    options = checkOptions('Parameter', options, PARAMETER_OPTIONS);
    if (options.dtype !== undefined) checkDtype('Parameter', options.dtype);
    const tensor =
      data instanceof Tensor
        ? data
        : fromArray(data, { dtype: options.dtype, shape: options.shape });
    super(tensor.node);
    this.requiresGrad_(options.requiresGrad ?? true);
  }

  /** The graph node; applies a gradient mark deferred by `assign` once the value is a leaf. */
  override get node(): LazyNode {
    if (this.#pendingGrad && this._node.isLeafForRun) {
      this.#pendingGrad = false;
      super.requiresGrad_(true);
    }
    return this._node;
  }

  override requiresGrad_(flag = true): this {
    this.#pendingGrad = false;
    return super.requiresGrad_(flag);
  }

  /**
   * Rebinds this parameter to the value of `t` (any dtype, same shape), keeping the object.
   * Used by in-place dtype conversion (`Module.to`) and `Module.loadStateDict`. The gradient
   * mark moves to the new value: at once for a leaf (host data or realized), else as soon as
   * the new value is realized, so realize converted parameters before the first backward
   * (the trainer does). An existing `.grad` is cast to the new dtype.
   */
  assign(t: Tensor): this {
    const same =
      t.shape.length === this.shape.length && t.shape.every((d, i) => d === this.shape[i]);
    if (!same) {
      throw new ShapeMismatchError(
        `Parameter.assign: argument 't' has shape ${formatShape(t.shape)}; expected the parameter's shape ${formatShape(this.shape)}`,
      );
    }
    const wantsGrad = this.#pendingGrad || this._node.requiresGrad;
    // Unmark the old value: gradients reaching it would have no handle left to land on.
    if (wantsGrad) super.requiresGrad_(false);
    if (this.grad && this.grad.dtype !== t.dtype) this.grad = this.grad.cast(t.dtype);
    this._node = t.node;
    if (wantsGrad && t.node.isLeafForRun) super.requiresGrad_(true);
    else this.#pendingGrad = wantsGrad;
    return this;
  }

  override toString(): string {
    return `Parameter(${this.dtype}[${this.shape.join(',')}])`;
  }
}
