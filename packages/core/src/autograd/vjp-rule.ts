import type { LazyNode } from '../graph/node.js';
import type { DifferentiableOp, OpAttrs } from '../ops/catalogue.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * What a vector-Jacobian-product rule sees of one forward node: its attributes, handles on its
 * inputs and output (lazy: reading them records nothing and realizes nothing), the gradient
 * flowing into its output, and which inputs need a gradient at all.
 */
export interface VjpContext<O extends DifferentiableOp> {
  readonly node: LazyNode<O>;
  readonly attrs: OpAttrs<O>;
  /** Handles on the forward inputs, in order. */
  readonly inputs: readonly Tensor[];
  /** Handle on the forward output (rules reuse it, e.g. exp, softmax, max). */
  readonly output: Tensor;
  /** The gradient of the output: the output's shape and dtype. */
  readonly grad: Tensor;
  /**
   * `needs[i]`: input i lies on a path to a tensor a gradient is wanted for. Rules skip the
   * others so that frozen branches get no backward ops at all.
   */
  readonly needs: readonly boolean[];
}

/**
 * A rule returns, per input, the gradient with that input's shape and dtype, or `undefined`
 * for inputs that are not differentiable (indices, conditions) or not needed.
 */
export type VjpRule<O extends DifferentiableOp> = (
  ctx: VjpContext<O>,
) => readonly (Tensor | undefined)[];
