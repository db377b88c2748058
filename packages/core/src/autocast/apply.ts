import type { DType } from '../dtype/dtypes.js';
import { leastUpperDtype } from '../dtype/promotion.js';
import { LazyNode } from '../graph/node.js';
import type { OpName } from '../ops/catalogue.js';
import { type AutocastRegion, activeRegion, castCache, isAutocastEligible } from './state.js';

/**
 * The policy step of `record()`: given an op and its input nodes, returns the inputs the op is
 * recorded on, with the casts the active autocast region asks for already recorded. Outside a
 * region (or for 'unchanged' ops) the inputs come back as they are.
 */

/** True when every value of `narrow` is exactly representable in `wide`, so narrow→wide→narrow is the identity. */
function widensExactly(narrow: DType, wide: DType): boolean {
  if (narrow === 'bfloat16' || narrow === 'float16')
    return wide === 'float32' || wide === 'float64';
  return narrow === 'float32' && wide === 'float64';
}

/**
 * The node holding `node` converted to `dtype`. Two shortcuts, both exact:
 * - `node` is itself a widening cast of a `dtype` value (tensor methods promote bf16 to fp32
 *   before a matmul that autocast then narrows again): the source is reused, and the
 *   gradient is identical because both casts' backward passes are exact too.
 * - the cast cache: the same fp32 leaf cast to the region dtype again returns one node, so a
 *   weight used twice is converted once (torch's rule: fp32 leaves or tensors requiring grad,
 *   to the region's dtype, cache enabled). Unlike torch, a cast already realized is not
 *   reused, so a region spanning an optimizer step never reads a stale half weight.
 */
function castNode(node: LazyNode, dtype: DType, region: AutocastRegion): LazyNode {
  const source = node.inputs[0];
  if (node.op === 'cast' && source !== undefined && source.dtype === dtype) {
    if (widensExactly(dtype, node.dtype)) return source;
  }
  const cacheable =
    region.cacheEnabled &&
    dtype === region.dtype &&
    node.dtype === 'float32' &&
    (node.isLeafForRun || node.requiresGrad);
  const key = `${node.id}:${dtype}`;
  if (cacheable) {
    const hit = castCache().get(key);
    // A realized cast holds the weight's value at that run; optimizerStep updates parameter
    // storages in place, so a realized hit may be stale: record a fresh cast instead.
    if (hit !== undefined && hit.realized === undefined && !hit.disposed) return hit;
  }
  // Built directly (not through record) so the cast is not itself subject to the policy.
  const cast = new LazyNode('cast', [node], { dtype }, node.shape, dtype);
  if (cacheable) castCache().set(key, cast);
  return cast;
}

/** The dtype a 'promote' op's eligible inputs are brought to: the widest of them (undefined if none). */
function promoteTarget(nodes: readonly LazyNode[]): DType | undefined {
  let widest: DType | undefined;
  for (const n of nodes) {
    if (!isAutocastEligible(n.dtype)) continue;
    widest = widest === undefined ? n.dtype : leastUpperDtype(widest, n.dtype);
  }
  return widest;
}

/**
 * Applies the active region's policy to `op`'s inputs. Only floating fp32/fp16/bf16 inputs
 * are touched: fp64, integer and bool inputs are never autocast (torch's eligibility rule).
 */
export function applyAutocast(op: OpName, nodes: readonly LazyNode[]): readonly LazyNode[] {
  const region = activeRegion();
  if (region === undefined) return nodes;
  const category = region.table[op];
  let target: DType | undefined;
  switch (category) {
    case 'unchanged':
      return nodes;
    case 'lowp':
      // torch casts every eligible arg, so an fp16 input in a bf16 region becomes bf16 too.
      target = region.dtype;
      break;
    case 'fp32':
      target = 'float32';
      break;
    case 'promote':
      target = promoteTarget(nodes);
      break;
  }
  if (target === undefined) return nodes;
  const to = target;
  return nodes.map((n) =>
    isAutocastEligible(n.dtype) && n.dtype !== to ? castNode(n, to, region) : n,
  );
}
