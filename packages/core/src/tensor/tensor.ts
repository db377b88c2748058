import { backward } from '../autograd/backward.js';
import { markRequiresGrad, tracksGrad } from '../autograd/grad-leaves.js';
import type { Backend } from '../backend/backend.js';
import { bf16ToF32, f16ToF32 } from '../dtype/convert.js';
import type { DType, StorageArray } from '../dtype/dtypes.js';
import { floatDtypeFor } from '../dtype/promotion.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { shapeSize } from '../graph/graph.js';
import type { LazyNode } from '../graph/node.js';
import { disposeNode, realizeNodes } from '../graph/realize.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { gatherOp, matmulOp, normalizeOp, reduceOp } from './compute-ops.js';
import {
  binaryOp,
  castTo,
  compareOp,
  floatUnaryOp,
  type TensorLike,
  unaryOp,
  where as whereOp,
} from './elementwise.js';
import { record } from './record.js';
import { expand, reshape, slice, transpose } from './shape-ops.js';

/** Host values of a tensor: half dtypes widen to `Float32Array`; other dtypes come as their storage array. */
const GELU_OPTIONS = optionSpec<{ approximate?: 'none' | 'tanh' }>({
  approximate: { expected: "'none' or 'tanh'", test: (v) => v === 'none' || v === 'tanh' },
});

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array;

/**
 * A lazy tensor: a thin handle on a graph node. Every op records a node synchronously and
 * returns a new tensor; values are computed only when asked for (`await t.data()`), then the
 * whole pending graph runs on the backend in one call.
 */
export class Tensor {
  /** The recorded graph node. Only `Parameter` rebinds it (dtype conversion, loading state). */
  protected _node: LazyNode;

  /** @param node the recorded graph node (internal; build tensors with the creation functions). */
  constructor(node: LazyNode) {
    this._node = node;
  }

  /** The graph node this handle points at. */
  get node(): LazyNode {
    return this._node;
  }

  /**
   * Gradient accumulated by `backward()` (lazy until realized), in this tensor's dtype;
   * `undefined` until a backward pass reaches this tensor. Optimizers read and reset it.
   */
  grad: Tensor | undefined = undefined;

  /** Whether gradients flow to this tensor: it is marked, or computed from a marked tensor. */
  get requiresGrad(): boolean {
    return tracksGrad(this.node);
  }

  /**
   * Marks this leaf (an input or realized tensor of a floating dtype) as requiring a gradient,
   * or unmarks it with `false`; `backward()` then accumulates into its `.grad`. Throws for a
   * computed tensor: only leaves are marked.
   */
  requiresGrad_(flag = true): this {
    markRequiresGrad(this, flag);
    return this;
  }

  /**
   * Records the backward pass and accumulates gradients into `.grad` of every marked leaf this
   * tensor depends on. `gradOutput` is required unless this tensor has one element. Lazy:
   * realize the gradients (e.g. together with the loss) to compute them in one backend run.
   */
  backward(gradOutput?: Tensor): void {
    backward(this, gradOutput);
  }

  get shape(): readonly number[] {
    return this.node.shape;
  }
  get dtype(): DType {
    return this.node.dtype;
  }
  get rank(): number {
    return this.node.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return shapeSize(this.node.shape);
  }
  /** Whether the value is computed and held by a backend. */
  get isRealized(): boolean {
    return this.node.realized !== undefined;
  }

  // Elementwise
  add(other: TensorLike): Tensor {
    return binaryOp('add', this, other);
  }
  sub(other: TensorLike): Tensor {
    return binaryOp('sub', this, other);
  }
  mul(other: TensorLike): Tensor {
    return binaryOp('mul', this, other);
  }
  div(other: TensorLike): Tensor {
    return binaryOp('div', this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return binaryOp('pow', this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return binaryOp('maximum', this, other);
  }
  minimum(other: TensorLike): Tensor {
    return binaryOp('minimum', this, other);
  }
  neg(): Tensor {
    return unaryOp('neg', this);
  }
  abs(): Tensor {
    return unaryOp('abs', this);
  }
  relu(): Tensor {
    return unaryOp('relu', this);
  }
  exp(): Tensor {
    return floatUnaryOp('exp', this);
  }
  log(): Tensor {
    return floatUnaryOp('log', this);
  }
  sqrt(): Tensor {
    return floatUnaryOp('sqrt', this);
  }
  rsqrt(): Tensor {
    return floatUnaryOp('rsqrt', this);
  }
  tanh(): Tensor {
    return floatUnaryOp('tanh', this);
  }
  sigmoid(): Tensor {
    return floatUnaryOp('sigmoid', this);
  }
  /** GELU: exact erf form by default, `{ approximate: 'tanh' }` for the tanh form. */
  gelu(options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
    checkOptions('Tensor.gelu', options, GELU_OPTIONS);
    const x = castTo(this, floatDtypeFor(this.dtype));
    return record('gelu', { approximate: options.approximate ?? 'none' }, [x]);
  }
  eq(other: TensorLike): Tensor {
    return compareOp('eq', this, other);
  }
  ne(other: TensorLike): Tensor {
    return compareOp('ne', this, other);
  }
  lt(other: TensorLike): Tensor {
    return compareOp('lt', this, other);
  }
  le(other: TensorLike): Tensor {
    return compareOp('le', this, other);
  }
  gt(other: TensorLike): Tensor {
    return compareOp('gt', this, other);
  }
  ge(other: TensorLike): Tensor {
    return compareOp('ge', this, other);
  }
  /** `this` where `cond` holds, else `other`. */
  where(cond: Tensor, other: TensorLike): Tensor {
    return whereOp(cond, this, other);
  }

  // Reductions (axes may be negative; all axes when omitted)
  sum(axes?: number | readonly number[], keepdims = false): Tensor {
    return reduceOp('sum', this, axes, keepdims);
  }
  mean(axes?: number | readonly number[], keepdims = false): Tensor {
    return reduceOp('mean', this, axes, keepdims);
  }
  max(axes?: number | readonly number[], keepdims = false): Tensor {
    return reduceOp('max', this, axes, keepdims);
  }

  // Shapes
  reshape(shape: readonly number[]): Tensor {
    return reshape(this, shape);
  }
  permute(perm: readonly number[]): Tensor {
    return record('permute', { perm: perm.map((p) => (p < 0 ? p + this.rank : p)) }, [this]);
  }
  transpose(dim0 = -2, dim1 = -1): Tensor {
    return transpose(this, dim0, dim1);
  }
  expand(shape: readonly number[]): Tensor {
    return expand(this, shape);
  }
  slice(begin: readonly number[], end?: readonly number[], step?: readonly number[]): Tensor {
    return slice(this, begin, end, step);
  }
  /** Picks entries along `axis` by integer `indices`. */
  gather(indices: Tensor, axis = 0): Tensor {
    return gatherOp(this, indices, axis);
  }

  // Linear algebra and normalization
  matmul(other: Tensor): Tensor {
    return matmulOp(this, other);
  }
  softmax(axis = -1): Tensor {
    return normalizeOp('softmax', this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return normalizeOp('logSoftmax', this, axis);
  }

  /** Converts to `dtype` (narrowing casts round to nearest even; see the casts doc). */
  cast(dtype: DType): Tensor {
    return castTo(this, dtype);
  }

  /** Computes the value (one backend run for everything pending) and keeps it on the backend. */
  async realize(backend?: Backend): Promise<this> {
    await realizeNodes([this.node], backend);
    return this;
  }

  /** The values on the host; half dtypes are widened exactly to float32. */
  async data(): Promise<TensorData> {
    const raw = await this.raw();
    if (this.dtype === 'bfloat16') return bf16ToF32(raw as Uint16Array);
    if (this.dtype === 'float16') return f16ToF32(raw as Uint16Array);
    return raw as TensorData;
  }

  /** The storage on the host: half dtypes as 16-bit patterns in a `Uint16Array`. */
  async raw(): Promise<StorageArray> {
    await realizeNodes([this.node]);
    const realized = this.node.realized!;
    return realized.backend.download(realized.storage);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1)
      throw new ShapeMismatchError(
        `item: tensor of shape [${this.shape.join(',')}] has ${this.size} elements; expected exactly 1`,
      );
    return (await this.data())[0];
  }

  /** The values as nested JS arrays. */
  async array(): Promise<unknown> {
    const flat = Array.from(await this.data());
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.rank) return flat[offset];
      const stride = shapeSize(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_v, i) =>
        build(dim + 1, offset + i * stride),
      );
    };
    return build(0, 0);
  }

  /** Frees the backend storage now (instead of when the tensor is garbage-collected). */
  dispose(): void {
    disposeNode(this.node);
  }

  toString(): string {
    return `Tensor(${this.dtype}[${this.shape.join(',')}])`;
  }
}

/** Realizes several tensors in one backend run. */
export async function realize(tensors: readonly Tensor[], backend?: Backend): Promise<void> {
  await realizeNodes(
    tensors.map((t) => t.node),
    backend,
  );
}
