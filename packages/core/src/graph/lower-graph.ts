import type { OpName } from '../ops/catalogue.js';
import type { Graph, GraphNode } from './graph.js';
import type { LazyNode } from './node.js';

/**
 * Turns the part of the lazy graph that must be computed for `outputs` into a `Graph`:
 * nodes reachable from the outputs, stopping at inputs and realized nodes (which become
 * feeds). Returns the graph (shared through the structural cache) and the lazy nodes to feed.
 */
export interface LoweredGraph {
  readonly graph: Graph;
  /** `feeds[i]` is the lazy node behind `graph.inputs[i]`. */
  readonly feedNodes: readonly LazyNode[];
  /** Graph index of each extra root, in the order given (they are computed, not outputs). */
  readonly extraIndices: readonly number[];
  /** Graph index of a lowered lazy node, `undefined` when the graph does not hold it. */
  indexOf(node: LazyNode): number | undefined;
}

const MAX_CACHED_GRAPHS = 512;

// JSON writes -0 as 0 and NaN/±Infinity as null; attribute values must stay distinct in the key
// (a -inf mask must not reuse a NaN graph). No attribute string starts with '#'.
const keyReplacer = (_key: string, v: unknown) =>
  typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))
    ? `#${Object.is(v, -0) ? '-0' : v}`
    : v;
const cache = new Map<string, Graph>();
let hits = 0;
let misses = 0;

/** Structural cache statistics: a training loop should miss once per distinct step shape. */
export function graphCacheStats(): { size: number; hits: number; misses: number } {
  return { size: cache.size, hits, misses };
}

/**
 * Lowers lazy nodes to a cached `Graph`. `extraRoots` are lowered too (after the outputs, in
 * the order given) without becoming outputs: values a run hands over early (gradient release).
 */
export function lowerGraph(
  outputs: readonly LazyNode[],
  extraRoots: readonly LazyNode[] = [],
): LoweredGraph {
  const index = new Map<LazyNode, number>();
  const order: LazyNode[] = [];
  // Iterative post-order DFS: deep graphs (long training steps) must not hit the call stack limit.
  const stack: Array<{ node: LazyNode; next: number }> = [];
  for (const out of [...outputs, ...extraRoots]) {
    if (index.has(out)) continue;
    stack.push({ node: out, next: 0 });
    const onStack = new Set<LazyNode>([out]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const inputs = top.node.isLeafForRun ? [] : top.node.inputs;
      if (top.next < inputs.length) {
        const child = inputs[top.next++];
        if (!index.has(child) && !onStack.has(child)) {
          onStack.add(child);
          stack.push({ node: child, next: 0 });
        }
        continue;
      }
      stack.pop();
      onStack.delete(top.node);
      index.set(top.node, order.length);
      order.push(top.node);
    }
  }

  const feedNodes: LazyNode[] = [];
  const parts: string[] = [];
  for (const node of order) {
    const leaf = node.isLeafForRun;
    if (leaf) feedNodes.push(node);
    const op: OpName = leaf ? 'input' : node.op;
    const inputs = leaf ? '' : node.inputs.map((n) => index.get(n)).join(',');
    const attrs = leaf ? '' : JSON.stringify(node.attrs, keyReplacer);
    parts.push(`${op}(${inputs})${attrs}:${node.dtype}[${node.shape.join(',')}]`);
  }
  const outIdx = outputs.map((n) => index.get(n) as number);
  const extraIndices = extraRoots.map((n) => index.get(n) as number);
  // Extra roots change what is lowered, and where: the key names them apart from the outputs.
  const key = `${parts.join(';')}=>${outIdx.join(',')}${extraIndices.length > 0 ? `+${extraIndices.join(',')}` : ''}`;

  let graph = cache.get(key);
  if (graph) {
    hits++;
    cache.delete(key); // refresh LRU position
  } else {
    misses++;
    graph = buildGraph(order, index, outIdx, key);
    if (cache.size >= MAX_CACHED_GRAPHS) cache.delete(cache.keys().next().value as string);
  }
  cache.set(key, graph);
  return { graph, feedNodes, extraIndices, indexOf: (node) => index.get(node) };
}

function buildGraph(
  order: readonly LazyNode[],
  index: ReadonlyMap<LazyNode, number>,
  outputs: readonly number[],
  key: string,
): Graph {
  const inputs: number[] = [];
  const nodes = order.map((node, i): GraphNode => {
    if (node.isLeafForRun) {
      inputs.push(i);
      return { op: 'input', inputs: [], attrs: {}, shape: node.shape, dtype: node.dtype };
    }
    return {
      op: node.op,
      inputs: node.inputs.map((n) => index.get(n) as number),
      attrs: node.attrs,
      shape: node.shape,
      dtype: node.dtype,
    } as GraphNode;
  });
  return Object.freeze({ nodes: Object.freeze(nodes), inputs, outputs, key });
}
