import { withoutAutocast } from '../autocast/state.js';
import { DTYPES } from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';
import type { LazyNode } from '../graph/node.js';
import { type DifferentiableOp, OPS } from '../ops/catalogue.js';
import { full } from '../tensor/creation.js';
import { castTo } from '../tensor/elementwise.js';
import { Tensor } from '../tensor/tensor.js';
import { vjpRule } from './vjp-rules.js';

/** Which nodes a backward pass collects gradients for, and where it stops. */
export interface BackwardTargets {
  /** Nodes whose gradient the caller wants. */
  readonly isTarget: (node: LazyNode) => boolean;
  /** Nodes the pass does not look through (their inputs get nothing from this path). */
  readonly stopsAt: (node: LazyNode) => boolean;
}

const sameShape = (a: readonly number[], b: readonly number[]) => formatShape(a) === formatShape(b);

/**
 * The seed gradient of `output`: `gradOutput` (checked, cast to the output's dtype) or, for a
 * one-element output, ones. Throws for a non-floating output or a missing / mismatched seed.
 */
export function seedGradient(fn: string, output: Tensor, gradOutput?: Tensor): Tensor {
  if (!DTYPES[output.dtype].isFloat) {
    throw new DtypeError(
      `${fn}: output has dtype ${output.dtype}; expected a floating dtype (only floating results have gradients)`,
    );
  }
  if (gradOutput === undefined) {
    if (output.size !== 1) {
      throw new ShapeMismatchError(
        `${fn}: output of shape ${formatShape(output.shape)} is not a scalar and no gradOutput was given; expected a one-element output or a gradOutput of shape ${formatShape(output.shape)}`,
      );
    }
    return full(output.shape, 1, { dtype: output.dtype });
  }
  if (!sameShape(gradOutput.shape, output.shape)) {
    throw new ShapeMismatchError(
      `${fn}: argument 'gradOutput' has shape ${formatShape(gradOutput.shape)}; expected the output's shape ${formatShape(output.shape)}`,
    );
  }
  return castTo(gradOutput, output.dtype);
}

/** Nodes reachable from `output` in post-order (inputs before users), without recursion. */
function postOrder(output: LazyNode, descends: (n: LazyNode) => boolean): LazyNode[] {
  const order: LazyNode[] = [];
  const seen = new Set<LazyNode>([output]);
  const stack: Array<{ node: LazyNode; next: number }> = [{ node: output, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = descends(top.node) ? top.node.inputs : [];
    if (top.next < inputs.length) {
      const child = inputs[top.next++];
      if (!seen.has(child)) {
        seen.add(child);
        stack.push({ node: child, next: 0 });
      }
      continue;
    }
    stack.pop();
    order.push(top.node);
  }
  return order;
}

/**
 * Reverse-mode pass over the lazy graph: records the backward ops of every node on a path from
 * `output` to a target, and returns the (lazy) gradient of each reached target. Nodes off
 * those paths (frozen branches, integer inputs) get no backward ops. Each node's gradient is
 * the sum of its users' contributions, in the node's own shape and dtype. Backward ops are
 * recorded with autocast suspended: the backward graph follows the forward's dtypes, not a
 * policy that happens to be active where `backward()` is called.
 */
export function backwardPass(
  output: Tensor,
  seed: Tensor,
  targets: BackwardTargets,
): Map<LazyNode, Tensor> {
  return withoutAutocast(() => backwardPassUnscoped(output, seed, targets));
}

function backwardPassUnscoped(
  output: Tensor,
  seed: Tensor,
  targets: BackwardTargets,
): Map<LazyNode, Tensor> {
  const descends = (n: LazyNode) => OPS[n.op].differentiable && !targets.stopsAt(n);
  const order = postOrder(output.node, descends);
  const needs = new Set<LazyNode>();
  for (const n of order) {
    const carries =
      targets.isTarget(n) ||
      (descends(n) && DTYPES[n.dtype].isFloat && n.inputs.some((i) => needs.has(i)));
    if (carries) needs.add(n);
  }

  const result = new Map<LazyNode, Tensor>();
  const pending = new Map<LazyNode, Tensor[]>([[output.node, [seed]]]);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const parts = pending.get(node);
    pending.delete(node);
    if (parts === undefined || !needs.has(node)) continue;
    const grad = parts.reduce((sum, g) => sum.add(g));
    if (targets.isTarget(node)) result.set(node, grad);
    if (!descends(node) || !node.inputs.some((i) => needs.has(i))) continue;

    const inputs = node.inputs.map((i) => new Tensor(i));
    const grads = vjpRule(node.op as DifferentiableOp)({
      node: node as LazyNode<DifferentiableOp>,
      attrs: node.attrs as LazyNode<DifferentiableOp>['attrs'],
      inputs,
      output: new Tensor(node),
      grad,
      needs: node.inputs.map((i) => needs.has(i)),
    });
    node.inputs.forEach((input, i) => {
      const g = grads[i];
      if (g === undefined || !needs.has(input)) return;
      if (!sameShape(g.shape, input.shape)) {
        throw new MixprecError(
          `backward: the '${node.op}' rule gave input ${i} a gradient of shape ${formatShape(g.shape)}; expected ${formatShape(input.shape)} (a bug in autograd/vjp-rules.ts)`,
        );
      }
      // Rules work in the forward dtype; this only matters if a policy changed a recorded dtype.
      const list = pending.get(input) ?? [];
      list.push(castTo(g, input.dtype));
      pending.set(input, list);
    });
  }
  return result;
}

/**
 * Gradients of `output` with respect to each tensor of `wrt`, as LAZY tensors: nothing runs
 * until they are realized, so `realize([loss, ...grads])` computes forward and backward in one
 * backend run. Pure: no `.grad` is touched and no tensor needs `requiresGrad_`. A tensor of
 * `wrt` that `output` does not depend on gets zeros (a `full` node) of its shape and dtype.
 * Each gradient has its tensor's dtype, whatever dtype the forward computed in.
 *
 * @param gradOutput the gradient of `output` (required unless `output` has one element).
 * @example
 * const [dw] = gradients(x.matmul(w).sum(), [w]);
 * await realize([dw]);
 */
export function gradients(output: Tensor, wrt: readonly Tensor[], gradOutput?: Tensor): Tensor[] {
  wrt.forEach((t, i) => {
    if (!DTYPES[t.dtype].isFloat) {
      throw new DtypeError(
        `gradients: wrt[${i}] has dtype ${t.dtype}; expected a floating dtype (only floating tensors have gradients)`,
      );
    }
  });
  const seed = seedGradient('gradients', output, gradOutput);
  const wanted = new Set(wrt.map((t) => t.node));
  const found = backwardPass(output, seed, {
    isTarget: (n) => wanted.has(n),
    stopsAt: () => false,
  });
  return wrt.map((t) => found.get(t.node) ?? full(t.shape, 0, { dtype: t.dtype }));
}
