import type { Backend } from '../backend/backend.js';
import { DTYPE_NAMES, type DType, type StorageArray } from '../dtype/dtypes.js';
import { inputTensor } from '../tensor/creation.js';
import { record } from '../tensor/record.js';
import { Mismatches } from './compare.js';
import { dtypeCase } from './dtype-support.js';
import { errorText } from './probe.js';
import {
  type CaseContext,
  type CaseOutcome,
  type ConformanceCase,
  fail,
  pass,
  skip,
} from './types.js';
import { type CastVectors, parseCasts } from './vectors.js';

/**
 * The casts group: the conversions of casts.json (docs/conformance-vectors.md#castsjson)
 * through the backend's `cast` primitive AND through a graph cast node, bit for bit (any NaN
 * where a NaN is expected), plus one dtype-support case per dtype of the catalogue.
 */

type CastDt = 'float32' | 'bfloat16' | 'float16';

const hex = (bits: number, dt: CastDt) =>
  `0x${bits.toString(16).padStart(dt === 'float32' ? 8 : 4, '0')}`;

/** Whether bits of `dt` encode a NaN. */
function isNaNBits(bits: number, dt: CastDt): boolean {
  if (dt === 'float32') return (bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0;
  if (dt === 'bfloat16') return (bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0;
  return (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
}

/** Host storage holding raw bits (float32 through a Uint32 view, so NaN payloads survive). */
function storageOfBits(bits: readonly number[], dt: CastDt): Float32Array | Uint16Array {
  if (dt !== 'float32') return Uint16Array.from(bits);
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/** Raw bits of downloaded storage; throws naming the array kind when it is not the dtype's. */
function bitsOf(data: StorageArray, dt: CastDt, n: number, what: string): ArrayLike<number> {
  const ok = dt === 'float32' ? data instanceof Float32Array : data instanceof Uint16Array;
  if (!ok) throw new Error(`${what}: download returned a ${data.constructor.name} for ${dt}`);
  if (data.length !== n)
    throw new Error(`${what}: download returned ${data.length} elements; expected ${n}`);
  return data instanceof Float32Array ? new Uint32Array(data.buffer, data.byteOffset, n) : data;
}

interface CastRun {
  readonly from: CastDt;
  readonly to: CastDt;
  readonly src: readonly number[];
  readonly expected: readonly number[];
  readonly tags?: readonly string[];
}

function compareBits(m: Mismatches, path: string, run: CastRun, got: ArrayLike<number>): void {
  run.expected.forEach((e, i) => {
    const g = got[i];
    const ok = isNaNBits(e, run.to) ? isNaNBits(g, run.to) : g === e;
    m.check(ok, () => {
      const tag = run.tags?.[i] ? ` (${run.tags[i]})` : '';
      return `${path} [${i}] ${run.from} ${hex(run.src[i], run.from)}${tag} got ${hex(g, run.to)} expected ${hex(e, run.to)}`;
    });
  });
}

/** Runs one conversion through the primitive and through a graph, collecting mismatches. */
async function checkCast(backend: Backend, run: CastRun, m: Mismatches): Promise<void> {
  const n = run.src.length;
  try {
    const input = backend.upload(storageOfBits(run.src, run.from), run.from, [n]);
    try {
      const out = await backend.cast(input, run.to);
      try {
        compareBits(
          m,
          'primitive',
          run,
          bitsOf(await backend.download(out), run.to, n, 'primitive'),
        );
      } finally {
        backend.free(out);
      }
    } finally {
      backend.free(input);
    }
  } catch (error) {
    m.problem(`primitive: ${errorText(error)}`);
  }
  const x = inputTensor(storageOfBits(run.src, run.from), run.from, [n]);
  const y = record('cast', { dtype: run.to }, [x]);
  try {
    await y.realize(backend);
    compareBits(m, 'graph', run, bitsOf(await y.raw(), run.to, n, 'graph'));
  } catch (error) {
    m.problem(`graph: ${errorText(error)}`);
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** Skips when the backend cannot store one of the dtypes (the dtype/* case checks the error). */
function unsupported(backend: Backend, dtypes: readonly DType[]): CaseOutcome | undefined {
  const missing = dtypes.filter((d) => backend.capabilities.dtypes[d] === 'unsupported');
  if (missing.length === 0) return undefined;
  return skip(
    `${missing.join(', ')} unsupported by ${backend.name}; dtype/${missing[0]} checks the error instead`,
  );
}

type RunsOf = (v: CastVectors) => CastRun[];

function castCase(id: string, dtypes: readonly CastDt[], runsOf: RunsOf): ConformanceCase {
  return {
    id,
    group: 'casts',
    async run(ctx: CaseContext) {
      const vectors = await ctx.vectors('casts.json', parseCasts);
      const backend = await ctx.backend();
      const skipped = unsupported(backend, dtypes);
      if (skipped) return skipped;
      const m = new Mismatches();
      const runs = runsOf(vectors);
      for (const run of runs) await checkCast(backend, run, m);
      const what = `${runs.map((r) => `${r.src.length} ${r.from}→${r.to}`).join(' + ')} from casts.json, primitive and graph, exact bits (any NaN for NaN)`;
      return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
    },
  };
}

/** The cases of the casts group. */
export function castsCases(): ConformanceCase[] {
  const tags = (v: CastVectors) => v.cases.map((c) => c.tag);
  const f32s = (v: CastVectors) => v.cases.map((c) => c.f32);
  return [
    castCase('cast/f32→bf16', ['float32', 'bfloat16'], (v) => [
      {
        from: 'float32',
        to: 'bfloat16',
        src: f32s(v),
        expected: v.cases.map((c) => c.bf16),
        tags: tags(v),
      },
    ]),
    castCase('cast/f32→fp16', ['float32', 'float16'], (v) => [
      {
        from: 'float32',
        to: 'float16',
        src: f32s(v),
        expected: v.cases.map((c) => c.fp16),
        tags: tags(v),
      },
    ]),
    castCase('cast/bf16→f32', ['float32', 'bfloat16'], (v) => [
      {
        from: 'bfloat16',
        to: 'float32',
        src: v.cases.map((c) => c.bf16),
        expected: v.cases.map((c) => c.bf16ToF32),
        tags: tags(v),
      },
    ]),
    castCase('cast/fp16→f32', ['float32', 'float16'], (v) => [
      {
        from: 'float16',
        to: 'float32',
        src: v.cases.map((c) => c.fp16),
        expected: v.cases.map((c) => c.fp16ToF32),
        tags: tags(v),
      },
    ]),
    castCase('cast/widen', ['float32', 'bfloat16', 'float16'], (v) =>
      (['bfloat16', 'float16'] as const).map((dt) => {
        const rows = v.widen.filter((w) => w.dtype === dt);
        return {
          from: dt,
          to: 'float32',
          src: rows.map((w) => w.bits),
          expected: rows.map((w) => w.f32),
        };
      }),
    ),
    ...DTYPE_NAMES.map(dtypeCase),
  ];
}
