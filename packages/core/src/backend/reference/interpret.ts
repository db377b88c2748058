import type { StorageArray } from '../../dtype/dtypes.js';
import type { Graph, GraphNode } from '../../graph/graph.js';
import type { Storage } from '../backend.js';
import type { GraphPlan, PlannedRelease } from './graph-plan.js';
import type { Kernel, Value } from './kernel.js';
import { KERNELS } from './kernels.js';
import type { StoragePool } from './storage-pool.js';

/** Runs a node's kernel; the table's per-op signatures are joined into one call here. */
const runKernel = (node: GraphNode, inputs: readonly Value[]): StorageArray =>
  (KERNELS[node.op] as Kernel)(node, inputs);

/**
 * Interprets a planned graph node by node. `feeds[i]` is the (checked) data of node
 * `graph.inputs[i]`. Every computed value is counted in `pool` while it lives and released
 * right after its last reader ran, so the pool's peak is the step's real high-water mark.
 * Returns one new storage per output: the first output of a computed node takes its buffer;
 * an input node or a repeated output gets a copy, so each is independently freeable.
 *
 * `releases` (ordered by `planReleases`) are handed over right after the node at their
 * `readyAt` ran: the value's buffer becomes a pool storage (counted until the callee frees it)
 * and the interpreter awaits `onReady` before the next node, so a released gradient is gone
 * before later gradients are computed. A released node is never dropped as an intermediate.
 */
export async function interpret(
  graph: Graph,
  plan: GraphPlan,
  feeds: readonly StorageArray[],
  pool: StoragePool,
  releases: readonly PlannedRelease[] = [],
): Promise<Storage[]> {
  const { nodes } = graph;
  const values = new Array<StorageArray | undefined>(nodes.length);
  graph.inputs.forEach((j, k) => {
    values[j] = feeds[k];
  });
  // Values this run allocated and still counts as live intermediates.
  const owned = new Uint8Array(nodes.length);
  const released = new Uint8Array(nodes.length);
  for (const { release } of releases) released[release.node] = 1;
  let nextRelease = 0;
  const drop = (j: number) => {
    if (!owned[j] || plan.isOutput[j] || released[j]) return;
    pool.release(nodes[j].dtype, (values[j] as StorageArray).length);
    owned[j] = 0;
    values[j] = undefined;
  };
  try {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (node.op === 'input') continue;
      const inputs = node.inputs.map((j) => ({
        data: values[j] as StorageArray,
        dtype: nodes[j].dtype,
        shape: nodes[j].shape,
      }));
      const out = runKernel(node, inputs);
      values[i] = out;
      owned[i] = 1;
      pool.reserve(node.dtype, out.length);
      for (const j of node.inputs) if (plan.lastUse[j] === i) drop(j);
      if (plan.lastUse[i] === -1) drop(i);
      while (nextRelease < releases.length && releases[nextRelease].readyAt === i) {
        const { release } = releases[nextRelease++];
        const j = release.node;
        // The storage takes the buffer and its count; from here the callee owns both.
        const storage = pool.adopt(values[j] as StorageArray, nodes[j].dtype, nodes[j].shape, true);
        owned[j] = 0;
        values[j] = undefined;
        await release.onReady(storage);
      }
    }
    return graph.outputs.map((j) => {
      const data = values[j] as StorageArray;
      if (!owned[j]) return pool.adopt(data.slice(), nodes[j].dtype, nodes[j].shape);
      owned[j] = 0;
      return pool.adopt(data, nodes[j].dtype, nodes[j].shape, true);
    });
  } finally {
    // After a throw: stop counting whatever was still alive.
    nodes.forEach((node, j) => {
      if (owned[j]) pool.release(node.dtype, (values[j] as StorageArray).length);
    });
  }
}
