import type { Graph } from '../../graph/graph.js';
import { verifyGraph } from '../../graph/verify.js';

/** What the interpreter needs to know about a graph beyond its nodes, computed once per graph. */
export interface GraphPlan {
  /** For each node, the index of the last node that reads it, or -1 if none does. */
  readonly lastUse: Int32Array;
  /** 1 for nodes whose values `run` returns (their buffers are handed over, never freed). */
  readonly isOutput: Uint8Array;
}

/**
 * Verifies a graph (`verifyGraph` checks that `graph.inputs` are exactly its `input` nodes, each
 * once) and computes the last use of every value, so the interpreter frees intermediates as
 * soon as their last reader ran.
 */
export function planGraph(graph: Graph): GraphPlan {
  verifyGraph(graph);
  const n = graph.nodes.length;
  const lastUse = new Int32Array(n).fill(-1);
  graph.nodes.forEach((node, i) => {
    for (const j of node.inputs) lastUse[j] = i;
  });
  const isOutput = new Uint8Array(n);
  for (const j of graph.outputs) isOutput[j] = 1;
  return { lastUse, isOutput };
}
