import { castStorage } from '../../dtype/convert.js';
import { allocStorage, DTYPE_NAMES, type DType, isDType } from '../../dtype/dtypes.js';
import { BackendError } from '../../errors/backend-error.js';
import { DtypeError } from '../../errors/dtype-error.js';
import { ShapeMismatchError } from '../../errors/shape-mismatch-error.js';
import { formatShape, type Graph } from '../../graph/graph.js';
import { inferNode } from '../../ops/infer.js';
import { hostOptimizerStepOn } from '../../optim/host-optimizer-step.js';
import { checkOptions, optionSpec } from '../../util/check-option-keys.js';
import type { Backend, BackendCapabilities, DTypeSupport, Storage } from '../backend.js';
import { checkUpload } from '../check-upload.js';
import { type GraphPlan, planGraph, planReleases } from './graph-plan.js';
import { interpret } from './interpret.js';
import type { Value } from './kernel.js';
import { matmulValues } from './kernels/matmul.js';
import { StoragePool } from './storage-pool.js';

/** Options of `createReferenceBackend`. */
export interface ReferenceBackendOptions {
  /** Registry name and `Storage.backend` of the instance (default `'reference'`). */
  readonly name?: string;
}

const REFERENCE_BACKEND_OPTIONS = optionSpec<ReferenceBackendOptions>({ name: 'string' });

/** Counters of a reference backend, for tests and the conformance suite. */
export interface ReferenceRunStats {
  /** Calls of `run`. */
  readonly runs: number;
  /** Distinct graph objects verified and planned (a training loop should compile once). */
  readonly compiles: number;
}

/** The reference backend: a `Backend` plus its run counters. */
export interface ReferenceBackend extends Backend {
  readonly stats: ReferenceRunStats;
}

const CAPABILITIES: BackendCapabilities = Object.freeze({
  devices: Object.freeze(['cpu']),
  // Every dtype in its own storage: halves are real 16-bit patterns (2 bytes an element).
  dtypes: Object.freeze(
    Object.fromEntries(DTYPE_NAMES.map((d) => [d, 'native'])) as Record<DType, DTypeSupport>,
  ),
  // No fused kernels: optimizerStep is core's host implementation.
  fusedOptimizers: Object.freeze([]),
});

/**
 * Creates the reference backend, the oracle of mixprec: a pure-TypeScript interpreter over real
 * typed arrays (half dtypes as 16-bit patterns). Every op computes in float64 from exactly
 * decoded inputs and rounds once to its output dtype; reductions, softmax and matmul
 * accumulate in float64. See `kernels.ts` for the per-op semantics.
 *
 * The methods close over the backend's state instead of reading `this`, so wrappers built
 * with `Object.create(backend)` or a Proxy (test spies, the registry) keep working.
 */
export function createReferenceBackend(options: ReferenceBackendOptions = {}): ReferenceBackend {
  options = checkOptions('createReferenceBackend', options, REFERENCE_BACKEND_OPTIONS);
  const name = options.name ?? 'reference';
  const pool = new StoragePool(name);
  const plans = new WeakMap<Graph, GraphPlan>();
  const stats = { runs: 0, compiles: 0 };

  /** Verifies and plans a graph the first time this backend sees the object. */
  const planFor = (graph: Graph): GraphPlan => {
    let plan = plans.get(graph);
    if (plan === undefined) {
      plan = planGraph(graph);
      plans.set(graph, plan);
      stats.compiles++;
    }
    return plan;
  };

  const value = (storage: Storage, where: string): Value => ({
    data: pool.data(storage, where),
    dtype: storage.dtype,
    shape: storage.shape,
  });

  return {
    name,
    specVersion: 1,
    capabilities: CAPABILITIES,
    stats,

    upload(data, dtype, shape) {
      checkUpload(`${name}.upload`, data, dtype, shape);
      // A fresh plain array: the caller may reuse its own (and Buffer.slice would share memory).
      const copy = allocStorage(dtype, data.length);
      copy.set(data);
      return pool.adopt(copy, dtype, shape);
    },

    async download(storage) {
      return pool.data(storage, "download: argument 'storage'").slice();
    },

    free(storage) {
      pool.free(storage);
    },

    memory(opts) {
      return pool.memory(opts?.resetPeak === true);
    },

    async run(graph, feeds, runOptions) {
      const plan = planFor(graph);
      stats.runs++;
      if (feeds.length !== graph.inputs.length) {
        throw new BackendError(
          `${name}.run: got ${feeds.length} feeds; expected ${graph.inputs.length} (one per graph.inputs entry)`,
        );
      }
      const data = graph.inputs.map((j, k) => {
        const node = graph.nodes[j];
        const feed = feeds[k];
        const where = `${name}.run: feeds[${k}] (input node ${j})`;
        const array = pool.data(feed, `run: feeds[${k}]`);
        if (feed.dtype !== node.dtype) {
          throw new DtypeError(`${where} has dtype ${feed.dtype}; expected ${node.dtype}`);
        }
        if (formatShape(feed.shape) !== formatShape(node.shape)) {
          throw new ShapeMismatchError(
            `${where} has shape ${formatShape(feed.shape)}; expected ${formatShape(node.shape)}`,
          );
        }
        return array;
      });
      const releases = planReleases(graph, plan, runOptions?.release ?? [], `${name}.run`);
      return interpret(graph, plan, data, pool, releases);
    },

    async cast(storage, dtype) {
      const data = pool.data(storage, "cast: argument 'storage'");
      if (!isDType(dtype)) {
        throw new DtypeError(
          `${name}.cast: argument 'dtype' is ${JSON.stringify(dtype)}; expected one of ${DTYPE_NAMES.join(', ')}`,
        );
      }
      return pool.adopt(castStorage(data, storage.dtype, dtype), dtype, storage.shape);
    },

    async matmul(a, b) {
      const x = value(a, "matmul: argument 'a'");
      const y = value(b, "matmul: argument 'b'");
      const out = inferNode('matmul', {}, [x, y]);
      return pool.adopt(matmulValues(x, y, out.shape, out.dtype), out.dtype, out.shape);
    },

    async optimizerStep(request) {
      hostOptimizerStepOn(request, value);
    },

    dispose() {
      pool.dispose();
    },
  };
}
