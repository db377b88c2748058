import { DTYPES } from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { formatShape } from '../graph/graph.js';
import type { LazyNode } from '../graph/node.js';
import { OPS } from '../ops/catalogue.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The leaves marked with `requiresGrad_` and the handles `backward()` writes `.grad` to. Weak
 * both ways: marking keeps neither the node nor the handle alive, and a handle that was
 * collected simply gets no gradient (nobody can read it any more).
 */
const handles = new WeakMap<LazyNode, WeakRef<Tensor>>();

/**
 * Marks (or unmarks) `t`'s node as requiring a gradient. Only leaves can be marked: `input`
 * nodes and realized values (a realized tensor becomes a leaf, like torch's
 * `detach().requires_grad_()`), of a floating dtype.
 */
export function markRequiresGrad(t: Tensor, flag: boolean): void {
  const node = t.node;
  if (!flag) {
    node.requiresGrad = false;
    handles.delete(node);
    return;
  }
  if (!node.isLeafForRun) {
    throw new MixprecError(
      `requiresGrad_: a ${node.dtype}${formatShape(node.shape)} tensor computed by '${node.op}' is not a leaf; expected an input or realized tensor (mark the tensors it is computed from, or realize it first to make it a leaf)`,
    );
  }
  if (!DTYPES[node.dtype].isFloat) {
    throw new DtypeError(
      `requiresGrad_: tensor has dtype ${node.dtype}; expected a floating dtype (only floating tensors have gradients)`,
    );
  }
  node.requiresGrad = true;
  handles.set(node, new WeakRef(t));
}

/** The live handle marked on `node`, if it still points at that node. */
export function markedHandle(node: LazyNode): Tensor | undefined {
  const t = handles.get(node)?.deref();
  // A handle that was rebound to another node (Parameter.assign) no longer owns this leaf.
  return t !== undefined && t.node === node ? t : undefined;
}

/**
 * Whether gradients reach `node` from a marked leaf: it is marked, or it is a floating
 * result of a differentiable op with such an input (torch's `requires_grad` of a non-leaf).
 */
export function tracksGrad(node: LazyNode): boolean {
  const memo = new Map<LazyNode, boolean>();
  // Iterative post-order walk: long graphs must not hit the call stack limit.
  const stack: LazyNode[] = [node];
  while (stack.length > 0) {
    const n = stack[stack.length - 1];
    if (memo.has(n)) {
      stack.pop();
      continue;
    }
    if (n.requiresGrad || !OPS[n.op].differentiable || !DTYPES[n.dtype].isFloat) {
      memo.set(n, n.requiresGrad);
      stack.pop();
      continue;
    }
    const pending = n.inputs.filter((i) => !memo.has(i));
    if (pending.length > 0) {
      stack.push(...pending);
      continue;
    }
    memo.set(
      n,
      n.inputs.some((i) => memo.get(i)),
    );
    stack.pop();
  }
  return memo.get(node) ?? false;
}
