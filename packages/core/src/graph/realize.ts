import type { Backend, Storage } from '../backend/backend.js';
import { getBackend } from '../backend/default-registry.js';
import { BackendError } from '../errors/backend-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { lowerGraph } from './lower-graph.js';
import type { LazyNode, RealizedValue } from './node.js';

// Storages of nodes the program dropped without `dispose()` are freed when the node is collected.
const finalizer = new FinalizationRegistry<RealizedValue>(({ backend, storage }) => {
  try {
    backend.free(storage);
  } catch {
    // The backend may have been disposed already; nothing is left to free.
  }
});

/** Binds a storage to a node (and to the collector). */
export function attachStorage(node: LazyNode, backend: Backend, storage: Storage): void {
  const value = { backend, storage };
  node.realized = value;
  node.hostData = undefined;
  finalizer.register(node, value, node);
}

/** Frees a node's storage now. Later use of the node is an error. */
export function disposeNode(node: LazyNode): void {
  if (node.realized) {
    finalizer.unregister(node);
    node.realized.backend.free(node.realized.storage);
    node.realized = undefined;
  }
  node.hostData = undefined;
  node.disposed = true;
}

/**
 * A lazy node whose value the run hands over as soon as it is ready instead of returning it
 * (gradient release: update the parameter, free the gradient, while the step still runs).
 */
export interface ReleaseRequest {
  /** An unrealized node; it must not also be one of the nodes being realized. */
  readonly node: LazyNode;
  /** Nodes whose last reader must have run first; one the graph does not hold imposes nothing. */
  readonly after: readonly LazyNode[];
  /** Receives the value (the callee owns the storage and binds or frees it). */
  onReady(storage: Storage, backend: Backend): Promise<void>;
}

/** Options of `realizeNodes`. */
export interface RealizeOptions {
  /** Nodes to hand over during the run (see `Backend.run`'s `release`). */
  readonly release?: readonly ReleaseRequest[];
}

/**
 * The realize stage: computes every node of `nodes` that has no value yet, in ONE
 * `backend.run`, and binds the results to the nodes. The backend is the one the inputs
 * already live on, else `backend`, else the current backend (`getBackend()`). Released nodes
 * (`options.release`) are computed in the same run and handed to their `onReady`, which has
 * been called for each before this resolves.
 */
export async function realizeNodes(
  nodes: readonly LazyNode[],
  backend?: Backend,
  options: RealizeOptions = {},
): Promise<Backend> {
  const pending = [...new Set(nodes)].filter((n) => !n.realized);
  for (const n of nodes)
    if (n.disposed)
      throw new MixprecError(
        `realize: a ${n.dtype}[${n.shape.join(',')}] tensor was disposed; expected a live tensor`,
      );
  const requests = checkReleases(options.release ?? [], new Set(pending));
  if (pending.length === 0 && requests.length === 0)
    return nodes[0]?.realized?.backend ?? backend ?? getBackend();

  const lowered = lowerGraph(
    pending,
    requests.map((r) => r.node),
  );
  const { graph, feedNodes } = lowered;
  const target =
    backend ?? feedNodes.find((n) => n.realized)?.realized?.backend ?? (await getBackend());
  const feeds = feedNodes.map((node) => feedStorage(node, target));
  const release = requests.map((request, k) => ({
    node: lowered.extraIndices[k],
    after: request.after.flatMap((n) => lowered.indexOf(n) ?? []),
    onReady: (storage: Storage) => request.onReady(storage, target),
  }));
  const outputs = await target.run(graph, feeds, release.length > 0 ? { release } : undefined);
  pending.forEach((node, i) => {
    // Another realize may have finished the same node meanwhile: keep the first value.
    if (node.realized) target.free(outputs[i]);
    else attachStorage(node, target, outputs[i]);
  });
  return target;
}

/** Checks release requests: live, unrealized, each node once, none among the outputs. */
function checkReleases(
  requests: readonly ReleaseRequest[],
  outputs: ReadonlySet<LazyNode>,
): readonly ReleaseRequest[] {
  const seen = new Set<LazyNode>();
  requests.forEach(({ node }, k) => {
    const what = `realize: release[${k}] is a ${node.dtype}[${node.shape.join(',')}] tensor`;
    if (node.disposed) throw new MixprecError(`${what} that was disposed; expected a live tensor`);
    if (node.realized || node.op === 'input')
      throw new MixprecError(`${what} that already has a value; expected one still to compute`);
    if (outputs.has(node))
      throw new MixprecError(
        `${what} that is also realized as an output; expected one or the other`,
      );
    if (seen.has(node))
      throw new MixprecError(`${what} that is already released; expected each node once`);
    seen.add(node);
  });
  return requests;
}

function feedStorage(node: LazyNode, backend: Backend): Storage {
  if (node.disposed) {
    throw new MixprecError(
      `realize: an input ${node.dtype}[${node.shape.join(',')}] tensor was disposed; expected a live tensor`,
    );
  }
  if (node.realized) {
    if (node.realized.backend !== backend) {
      throw new BackendError(
        `realize: a ${node.dtype}[${node.shape.join(',')}] tensor lives on backend '${node.realized.backend.name}' but this graph runs on '${backend.name}'; expected all inputs on one backend (download and re-create the tensor to move it)`,
      );
    }
    return node.realized.storage;
  }
  if (!node.hostData)
    throw new MixprecError(`realize: input node ${node.id} has neither host data nor storage`);
  const storage = backend.upload(node.hostData, node.dtype, node.shape);
  attachStorage(node, backend, storage);
  return storage;
}
