import { applyAutocast } from '../autocast/apply.js';
import { LazyNode } from '../graph/node.js';
import type { OpAttrs, OpName } from '../ops/catalogue.js';
import { inferNode } from '../ops/infer.js';
import { Tensor } from './tensor.js';

/**
 * Records one op: applies the autocast policy in force (inserting input casts, see
 * `autocast/`), infers shape and dtype now (so a mismatch throws at the caller's line) and
 * returns a new lazy tensor. No work happens until the value is asked for.
 */
export function record<O extends OpName>(
  op: O,
  attrs: OpAttrs<O>,
  inputs: readonly Tensor[],
): Tensor {
  // The policy lives here, not in the tensor methods, so every op path (methods, nn, autograd
  // rules, hand-built graphs) sees the same policy.
  const nodes = applyAutocast(
    op,
    inputs.map((t) => t.node),
  );
  const { shape, dtype } = inferNode(op, attrs, nodes);
  return new Tensor(new LazyNode(op, nodes, attrs, shape, dtype));
}
