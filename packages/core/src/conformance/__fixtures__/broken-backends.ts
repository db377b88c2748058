import type { Backend, MemoryInfo, Storage } from '../../backend/backend.js';
import { createReferenceBackend } from '../../backend/reference/reference-backend.js';
import { castStorage, roundToDtype } from '../../dtype/convert.js';
import type { DType } from '../../dtype/dtypes.js';
import type { Graph, GraphNode } from '../../graph/graph.js';

/**
 * Deliberately broken backends for the suite's own tests: the reference backend with one
 * defect each, so each test shows the suite FAILS the group that owns that defect.
 */

/** The reference backend with some members replaced; the rest are its own, bound to it. */
function wrap(backend: Backend, overrides: Partial<Backend>): Backend {
  return new Proxy(backend, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof Backend];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const isHalf = (d: DType) => d === 'bfloat16' || d === 'float16';

/** fp32 → bf16 casts by the primitive truncate (drop the low 16 bits) instead of rounding. */
export function truncatingBf16Cast(): Backend {
  const ref = createReferenceBackend();
  return wrap(ref, {
    async cast(storage: Storage, dtype: DType) {
      if (storage.dtype !== 'float32' || dtype !== 'bfloat16') return ref.cast(storage, dtype);
      const src = (await ref.download(storage)) as Float32Array;
      const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
      return ref.upload(
        Uint16Array.from(bits, (b) => b >>> 16),
        'bfloat16',
        storage.shape,
      );
    },
  });
}

/**
 * The matmul primitive accumulates in the half dtype (every product and partial sum rounded),
 * which is what torch 1.13's CPU bf16 mm does (matmul.json "description";
 * docs/conformance-vectors.md#matmuljson).
 */
export function halfAccumulatingMatmul(): Backend {
  const ref = createReferenceBackend();
  return wrap(ref, {
    async matmul(a: Storage, b: Storage) {
      if (!isHalf(a.dtype) || a.shape.length !== 2) return ref.matmul(a, b);
      const dt = a.dtype;
      const x = castStorage(await ref.download(a), dt, 'float64') as Float64Array;
      const y = castStorage(await ref.download(b), dt, 'float64') as Float64Array;
      const [M, K] = a.shape;
      const N = b.shape[1];
      const c = new Float64Array(M * N);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++)
            acc = roundToDtype(acc + roundToDtype(x[i * K + k] * y[k * N + j], dt), dt);
          c[i * N + j] = acc;
        }
      }
      return ref.upload(castStorage(c, 'float64', dt) as Uint16Array, dt, [M, N]);
    },
  });
}

/** `memory()` never goes down: it reports the largest value seen (freeing is not accounted). */
export function stickyMemory(): Backend {
  const ref = createReferenceBackend();
  let high: MemoryInfo | undefined;
  return wrap(ref, {
    memory(options?: { resetPeak?: boolean }) {
      const now = ref.memory(options);
      if (high === undefined || now.bytes > high.bytes) high = now;
      return high;
    },
  });
}

/** Claims int8 is unsupported but stores it anyway (no UnsupportedDtypeError). */
export function lyingCapabilities(): Backend {
  const ref = createReferenceBackend();
  const capabilities = {
    ...ref.capabilities,
    dtypes: { ...ref.capabilities.dtypes, int8: 'unsupported' as const },
  };
  return wrap(ref, { capabilities });
}

/**
 * Runs every half node of a graph in float32 and rounds to the half dtype only at the graph's
 * outputs: the dropped-rounding trap of ORT's CPU provider (Cast→op→Cast chains collapse;
 * docs/precision.md#numeric-ground-rules).
 */
export function droppedHalfRounding(): Backend {
  const ref = createReferenceBackend();
  const rewritten = new WeakMap<Graph, Graph>();
  return wrap(ref, {
    run(graph: Graph, feeds: readonly Storage[]) {
      let g = rewritten.get(graph);
      if (g === undefined) {
        g = computeHalvesInF32(graph);
        rewritten.set(graph, g);
      }
      return ref.run(g, feeds);
    },
  });
}

function computeHalvesInF32(graph: Graph): Graph {
  const nodes: GraphNode[] = [];
  const at: number[] = [];
  const inputs: number[] = [];
  const add = (node: GraphNode) => nodes.push(node) - 1;
  graph.nodes.forEach((node, i) => {
    if (node.op === 'input') {
      inputs.push(add(node));
      at[i] = isHalf(node.dtype)
        ? add({
            op: 'cast',
            inputs: [nodes.length - 1],
            attrs: { dtype: 'float32' },
            shape: node.shape,
            dtype: 'float32',
          })
        : nodes.length - 1;
    } else if (node.op === 'cast' && isHalf(node.attrs.dtype)) {
      // The narrowing cast disappears: the value stays fp32 (a cast from a non-float still converts).
      at[i] = add({
        ...node,
        inputs: node.inputs.map((j) => at[j]),
        attrs: { dtype: 'float32' },
        dtype: 'float32',
      });
    } else {
      const dtype = isHalf(node.dtype) ? 'float32' : node.dtype;
      at[i] = add({ ...node, inputs: node.inputs.map((j) => at[j]), dtype } as GraphNode);
    }
  });
  const outputs = graph.outputs.map((j) => {
    const dtype = graph.nodes[j].dtype;
    if (!isHalf(dtype)) return at[j];
    return add({
      op: 'cast',
      inputs: [at[j]],
      attrs: { dtype },
      shape: graph.nodes[j].shape,
      dtype,
    });
  });
  return { nodes, inputs, outputs, key: `${graph.key}#fp32` };
}
