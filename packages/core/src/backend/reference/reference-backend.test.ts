import { describe, expect, it } from 'vitest';
import { allocStorage, DTYPE_NAMES, DTYPES } from '../../dtype/dtypes.js';
import { BackendError } from '../../errors/backend-error.js';
import { DtypeError } from '../../errors/dtype-error.js';
import { ShapeMismatchError } from '../../errors/shape-mismatch-error.js';
import { decode, GraphBuilder } from './__fixtures__/graphs.js';
import { createReferenceBackend } from './reference-backend.js';

describe('storage', () => {
  it('declares every dtype native, cpu, no fused optimizers', () => {
    const b = createReferenceBackend();
    expect(b.name).toBe('reference');
    expect(b.specVersion).toBe(1);
    expect(b.capabilities.devices).toEqual(['cpu']);
    expect(Object.values(b.capabilities.dtypes)).toEqual(DTYPE_NAMES.map(() => 'native'));
    expect(b.capabilities.fusedOptimizers).toEqual([]);
    expect(createReferenceBackend({ name: 'ref2' }).name).toBe('ref2');
  });

  it.each(DTYPE_NAMES)(
    '%s costs its item size per element and returns to zero after free',
    async (dtype) => {
      const b = createReferenceBackend();
      const data = allocStorage(dtype, 6);
      data[1] = 1;
      const s = b.upload(data, dtype, [2, 3]);
      data[1] = 0; // the backend copied: reusing the caller's array changes nothing
      const m = b.memory();
      expect(m).toMatchObject({ bytes: 6 * DTYPES[dtype].itemSize, storages: 1 });
      expect(m.byDtype[dtype]).toBe(6 * DTYPES[dtype].itemSize);
      const back = await b.download(s);
      expect(back[1]).toBe(1);
      back[1] = 0; // download is a copy too
      expect((await b.download(s))[1]).toBe(1);
      b.free(s);
      expect(b.memory()).toMatchObject({
        bytes: 0,
        storages: 0,
        peakBytes: 6 * DTYPES[dtype].itemSize,
      });
      expect(b.memory({ resetPeak: true }).peakBytes).toBe(6 * DTYPES[dtype].itemSize);
      expect(b.memory().peakBytes).toBe(0);
    },
  );

  it('rejects bad uploads naming the value and the expectation', () => {
    const b = createReferenceBackend();
    expect(() => b.upload(new Float32Array(2) as never, 'bfloat16', [2])).toThrow(
      "reference.upload: argument 'data' is a Float32Array; expected a Uint16Array for dtype bfloat16",
    );
    expect(() => b.upload(new Float32Array(3), 'float32', [2, 2])).toThrow(
      "argument 'data' has 3 elements; expected 4 for shape [2,2]",
    );
    expect(() => b.upload(new Float32Array(3), 'float32', [2, 2])).toThrow(ShapeMismatchError);
    expect(() => b.upload(new Float32Array(1) as never, 'float8' as never, [1])).toThrow(
      DtypeError,
    );
    expect(() => b.upload(new Float32Array(1), 'float32', [-1])).toThrow('non-negative integers');
    expect(() => b.upload(new Uint8Array([1, 2]), 'bool', [2])).toThrow(
      'bool data[1] is 2; expected 0 or 1',
    );
  });

  it('rejects freed handles, foreign handles and a second free', async () => {
    const a = createReferenceBackend();
    const other = createReferenceBackend();
    const s = a.upload(new Float32Array(2), 'float32', [2]);
    expect(() => other.free(s)).toThrow('that this backend instance did not create');
    const fake = { backend: 'reference', dtype: 'float32', shape: [2], size: 2 } as const;
    await expect(a.download(fake)).rejects.toThrow(BackendError);
    a.free(s);
    expect(() => a.free(s)).toThrow(
      "reference.free: argument 'storage' is a float32[2] storage of backend 'reference' that was already freed",
    );
    await expect(a.download(s)).rejects.toThrow('already freed');
    await expect(a.cast(s, 'float16')).rejects.toThrow(BackendError);
  });

  it('keeps working through a prototype wrapper (methods do not rely on this)', async () => {
    const b = createReferenceBackend();
    const wrapped = Object.create(b) as typeof b;
    const s = wrapped.upload(new Float32Array([1, 2]), 'float32', [2]);
    const { download } = b;
    expect(Array.from(await download(s))).toEqual([1, 2]);
    wrapped.free(s);
    expect(wrapped.memory().bytes).toBe(0);
  });

  it('dispose frees everything and refuses later use', async () => {
    const b = createReferenceBackend();
    b.upload(new Float32Array(4), 'float32', [4]);
    const s = b.upload(new Int8Array(4), 'int8', [4]);
    await b.dispose();
    expect(b.memory()).toMatchObject({ bytes: 0, storages: 0 });
    expect(() => b.upload(new Float32Array(1), 'float32', [1])).toThrow('disposed');
    await expect(b.download(s)).rejects.toThrow('disposed');
  });
});

describe('primitives', () => {
  it('cast rounds once (fp32 → bf16 ties to even, float → int truncates and saturates)', async () => {
    const b = createReferenceBackend();
    const s = b.upload(new Float32Array([1 + 2 ** -8, -3.7, 300, Number.NaN]), 'float32', [4]);
    const bf = await b.cast(s, 'bfloat16');
    expect(decode(await b.download(bf), 'bfloat16').slice(0, 3)).toEqual([1, -3.703125, 300]);
    const i8 = await b.cast(s, 'int8');
    expect(Array.from(await b.download(i8))).toEqual([1, -3, 127, 0]);
    expect(i8).toMatchObject({ dtype: 'int8', shape: [4] });
  });

  it('matmul with broadcast batch dims, and errors from inference', async () => {
    const b = createReferenceBackend();
    const x = b.upload(new Float32Array([1, 2, 3, 4]), 'float32', [1, 2, 2]);
    const y = b.upload(new Float32Array([1, 0, 0, 1, 2, 0, 0, 2]), 'float32', [2, 2, 2]);
    const z = await b.matmul(x, y);
    expect(z.shape).toEqual([2, 2, 2]);
    expect(Array.from(await b.download(z))).toEqual([1, 2, 3, 4, 2, 4, 6, 8]);
    const v = b.upload(new Float32Array(3), 'float32', [3, 1]);
    await expect(b.matmul(x, v)).rejects.toThrow('matmul: inner dims differ');
  });

  it('optimizerStep updates param and state storages in place', async () => {
    const b = createReferenceBackend();
    const param = b.upload(new Float32Array([1, -2]), 'float32', [2]);
    const grad = b.upload(new Float32Array([0.5, 4]), 'float32', [2]);
    const buf = b.upload(new Float32Array(2), 'float32', [2]);
    const request = {
      algorithm: 'sgd',
      hyper: { lr: 0.5, momentum: 0.5 },
      param,
      grad,
      state: { momentum_buffer: buf },
    };
    await b.optimizerStep({ ...request, step: 1 });
    // Step 1: buf = g; p = p − lr·buf. Step 2: buf = 0.5·buf + g.
    expect(Array.from(await b.download(buf))).toEqual([0.5, 4]);
    expect(Array.from(await b.download(param))).toEqual([0.75, -4]);
    await b.optimizerStep({ ...request, step: 2 });
    expect(Array.from(await b.download(buf))).toEqual([0.75, 6]);
    expect(Array.from(await b.download(param))).toEqual([0.375, -7]);
    b.free(buf);
    await expect(b.optimizerStep({ ...request, step: 3 })).rejects.toThrow(
      "optimizerStep: state 'momentum_buffer' is a float32[2]",
    );
  });
});

describe('run', () => {
  /** (x + 1) * x, then sum: intermediates of 4 KiB each. */
  function chain(n: number) {
    const g = new GraphBuilder();
    const x = g.input('float32', [n]);
    const one = g.source('full', { value: 1 }, 'float32', [n]);
    const y = g.op('add', [x, one], {});
    const z = g.op('mul', [y, x], {});
    const s = g.op('sum', [z], { axes: [0], keepdims: false });
    return g.build([s, z]);
  }

  it('computes, returns new storages only for outputs and frees intermediates early', async () => {
    const b = createReferenceBackend();
    const n = 1024;
    const x = b.upload(
      Float32Array.from({ length: n }, (_v, i) => i),
      'float32',
      [n],
    );
    b.memory({ resetPeak: true });
    const [s, z] = await b.run(chain(n), [x]);
    expect(Array.from(await b.download(s))).toEqual([
      ((n - 1) * n * (2 * n - 1)) / 6 + ((n - 1) * n) / 2,
    ]);
    expect((await b.download(z))[3]).toBe(12);
    // Live now: x, z (4 KiB each) and s. Peak: three 4 KiB values (x, one, y; then one is
    // freed before z is computed, and y before s); keeping everything would peak at 16n + 4.
    expect(b.memory()).toMatchObject({ bytes: 8 * n + 4, storages: 3 });
    expect(b.memory().peakBytes).toBe(3 * 4 * n);
    for (const t of [s, z, x]) b.free(t);
    expect(b.memory().bytes).toBe(0);
  });

  it('compiles each distinct graph object once and counts runs', async () => {
    const b = createReferenceBackend();
    const graph = chain(4);
    const x = b.upload(new Float32Array(4), 'float32', [4]);
    for (let i = 0; i < 3; i++) for (const out of await b.run(graph, [x])) b.free(out);
    expect(b.stats).toEqual({ runs: 3, compiles: 1 });
    for (const out of await b.run(chain(4), [x])) b.free(out);
    expect(b.stats).toEqual({ runs: 4, compiles: 2 });
  });

  it('returns copies for an output that is an input or repeated', async () => {
    const b = createReferenceBackend();
    const g = new GraphBuilder();
    const x = g.input('int16', [2]);
    const y = g.op('neg', [x], {});
    const x0 = b.upload(new Int16Array([1, 2]), 'int16', [2]);
    const outs = await b.run(g.build([x, y, y]), [x0]);
    expect(new Set([x0, ...outs]).size).toBe(4);
    for (const o of outs) b.free(o);
    expect(Array.from(await b.download(x0))).toEqual([1, 2]);
    b.free(x0);
    expect(b.memory().bytes).toBe(0);
  });

  it('evaluates full and arange with one rounding to the dtype', async () => {
    const b = createReferenceBackend();
    const g = new GraphBuilder();
    const f = g.source('full', { value: 1 + 2 ** -8 }, 'bfloat16', [2]);
    const r = g.source('arange', { start: 0.5, step: 0.1 }, 'float32', [4]);
    const i = g.source('arange', { start: 126, step: 1 }, 'int8', [3]);
    const [fs, rs, is] = await b.run(g.build([f, r, i]), []);
    expect(decode(await b.download(fs), 'bfloat16')).toEqual([1, 1]);
    // start + i·step in f64, then one rounding: 0.5 + 2·0.1 is 0.7000000000000001 before it.
    expect(Array.from(await b.download(rs))).toEqual(
      [0, 1, 2, 3].map((k) => Math.fround(0.5 + k * 0.1)),
    );
    expect(Array.from(await b.download(is))).toEqual([126, 127, 127]);
  });

  it('rejects feeds of the wrong count, dtype or shape, and bad graphs', async () => {
    const b = createReferenceBackend();
    const graph = chain(2);
    const f32 = b.upload(new Float32Array(2), 'float32', [2]);
    const f16 = b.upload(new Uint16Array(2), 'float16', [2]);
    const wide = b.upload(new Float32Array(3), 'float32', [3]);
    await expect(b.run(graph, [])).rejects.toThrow('reference.run: got 0 feeds; expected 1');
    await expect(b.run(graph, [f16])).rejects.toThrow(
      'reference.run: feeds[0] (input node 0) has dtype float16; expected float32',
    );
    await expect(b.run(graph, [f16])).rejects.toThrow(DtypeError);
    await expect(b.run(graph, [wide])).rejects.toThrow('has shape [3]; expected [2]');
    const bad = {
      ...graph,
      nodes: graph.nodes.map((n, i) => (i === 2 ? { ...n, dtype: 'float16' as const } : n)),
    };
    await expect(b.run(bad, [f32])).rejects.toThrow('verifyGraph: node 2 (add)');
    const unfed = { ...graph, inputs: [] };
    await expect(b.run(unfed, [])).rejects.toThrow(
      'verifyGraph: graph.inputs []; expected the input nodes in order [0]',
    );
    b.free(f32);
    // A failed run leaves no intermediates counted.
    expect(b.memory().bytes).toBe(2 * 2 + 3 * 4);
  });

  it('releases intermediates when a kernel throws', async () => {
    const b = createReferenceBackend();
    const g = new GraphBuilder();
    const x = g.input('float32', [3]);
    const i = g.input('int32', [2]);
    const y = g.op('exp', [x], {});
    const z = g.op('gather', [y, i], { axis: 0 });
    const feeds = [
      b.upload(new Float32Array(3), 'float32', [3]),
      b.upload(new Int32Array([0, 5]), 'int32', [2]),
    ];
    await expect(b.run(g.build([z]), feeds)).rejects.toThrow('gather: index 5 at position 1');
    expect(b.memory().bytes).toBe(12 + 8);
  });
});
