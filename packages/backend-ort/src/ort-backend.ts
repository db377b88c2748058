import os from 'node:os';
import {
  type Backend,
  type BackendCapabilities,
  BackendError,
  bf16ToF32,
  checkOptions,
  checkUpload,
  DTYPE_NAMES,
  DTYPES,
  type DType,
  type DTypeSupport,
  DtypeError,
  f32ToBf16,
  formatShape,
  type Graph,
  type GraphNode,
  type HostTensor,
  hostOptimizerStepOn,
  inferNode,
  isDType,
  type MemoryInfo,
  optionSpec,
  ShapeMismatchError,
  type Storage,
  type StorageArray,
  shapeSize,
  verifyGraph,
} from '@mixprec/core';
import type * as ort from 'onnxruntime-node';
import { type CompiledModel, compileGraph, ortTypeName } from './compile.js';
import { loadOnnxRuntime } from './load-onnxruntime.js';

/** Options of `createOrtBackend`. */
export interface OrtBackendOptions {
  /** Registry name and `Storage.backend` of the instance (default `'ort'`, or `'ort-cuda'` on CUDA). */
  readonly name?: string;
  /** Execution provider (default: `MIXPREC_ORT_EP` or `'cpu'`). */
  readonly executionProvider?: 'cpu' | 'cuda';
  /** Intra-op threads (default: the number of CPU cores). */
  readonly intraOpNumThreads?: number;
}

const ORT_BACKEND_OPTIONS = optionSpec<OrtBackendOptions>({
  name: 'string',
  executionProvider: 'any', // 'cpu' | 'cuda', checked with MIXPREC_ORT_EP by pickProvider
  intraOpNumThreads: {
    expected: 'a positive integer',
    test: (v) => Number.isInteger(v) && (v as number) > 0,
  },
});

/** Counters of an ORT backend. */
export interface OrtRunStats {
  /** Calls of `run` (each is one `InferenceSession.run`). */
  readonly runs: number;
  /** Distinct models compiled (one ONNX session each). */
  readonly compiles: number;
}

/** The ORT backend: a `Backend` plus its counters. */
export interface OrtBackend extends Backend {
  readonly stats: OrtRunStats;
  /** Creates a probe session: rejects (e.g. with the CUDA setup error) when the provider cannot run. */
  ready(): Promise<void>;
}

/**
 * Creates an ORT backend and checks that its execution provider loads (a CUDA backend without
 * the CUDA files rejects with the setup error instead of failing at its first run). This is
 * the factory to register: `selectBackend('auto')` then skips an unavailable provider with the
 * reason.
 */
export async function loadOrtBackend(options: OrtBackendOptions = {}): Promise<OrtBackend> {
  checkOptions('loadOrtBackend', options, ORT_BACKEND_OPTIONS);
  const backend = createOrtBackend(options);
  try {
    await backend.ready();
  } catch (error) {
    await backend.dispose();
    throw error;
  }
  return backend;
}

/** The ORT CUDA provider docs, named in the error when the CUDA files are missing. */
export const ORT_CUDA_DOCS =
  'https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html';

/** Host data as ORT takes it: halves of float16 as bit patterns, bfloat16 as float32 values. */
type HostArray = Exclude<StorageArray, never> | Float32Array;

class OrtStorage implements Storage {
  constructor(
    readonly backend: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly size: number,
  ) {}
}

const DTYPE_SUPPORT = Object.freeze(
  Object.fromEntries(
    DTYPE_NAMES.map((d) => [d, d === 'bfloat16' ? 'emulated' : 'native']),
  ) as Record<DType, DTypeSupport>,
);

/** Bytes an element of `dtype` takes in this backend (bfloat16 lives in a float32 container). */
const itemBytes = (dtype: DType) => (dtype === 'bfloat16' ? 4 : DTYPES[dtype].itemSize);

const zeroByDtype = () =>
  Object.fromEntries(DTYPE_NAMES.map((d) => [d, 0])) as Record<DType, number>;

/** bf16 bit patterns → float32 container (exact). */
const bf16Container = (bits: Uint16Array): Float32Array => bf16ToF32(bits);

/** float32 container holding bf16 values → bf16 bit patterns (exact for bf16 values). */
const bf16Bits = (values: Float32Array): Uint16Array => f32ToBf16(values);

/** The execution provider asked for by option or `MIXPREC_ORT_EP`. */
function pickProvider(option: OrtBackendOptions['executionProvider']): 'cpu' | 'cuda' {
  const env = process.env.MIXPREC_ORT_EP;
  const ep = option ?? (env === undefined || env === '' ? 'cpu' : env);
  if (ep !== 'cpu' && ep !== 'cuda') {
    throw new BackendError(
      `ort: execution provider ${JSON.stringify(ep)} (from ${option === undefined ? 'MIXPREC_ORT_EP' : "option 'executionProvider'"}); expected 'cpu' or 'cuda'`,
    );
  }
  return ep;
}

/** The clear error for a CUDA session that cannot load its provider library. */
export function cudaMissingError(cause: unknown): BackendError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new BackendError(
    `ort: the CUDA execution provider could not be loaded (${detail.split('\n')[0]}). the onnxruntime-node package carries CPU binaries only, and its install script fetches the CUDA 12 provider files on linux/x64. Let that script run: with npm, ONNXRUNTIME_NODE_INSTALL=1 npm rebuild onnxruntime-node (an install with ONNXRUNTIME_NODE_INSTALL=skip skipped it); with pnpm, allow it ("pnpm": { "onlyBuiltDependencies": ["onnxruntime-node"] } in package.json) and run pnpm rebuild onnxruntime-node. CUDA 12 and cuDNN 9 must be on the library path. See ${ORT_CUDA_DOCS}`,
  );
}

interface CacheEntry {
  readonly model: CompiledModel;
  readonly session: Promise<ort.InferenceSession>;
}

/**
 * Creates the onnxruntime-node backend: each graph is compiled once to an ONNX model (one
 * `InferenceSession` per distinct graph structure) and a whole graph runs as ONE
 * `session.run`. Storage lives on the host as typed arrays ORT reads directly.
 */
export function createOrtBackend(options: OrtBackendOptions = {}): OrtBackend {
  options = checkOptions('createOrtBackend', options, ORT_BACKEND_OPTIONS);
  const ep = pickProvider(options.executionProvider);
  const name = options.name ?? (ep === 'cuda' ? 'ort-cuda' : 'ort');
  const threads = options.intraOpNumThreads ?? Math.max(1, os.cpus().length);
  const live = new Map<Storage, HostArray>();
  const freed = new WeakSet<Storage>();
  const byDtype = zeroByDtype();
  let bytes = 0;
  let peak = 0;
  let disposed = false;
  const stats = { runs: 0, compiles: 0 };
  const cache = new Map<string, CacheEntry>();

  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
    // Every session owns an intra-op thread pool whose threads spin after a run. With a session
    // per graph structure, the spinning pools compete for the cores (a 1024² matmul measured
    // 25% slower while another session's pool spun, on 2 cores): threads sleep instead.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    // Errors reach the caller as exceptions; on CUDA a missing library is also logged natively.
    logSeverityLevel: ep === 'cuda' ? 4 : 3,
  };

  const checkOpen = (where: string) => {
    if (disposed) throw new BackendError(`${name}.${where}: the backend was disposed`);
  };

  const adopt = (data: HostArray, dtype: DType, shape: readonly number[]): Storage => {
    const storage = new OrtStorage(name, dtype, [...shape], shapeSize(shape));
    const b = storage.size * itemBytes(dtype);
    bytes += b;
    byDtype[dtype] += b;
    if (bytes > peak) peak = bytes;
    live.set(storage, data);
    return storage;
  };

  const dataOf = (storage: Storage, where: string): HostArray => {
    checkOpen(where);
    const data = live.get(storage);
    if (data !== undefined) return data;
    const what = `${where} is a ${storage?.dtype}${formatShape(storage?.shape ?? [])} storage of backend '${storage?.backend}'`;
    if (freed.has(storage)) {
      throw new BackendError(
        `${name}.${what} that was already freed; expected a live storage (do not use a storage after free)`,
      );
    }
    throw new BackendError(
      `${name}.${what} that this backend instance did not create; expected a storage returned by this '${name}' backend (upload, run, cast or matmul)`,
    );
  };

  /** Host storage array (core's format: halves as bit patterns) of a storage. */
  const storageArray = (storage: Storage, where: string): StorageArray => {
    const data = dataOf(storage, where);
    return storage.dtype === 'bfloat16' ? bf16Bits(data as Float32Array) : (data as StorageArray);
  };

  const entryFor = (graph: Graph, extra: readonly number[]): CacheEntry => {
    const key = extra.length === 0 ? graph.key : `${graph.key}#release:${extra.join(',')}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      verifyGraph(graph);
      const model = compileGraph(graph, extra);
      const session = loadOnnxRuntime()
        .then((ort) => ort.InferenceSession.create(model.bytes, sessionOptions))
        .catch((error: unknown) => {
          cache.delete(key);
          if (BackendError.isInstance(error)) throw error; // onnxruntime-node did not load
          const message = error instanceof Error ? error.message : String(error);
          if (ep === 'cuda' && /shared library|cuda|CUDA/i.test(message))
            throw cudaMissingError(error);
          throw new BackendError(
            `${name}: onnxruntime could not create a session for a ${graph.nodes.length}-node graph: ${message}`,
          );
        });
      entry = { model, session };
      cache.set(key, entry);
      stats.compiles++;
    }
    return entry;
  };

  /** Runs `graph` on host arrays; returns one storage per output (then per extra node). */
  const execute = async (
    graph: Graph,
    feeds: readonly Storage[],
    extra: readonly number[],
    where: string,
  ) => {
    const entry = entryFor(graph, extra);
    const session = await entry.session;
    // Loaded by the time a session exists.
    const ort = await loadOnnxRuntime();
    const inputs: Record<string, ort.Tensor> = {};
    entry.model.inputNames.forEach((inName, k) => {
      const node = graph.nodes[graph.inputs[k]];
      const feed = feeds[k];
      const data = dataOf(feed, `run: feeds[${k}]`);
      const at = `${where}: feeds[${k}] (input node ${graph.inputs[k]})`;
      if (feed.dtype !== node.dtype)
        throw new DtypeError(`${at} has dtype ${feed.dtype}; expected ${node.dtype}`);
      if (formatShape(feed.shape) !== formatShape(node.shape)) {
        throw new ShapeMismatchError(
          `${at} has shape ${formatShape(feed.shape)}; expected ${formatShape(node.shape)}`,
        );
      }
      inputs[inName] = new ort.Tensor(ortTypeName(node.dtype), data as never, [...node.shape]);
    });
    const results = await session.run(inputs);
    return entry.model.outputNames.map((outName, k) => {
      const t = results[outName];
      const dtype = entry.model.outputDtypes[k];
      const data = t.data as HostArray;
      return adopt(data, dtype, entry.model.outputShapes[k]);
    });
  };

  const probe = async (): Promise<void> => {
    const graph: Graph = {
      nodes: [
        { op: 'input', inputs: [], attrs: {}, shape: [1], dtype: 'float32' },
        { op: 'neg', inputs: [0], attrs: {}, shape: [1], dtype: 'float32' },
      ],
      inputs: [0],
      outputs: [1],
      key: 'ort-probe',
    };
    await entryFor(graph, []).session;
  };

  const free = (storage: Storage): void => {
    dataOf(storage, "free: argument 'storage'");
    live.delete(storage);
    freed.add(storage);
    const b = storage.size * itemBytes(storage.dtype);
    bytes -= b;
    byDtype[storage.dtype] -= b;
  };

  /** A one-node graph over fresh inputs, for the primitives. */
  const primitiveGraph = (node: GraphNode, inputs: readonly Storage[]): Graph => {
    const nodes: GraphNode[] = inputs.map(
      (s) =>
        ({ op: 'input', inputs: [], attrs: {}, shape: [...s.shape], dtype: s.dtype }) as GraphNode,
    );
    nodes.push(node);
    const key = `primitive:${JSON.stringify(nodes)}`;
    return { nodes, inputs: inputs.map((_s, i) => i), outputs: [inputs.length], key };
  };

  const capabilities: BackendCapabilities = Object.freeze({
    devices: Object.freeze([ep === 'cuda' ? 'cuda:0' : 'cpu']),
    dtypes: DTYPE_SUPPORT,
    fusedOptimizers: Object.freeze([]),
  });

  return {
    name,
    specVersion: 1,
    capabilities,
    stats,
    ready: probe,

    upload(data, dtype, shape) {
      checkOpen('upload');
      checkUpload(`${name}.upload`, data, dtype, shape);
      const array = data as StorageArray;
      const copy: HostArray =
        dtype === 'bfloat16'
          ? bf16Container(array as Uint16Array)
          : (array.slice() as StorageArray);
      return adopt(copy, dtype, shape);
    },

    async download(storage) {
      const data = storageArray(storage, "download: argument 'storage'");
      return data === live.get(storage) ? data.slice() : data;
    },

    free,

    memory(opts): MemoryInfo {
      const info: MemoryInfo = {
        bytes,
        storages: live.size,
        byDtype: { ...byDtype },
        peakBytes: peak,
      };
      if (opts?.resetPeak === true) peak = bytes;
      return info;
    },

    async run(graph, feeds, runOptions) {
      checkOpen('run');
      stats.runs++;
      if (feeds.length !== graph.inputs.length) {
        throw new BackendError(
          `${name}.run: got ${feeds.length} feeds; expected ${graph.inputs.length} (one per graph.inputs entry)`,
        );
      }
      const release = [...(runOptions?.release ?? [])].sort((a, b) => a.node - b.node);
      const seen = new Set<number>();
      for (const r of release) {
        const node = graph.nodes[r.node];
        if (
          node === undefined ||
          node.op === 'input' ||
          graph.outputs.includes(r.node) ||
          seen.has(r.node)
        ) {
          throw new BackendError(
            `${name}.run: release node ${r.node} is not a computed, non-output node of the graph (or is listed twice); expected each release to name a distinct computed node that is not in graph.outputs`,
          );
        }
        seen.add(r.node);
      }
      const storages = await execute(
        graph,
        feeds,
        release.map((r) => r.node),
        `${name}.run`,
      );
      const outputs = storages.slice(0, graph.outputs.length);
      const released = storages.slice(graph.outputs.length);
      // A non-streaming backend: the whole graph has run; hand the values over in node order.
      for (let i = 0; i < release.length; i++) {
        try {
          await release[i].onReady(released[i]);
        } catch (error) {
          for (const s of [...outputs, ...released.slice(i + 1)]) if (live.has(s)) free(s);
          throw error;
        }
      }
      return outputs;
    },

    async cast(storage, dtype) {
      dataOf(storage, "cast: argument 'storage'");
      if (!isDType(dtype)) {
        throw new DtypeError(
          `${name}.cast: argument 'dtype' is ${JSON.stringify(dtype)}; expected one of ${DTYPE_NAMES.join(', ')}`,
        );
      }
      const node = {
        op: 'cast',
        inputs: [0],
        attrs: { dtype },
        shape: [...storage.shape],
        dtype,
      } as GraphNode;
      const [out] = await execute(primitiveGraph(node, [storage]), [storage], [], `${name}.cast`);
      return out;
    },

    async matmul(a, b) {
      dataOf(a, "matmul: argument 'a'");
      dataOf(b, "matmul: argument 'b'");
      const info = inferNode('matmul', {}, [a, b]);
      const node = {
        op: 'matmul',
        inputs: [0, 1],
        attrs: {},
        shape: [...info.shape],
        dtype: info.dtype,
      } as GraphNode;
      const [out] = await execute(primitiveGraph(node, [a, b]), [a, b], [], `${name}.matmul`);
      return out;
    },

    async optimizerStep(request) {
      const host = (s: Storage, where: string): HostTensor => ({
        data: storageArray(s, where),
        dtype: s.dtype,
      });
      const { param, state } = hostOptimizerStepOn(request, host);
      // bf16 storages were converted to bit arrays for the update: write the results back.
      const writeBack = (s: Storage, t: HostTensor) => {
        if (s.dtype === 'bfloat16')
          (live.get(s) as Float32Array).set(bf16Container(t.data as Uint16Array));
      };
      writeBack(request.param, param);
      for (const [key, s] of Object.entries(request.state)) writeBack(s, state[key]);
    },

    dispose() {
      disposed = true;
      live.clear();
      for (const entry of cache.values()) {
        entry.session.then((s) => s.release()).catch(() => undefined);
      }
      cache.clear();
    },
  };
}
