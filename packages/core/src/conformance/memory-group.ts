import type { DTypeSupport, MemoryInfo, Storage } from '../backend/backend.js';
import { allocStorage, DTYPE_NAMES, DTYPES, type DType } from '../dtype/dtypes.js';
import { lowerGraph } from '../graph/lower-graph.js';
import { inputTensor } from '../tensor/creation.js';
import { record } from '../tensor/record.js';
import type { Tensor } from '../tensor/tensor.js';
import { Mismatches } from './compare.js';
import { errorText } from './probe.js';
import { type ConformanceCase, fail, pass, skip } from './types.js';

/**
 * The memory group: `memory()` counts what is live. Bytes per element per dtype (2 for a
 * native half: the point of storing halves as halves), exact return to the start value after
 * everything is freed, and no intermediates left behind by a graph run.
 */

/**
 * Bytes an element may cost: the dtype's size when native; for an emulated dtype also the
 * 4-byte fp32 container the capabilities announce by saying `emulated` (an fp32 container
 * holding exactly representable values; docs/precision.md#numeric-ground-rules).
 */
function allowedItemSizes(dtype: DType, support: DTypeSupport): number[] {
  const size = DTYPES[dtype].itemSize;
  return support === 'emulated' && size !== 4 ? [size, 4] : [size];
}

/** Checks `after` is `before` plus `bytes` in total and in `byDtype`, with `storages` more storages. */
function expectDelta(
  m: Mismatches,
  what: string,
  before: MemoryInfo,
  after: MemoryInfo,
  bytes: Partial<Record<DType, number>>,
  storages: number,
): void {
  const total = Object.values(bytes).reduce((s, b) => s + (b ?? 0), 0);
  const grew = after.bytes - before.bytes;
  m.check(grew === total, () => `${what}: memory().bytes changed by ${grew}; expected ${total}`);
  const more = after.storages - before.storages;
  m.check(
    more === storages,
    () => `${what}: memory().storages changed by ${more}; expected ${storages}`,
  );
  for (const d of DTYPE_NAMES) {
    const got = (after.byDtype[d] ?? 0) - (before.byDtype[d] ?? 0);
    const exp = bytes[d] ?? 0;
    m.check(got === exp, () => `${what}: memory().byDtype.${d} changed by ${got}; expected ${exp}`);
  }
}

const N = 1000;

function bytesCase(dtype: DType): ConformanceCase {
  return {
    id: `memory/bytes/${dtype}`,
    group: 'memory',
    async run(ctx) {
      const backend = await ctx.backend();
      const support = backend.capabilities.dtypes[dtype];
      if (support === 'unsupported')
        return skip(
          `${dtype} unsupported by ${backend.name}; dtype/${dtype} checks the error instead`,
        );
      const allowed = allowedItemSizes(dtype, support);
      const start = backend.memory();
      const storage = backend.upload(allocStorage(dtype, N), dtype, [N]);
      const held = backend.memory();
      const grew = held.bytes - start.bytes;
      const item = allowed.find((s) => s * N === grew) ?? allowed[0];
      const m = new Mismatches();
      m.check(
        allowed.some((s) => s * N === grew),
        () =>
          `upload of ${N} ${support} ${dtype}: memory().bytes grew by ${grew}; expected ${allowed.map((s) => s * N).join(' or ')} (${allowed.join(' or ')} bytes an element)`,
      );
      expectDelta(m, `upload of ${N} ${dtype}`, start, held, { [dtype]: N * item }, 1);
      backend.free(storage);
      expectDelta(m, `after free`, start, backend.memory(), {}, 0);
      const what = `${support} ${dtype}: ${N} elements cost ${N * item} bytes (${item} an element) in bytes and byDtype, and free returns them`;
      return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
    },
  };
}

/** Uploads, primitive results and realized tensors of every storable dtype, all released again. */
const freeAllCase: ConformanceCase = {
  id: 'memory/free-all',
  group: 'memory',
  async run(ctx) {
    const backend = await ctx.backend();
    const start = backend.memory();
    const storages: Storage[] = [];
    const tensors: Tensor[] = [];
    const m = new Mismatches();
    try {
      for (const d of DTYPE_NAMES) {
        if (backend.capabilities.dtypes[d] !== 'unsupported')
          storages.push(backend.upload(allocStorage(d, 64), d, [64]));
      }
      if (backend.capabilities.dtypes.float32 !== 'unsupported') {
        const a = backend.upload(new Float32Array(12).fill(1), 'float32', [3, 4]);
        const b = backend.upload(new Float32Array(8), 'float32', [4, 2]);
        // A cast result and a matmul result are storages too, and must be freeable like uploads.
        const wide = backend.capabilities.dtypes.float64 !== 'unsupported' ? 'float64' : 'float32';
        storages.push(a, b, await backend.cast(a, wide), await backend.matmul(a, b));
        const x = inputTensor(new Float32Array(64).fill(2), 'float32', [64]);
        const y = record('add', {}, [record('mul', {}, [x, x]), x]);
        tensors.push(x, y);
        await y.realize(backend);
      }
    } catch (error) {
      m.problem(errorText(error));
    }
    const held = backend.memory();
    m.check(
      held.bytes > start.bytes,
      () => `memory().bytes did not grow while storages were live (${start.bytes} → ${held.bytes})`,
    );
    for (const s of storages) backend.free(s);
    for (const t of tensors) t.dispose();
    const end = backend.memory();
    const leftover = end.bytes - start.bytes;
    expectDelta(m, 'after freeing every storage and disposing every tensor', start, end, {}, 0);
    const what = `${storages.length} storages and ${tensors.length} realized tensors (${held.bytes - start.bytes} bytes) freed: memory() back to its start value${leftover ? ` (${leftover} bytes left)` : ''}`;
    return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
  },
};

/** A run of a 6-node graph with two outputs holds exactly the outputs afterwards. */
const runIntermediatesCase: ConformanceCase = {
  id: 'memory/run-intermediates',
  group: 'memory',
  async run(ctx) {
    const backend = await ctx.backend();
    const m = new Mismatches();
    const checked: string[] = [];
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const support = backend.capabilities.dtypes[dtype];
      if (support === 'unsupported') continue;
      checked.push(dtype);
      const x = inputTensor(allocStorage(dtype, 256), dtype, [256]);
      const y = record('sqrt', {}, [
        record('add', {}, [record('mul', {}, [record('exp', {}, [x]), x]), x]),
      ]);
      const z = record('neg', {}, [y]);
      const { graph } = lowerGraph([y.node, z.node]);
      const feed = backend.upload(allocStorage(dtype, 256), dtype, [256]);
      try {
        const before = backend.memory();
        const outputs = await backend.run(graph, [feed]);
        const after = backend.memory();
        const item = (after.bytes - before.bytes) / (2 * 256);
        const allowed = allowedItemSizes(dtype, support);
        m.check(
          allowed.includes(item),
          () =>
            `${dtype} run: memory().bytes grew by ${after.bytes - before.bytes}; expected ${allowed.map((s) => 2 * 256 * s).join(' or ')} (two outputs of 256, no intermediates)`,
        );
        expectDelta(m, `${dtype} run`, before, after, { [dtype]: after.bytes - before.bytes }, 2);
        for (const o of outputs) backend.free(o);
        expectDelta(m, `${dtype} outputs freed`, before, backend.memory(), {}, 0);
      } catch (error) {
        m.problem(`${dtype}: ${errorText(error)}`);
      } finally {
        backend.free(feed);
        x.dispose();
      }
    }
    const what = `run of exp→mul→add→sqrt→neg with outputs sqrt and neg on ${checked.join(', ')}: memory grows by the two outputs only`;
    return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
  },
};

/** The cases of the memory group. */
export function memoryCases(): ConformanceCase[] {
  return [...DTYPE_NAMES.map(bytesCase), freeAllCase, runIntermediatesCase];
}
