import { MixprecError } from '../errors/mixprec-error.js';
import { formatShape } from '../graph/graph.js';
import type { Tensor } from '../tensor/tensor.js';
import { markedHandle } from './grad-leaves.js';
import { backwardPass, seedGradient } from './gradients.js';

/**
 * `t.backward(gradOutput?)`: records the backward pass of `t` and accumulates, lazily, into
 * the `.grad` of every leaf handle marked with `requiresGrad_` that `t` depends on
 * (`grad = grad ? grad.add(g) : g`). Marked leaves end the pass: gradients stop at them. Only
 * nodes on a path to a marked leaf get backward ops. Nothing runs until the gradients (or
 * anything depending on them) are realized, so a step's forward and backward share one run.
 */
export function backward(t: Tensor, gradOutput?: Tensor): void {
  const seed = seedGradient('backward', t, gradOutput);
  const found = backwardPass(t, seed, {
    isTarget: (n) => n.requiresGrad,
    stopsAt: (n) => n.requiresGrad,
  });
  if (found.size === 0) {
    throw new MixprecError(
      `backward: the ${t.dtype}${formatShape(t.shape)} output does not depend on any tensor marked with requiresGrad_(); expected at least one (use gradients() for unmarked tensors)`,
    );
  }
  for (const [node, g] of found) {
    const leaf = markedHandle(node);
    if (leaf !== undefined) leaf.grad = leaf.grad === undefined ? g : leaf.grad.add(g);
  }
}
