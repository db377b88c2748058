import type { Backend, Storage } from '../backend/backend.js';
import { getBackend } from '../backend/default-registry.js';
import { BackendError } from '../errors/backend-error.js';
import { MixtError } from '../errors/mixt-error.js';
import { lowerGraph } from './cache-key.js';
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
 * The realize stage: computes every node of `nodes` that has no value yet, in ONE
 * `backend.run`, and binds the results to the nodes. The backend is the one the inputs
 * already live on, else `backend`, else the current backend (`getBackend()`).
 */
export async function realizeNodes(
  nodes: readonly LazyNode[],
  backend?: Backend,
): Promise<Backend> {
  const pending = [...new Set(nodes)].filter((n) => !n.realized);
  for (const n of nodes)
    if (n.disposed)
      throw new MixtError(
        `realize: a ${n.dtype}[${n.shape.join(',')}] tensor was disposed; expected a live tensor`,
      );
  if (pending.length === 0) return nodes[0]?.realized?.backend ?? backend ?? getBackend();

  const { graph, feedNodes } = lowerGraph(pending);
  const target =
    backend ?? feedNodes.find((n) => n.realized)?.realized?.backend ?? (await getBackend());
  const feeds = feedNodes.map((node) => feedStorage(node, target));
  const outputs = await target.run(graph, feeds);
  pending.forEach((node, i) => {
    // Another realize may have finished the same node meanwhile: keep the first value.
    if (node.realized) target.free(outputs[i]);
    else attachStorage(node, target, outputs[i]);
  });
  return target;
}

function feedStorage(node: LazyNode, backend: Backend): Storage {
  if (node.disposed) {
    throw new MixtError(
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
    throw new MixtError(`realize: input node ${node.id} has neither host data nor storage`);
  const storage = backend.upload(node.hostData, node.dtype, node.shape);
  attachStorage(node, backend, storage);
  return storage;
}
