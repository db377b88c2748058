import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';
import { broadcastsTo } from '../ops/broadcast.js';
import type { Tensor } from '../tensor/tensor.js';

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Sums a gradient of a broadcast result back to the shape of the operand that was broadcast:
 * over the leading dims the operand lacked and over the dims where it had size 1 (numpy rules,
 * right-aligned). Returns `grad` itself when the shapes already agree.
 */
export function unbroadcast(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  if (!broadcastsTo(shape, grad.shape)) {
    throw new ShapeMismatchError(
      `unbroadcast: gradient of shape ${formatShape(grad.shape)} cannot be summed to ${formatShape(shape)}; expected ${formatShape(shape)} to broadcast to it`,
    );
  }
  const lead = grad.rank - shape.length;
  const axes = grad.shape.flatMap((d, i) =>
    i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : [],
  );
  const summed = axes.length > 0 ? grad.sum(axes, true) : grad;
  // keepdims left the leading axes as 1s; the reshape drops them.
  return sameShape(summed.shape, shape) ? summed : summed.reshape(shape);
}
