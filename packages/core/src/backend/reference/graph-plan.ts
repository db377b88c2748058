import { BackendError } from '../../errors/backend-error.js';
import type { Graph } from '../../graph/graph.js';
import { verifyGraph } from '../../graph/verify.js';
import type { EarlyRelease } from '../backend.js';

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

/** An early release with the node index after which the interpreter hands it over. */
export interface PlannedRelease {
  readonly release: EarlyRelease;
  /** The last of: the node itself, its last reader, the last reader of each `after` node. */
  readonly readyAt: number;
}

/**
 * Checks a run's early releases against the graph (`where` prefixes the errors) and orders
 * them by the index of the node after which each becomes ready (ties in node order).
 */
export function planReleases(
  graph: Graph,
  plan: GraphPlan,
  releases: readonly EarlyRelease[],
  where: string,
): PlannedRelease[] {
  const n = graph.nodes.length;
  const isIndex = (j: unknown): j is number =>
    Number.isInteger(j) && (j as number) >= 0 && (j as number) < n;
  const seen = new Set<number>();
  const planned = releases.map((release, k) => {
    const at = `${where}: release[${k}]`;
    const { node, after } = release;
    if (!isIndex(node)) {
      throw new BackendError(`${at}.node is ${node}; expected a node index in [0, ${n})`);
    }
    if (graph.nodes[node].op === 'input') {
      throw new BackendError(`${at}.node ${node} is an input node; expected a computed node`);
    }
    if (plan.isOutput[node]) {
      throw new BackendError(
        `${at}.node ${node} is a graph output; expected a node not in graph.outputs`,
      );
    }
    if (seen.has(node)) {
      throw new BackendError(
        `${at}.node ${node} is released twice; expected each node at most once`,
      );
    }
    seen.add(node);
    let readyAt = Math.max(node, plan.lastUse[node]);
    for (const j of after) {
      if (!isIndex(j)) {
        throw new BackendError(`${at}.after holds ${j}; expected node indices in [0, ${n})`);
      }
      readyAt = Math.max(readyAt, plan.lastUse[j]);
    }
    return { release, readyAt };
  });
  return planned.sort((a, b) => a.readyAt - b.readyAt || a.release.node - b.release.node);
}
