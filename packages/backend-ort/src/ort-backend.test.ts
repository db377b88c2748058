import {
  allocStorage,
  type Backend,
  BackendError,
  createReferenceBackend,
  type DType,
  f32ToBf16,
  f32ToF16,
  fromArray,
  type Graph,
  type GraphNode,
  realize,
  type Storage,
  shapeSize,
} from '@mixprec/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createOrtBackend, loadOrtBackend, ORT_CUDA_DOCS, type OrtBackend } from './index.js';

const open: Backend[] = [];
const ortBackend = (): OrtBackend => {
  const b = createOrtBackend();
  open.push(b);
  return b;
};
afterEach(async () => {
  for (const b of open.splice(0)) await b.dispose();
});

const input = (dtype: DType, shape: number[]): GraphNode => ({
  op: 'input',
  inputs: [],
  attrs: {},
  shape,
  dtype,
});

/** A graph from nodes; the inputs are its `input` nodes and the output its last node. */
function graphOf(nodes: GraphNode[], key: string): Graph {
  const inputs = nodes.flatMap((n, i) => (n.op === 'input' ? [i] : []));
  return { nodes, inputs, outputs: [nodes.length - 1], key };
}

/** Runs a graph on a backend from float32 host values and returns the output's storage bits. */
async function runOn(backend: Backend, graph: Graph, feeds: Float32Array[]): Promise<number[]> {
  const storages = feeds.map((values, k) => {
    const node = graph.nodes[graph.inputs[k]];
    return backend.upload(values, 'float32', node.shape);
  });
  const [out] = await backend.run(graph, storages);
  const data = await backend.download(out);
  backend.free(out);
  for (const s of storages) backend.free(s);
  return Array.from(data);
}

/** Random float32 values spread over many binades, plus the awkward ones. */
function values(n: number, seed: number): Float32Array {
  let s = seed;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rnd() - 0.5) * 2 ** Math.floor(rnd() * 24 - 12);
  out.set([0, -0, 1, -1, 65504, 65520, 3.3e38, Number.NaN, Number.POSITIVE_INFINITY, 2 ** -20], 0);
  return out;
}

describe('half semantics are bit-identical to the reference backend', () => {
  for (const half of ['bfloat16', 'float16'] as const) {
    for (const op of ['add', 'sub', 'mul', 'div'] as const) {
      it(`float32 → ${half} cast → ${op} → float32 cast`, async () => {
        const n = 4096;
        const nodes: GraphNode[] = [
          input('float32', [n]),
          input('float32', [n]),
          { op: 'cast', inputs: [0], attrs: { dtype: half }, shape: [n], dtype: half },
          { op: 'cast', inputs: [1], attrs: { dtype: half }, shape: [n], dtype: half },
          { op, inputs: [2, 3], attrs: {}, shape: [n], dtype: half },
          { op: 'mul', inputs: [4, 2], attrs: {}, shape: [n], dtype: half },
          { op: 'cast', inputs: [5], attrs: { dtype: 'float32' }, shape: [n], dtype: 'float32' },
        ];
        const graph = graphOf(nodes, `test-chain-${half}-${op}`);
        const feeds = [values(n, 1), values(n, 2)];
        const got = await runOn(ortBackend(), graph, feeds);
        const want = await runOn(createReferenceBackend(), graph, feeds);
        expect(got.map((v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v))).toEqual(
          want.map((v) => (Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : v)),
        );
      });
    }
  }

  it('float64 and int32 → half casts round once, like the reference (no double rounding through fp32)', async () => {
    const ort = ortBackend();
    const ref = createReferenceBackend();
    const f64: number[] = [];
    for (const u of [2 ** -11, 2 ** -8, 2 ** -20, 2 ** -15]) {
      for (const tiny of [2 ** -40, -(2 ** -40), 0])
        f64.push(1 + u + tiny, -(1 + u + tiny), 3 * (1 + u + tiny));
    }
    for (let i = 0; i < 200; i++) f64.push((Math.sin(i * 12.9898) * 43758.5453) % 7);
    const i32 = [
      16777217,
      16842753,
      16842752 + 65537,
      -2147483648,
      2147483647,
      33554435,
      65521,
      65519,
    ];
    const bits = async (backend: Backend, half: 'float16' | 'bfloat16') => {
      const a = backend.upload(Float64Array.from(f64), 'float64', [f64.length]);
      const b = backend.upload(Int32Array.from(i32), 'int32', [i32.length]);
      const out = [];
      for (const s of [a, b]) {
        const c = await backend.cast(s, half);
        out.push(...Array.from(await backend.download(c)));
      }
      return out;
    };
    for (const half of ['float16', 'bfloat16'] as const) {
      expect(await bits(ort, half)).toEqual(await bits(ref, half));
    }
  });

  it('a bf16 add of 1 and 2^-9 stays 1 (the CPU provider would otherwise return the fp32 sum)', async () => {
    const backend = ortBackend();
    const a = backend.upload(f32ToBf16(new Float32Array([1])), 'bfloat16', [1]);
    const b = backend.upload(f32ToBf16(new Float32Array([2 ** -9])), 'bfloat16', [1]);
    const graph = graphOf(
      [
        input('bfloat16', [1]),
        input('bfloat16', [1]),
        { op: 'add', inputs: [0, 1], attrs: {}, shape: [1], dtype: 'bfloat16' },
      ],
      'test-bf16-add',
    );
    const [out] = await backend.run(graph, [a, b]);
    expect(Array.from(await backend.download(out))).toEqual([0x3f80]);
  });

  it('the cast primitive gives the reference bits; matmul the reference shape', async () => {
    const ort = ortBackend();
    const ref = createReferenceBackend();
    const a = values(64 * 48, 3).map((v) => (Number.isFinite(v) ? v % 4 : 1));
    const b = values(48 * 32, 4).map((v) => (Number.isFinite(v) ? v % 4 : 1));
    for (const backend of [ort, ref]) {
      const sa = backend.upload(f32ToF16(a), 'float16', [64, 48]);
      const cast = await backend.cast(sa, 'bfloat16');
      expect(cast.dtype).toBe('bfloat16');
      backend.free(cast);
    }
    const bits = async (backend: Backend) => {
      const sa = backend.upload(f32ToF16(a), 'float16', [64, 48]);
      const sb = backend.upload(f32ToF16(b), 'float16', [48, 32]);
      const c = await backend.cast(sa, 'bfloat16');
      const m = await backend.matmul(sa, sb);
      return [Array.from(await backend.download(c)), (await backend.download(m)).length];
    };
    expect(await bits(ort)).toEqual(await bits(ref));
  });
});

describe('integer and bool dtypes match the reference backend', () => {
  const n = 6;
  const host = (dtype: DType, size: number) => {
    const values = dtype === 'bool' ? [1, 0, 1, 1, 0, 0] : [3, -2, 100, 0, 7, -128];
    const a = allocStorage(dtype, size);
    for (let i = 0; i < size; i++)
      a[i] = dtype === 'uint8' ? Math.abs(values[i % 6]) : values[i % 6];
    return a;
  };
  for (const dt of ['int8', 'uint8', 'int16', 'int32', 'bool'] as const) {
    it(`${dt}: where, comparisons, reductions, layout, casts and arithmetic`, async () => {
      const int = dt !== 'bool';
      const graphs: GraphNode[][] = [
        [
          input('bool', [n]),
          input(dt, [n]),
          input(dt, [n]),
          { op: 'where', inputs: [0, 1, 2], attrs: {}, shape: [n], dtype: dt },
        ],
        [
          input(dt, [n]),
          input(dt, [n]),
          { op: 'lt', inputs: [0, 1], attrs: {}, shape: [n], dtype: 'bool' },
        ],
        [
          input(dt, [n]),
          {
            op: 'sum',
            inputs: [0],
            attrs: { axes: [0], keepdims: false },
            shape: [],
            dtype: 'int32',
          },
        ],
        [
          input(dt, [n]),
          { op: 'max', inputs: [0], attrs: { axes: [0], keepdims: false }, shape: [], dtype: dt },
        ],
        [
          input(dt, [n]),
          input(dt, [n]),
          { op: 'concat', inputs: [0, 1], attrs: { axis: 0 }, shape: [2 * n], dtype: dt },
        ],
        [
          input(dt, [2, 3]),
          { op: 'permute', inputs: [0], attrs: { perm: [1, 0] }, shape: [3, 2], dtype: dt },
        ],
        [
          input(dt, [n]),
          { op: 'cast', inputs: [0], attrs: { dtype: 'bfloat16' }, shape: [n], dtype: 'bfloat16' },
        ],
        ...(int
          ? ([
              [
                input(dt, [n]),
                input(dt, [n]),
                { op: 'mul', inputs: [0, 1], attrs: {}, shape: [n], dtype: dt },
              ],
              [input(dt, [n]), { op: 'neg', inputs: [0], attrs: {}, shape: [n], dtype: dt }],
            ] as GraphNode[][])
          : []),
      ];
      const ort = ortBackend();
      const ref = createReferenceBackend();
      for (const [k, nodes] of graphs.entries()) {
        const graph = graphOf(nodes, `test-int-${dt}-${k}`);
        const outOf = async (backend: Backend) => {
          const feeds = graph.inputs.map((i) => {
            const node = graph.nodes[i];
            return backend.upload(host(node.dtype, shapeSize(node.shape)), node.dtype, node.shape);
          });
          const [out] = await backend.run(graph, feeds);
          return Array.from(await backend.download(out));
        };
        expect(await outOf(ort), `${dt} ${nodes[nodes.length - 1].op}`).toEqual(await outOf(ref));
      }
    });
  }
});

describe('one run per graph', () => {
  it('counts one session.run for a forward + backward graph and compiles once', async () => {
    const backend = ortBackend();
    for (let step = 0; step < 3; step++) {
      const w = fromArray([0.5, -1, 2, 0.25], { shape: [2, 2] });
      await w.realize(backend);
      w.requiresGrad_();
      const x = fromArray([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
      const loss = x.matmul(w).gelu().mul(x).sum();
      loss.backward();
      const before = backend.stats.runs;
      await realize([loss, w.grad as NonNullable<typeof w.grad>], backend);
      expect(backend.stats.runs - before).toBe(1);
    }
    // Step 1 and later reuse the compiled model of the first step.
    expect(backend.stats.compiles).toBeLessThanOrEqual(2);
  });

  it('hands released values over after the run, in node order', async () => {
    const backend = ortBackend();
    const n = 3;
    const nodes: GraphNode[] = [
      input('float32', [n]),
      { op: 'exp', inputs: [0], attrs: {}, shape: [n], dtype: 'float32' },
      { op: 'neg', inputs: [0], attrs: {}, shape: [n], dtype: 'float32' },
      { op: 'add', inputs: [1, 2], attrs: {}, shape: [n], dtype: 'float32' },
    ];
    const graph = graphOf(nodes, 'test-release');
    const x = backend.upload(new Float32Array([0, 1, 2]), 'float32', [n]);
    const seen: [number, number[]][] = [];
    const onReady = (node: number) => async (s: Storage) => {
      seen.push([node, Array.from(await backend.download(s))]);
      backend.free(s);
    };
    const [out] = await backend.run(graph, [x], {
      release: [
        { node: 2, after: [], onReady: onReady(2) },
        { node: 1, after: [], onReady: onReady(1) },
      ],
    });
    expect(seen.map(([node]) => node)).toEqual([1, 2]);
    expect(seen[1][1]).toEqual([-0, -1, -2]);
    expect(backend.stats.runs).toBe(1);
    expect((await backend.download(out)).length).toBe(n);
  });
});

describe('storage', () => {
  it('counts emulated bfloat16 at 4 bytes an element and float16 at 2', () => {
    const backend = ortBackend();
    const a = backend.upload(new Uint16Array(10), 'bfloat16', [10]);
    const b = backend.upload(new Uint16Array(10), 'float16', [10]);
    const info = backend.memory();
    expect(info.byDtype.bfloat16).toBe(40);
    expect(info.byDtype.float16).toBe(20);
    expect(info.bytes).toBe(60);
    backend.free(a);
    backend.free(b);
    expect(() => backend.free(a)).toThrow(/already freed/);
    expect(backend.capabilities.dtypes.bfloat16).toBe('emulated');
    expect(backend.capabilities.dtypes.float16).toBe('native');
  });
});

describe('CUDA', () => {
  it('without the CUDA files, fails with the setup instructions', async () => {
    const error = await loadOrtBackend({ executionProvider: 'cuda' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BackendError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('ONNXRUNTIME_NODE_INSTALL=1 npm rebuild onnxruntime-node');
    expect(message).toContain(ORT_CUDA_DOCS);
  });

  it('MIXPREC_ORT_EP selects the provider, and a bad value names itself', () => {
    const saved = process.env.MIXPREC_ORT_EP;
    try {
      process.env.MIXPREC_ORT_EP = 'cuda';
      const b = createOrtBackend();
      expect(b.name).toBe('ort-cuda');
      void b.dispose();
      process.env.MIXPREC_ORT_EP = 'tpu';
      expect(() => createOrtBackend()).toThrow(/"tpu".*MIXPREC_ORT_EP.*expected 'cpu' or 'cuda'/);
    } finally {
      if (saved === undefined) delete process.env.MIXPREC_ORT_EP;
      else process.env.MIXPREC_ORT_EP = saved;
    }
  });
});
