import { applyAutocast } from '../autocast/apply.js';
import { LazyNode } from '../graph/node.js';
import type { OpAttrs, OpName } from '../ops/catalogue.js';
import { inferNode } from '../ops/infer.js';
import { Tensor } from './tensor.js';

/**
 * The tensor a permute undoes: `permute(permute(y, p), q)` with `p[q[i]] = i` is `y`. Why:
 * `linear`'s backward transposes the forward's `Wᵀ` back; using `W` itself lets that
 * transposed copy be freed right after the forward matmul (lower peak memory, and gradient
 * release can then free what it promises). Only for a pending (unrealized) inner permute.
 */
function undoPermute(node: LazyNode, perm: readonly number[]): LazyNode | undefined {
  if (node.op !== 'permute' || node.realized || node.hostData) return undefined;
  const inner = (node.attrs as OpAttrs<'permute'>).perm;
  return perm.every((p, i) => inner[p] === i) ? node.inputs[0] : undefined;
}

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
  if (op === 'permute') {
    const source = undoPermute(nodes[0], (attrs as OpAttrs<'permute'>).perm);
    if (source) return new Tensor(source);
  }
  const { shape, dtype } = inferNode(op, attrs, nodes);
  return new Tensor(new LazyNode(op, nodes, attrs, shape, dtype));
}
