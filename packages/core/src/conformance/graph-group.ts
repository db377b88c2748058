import type { Backend } from '../backend/backend.js';
import { graphCacheStats } from '../graph/lower-graph.js';
import { full, inputTensor } from '../tensor/creation.js';
import { record } from '../tensor/record.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { fromStorage, Mismatches, sameValue } from './compare.js';
import { countingRuns } from './counting-runs.js';
import { errorText } from './probe.js';
import { type ConformanceCase, fail, pass } from './types.js';

/**
 * The graph group: a loop realizing the same structure compiles once, and realizing several
 * outputs together is one `run` (one run per step; docs/architecture.md). Run calls are counted by wrapping
 * the backend, not through backend-specific counters.
 */

/** `stats.compiles` when the backend exposes such a counter (the reference backend does). */
function compiles(backend: Backend): number | undefined {
  const stats: unknown = (backend as { stats?: unknown }).stats;
  const value =
    typeof stats === 'object' && stats !== null
      ? (stats as { compiles?: unknown }).compiles
      : undefined;
  return typeof value === 'number' ? value : undefined;
}

// A fresh constant per run of the case makes a structure no earlier graph in this process had
// (the structural cache key includes attributes), so the first iteration must miss.
let uniqueConstant = 0;

const compileOnce: ConformanceCase = {
  id: 'graph/compile-once',
  group: 'graph',
  async run(ctx) {
    const backend = await ctx.backend();
    const m = new Mismatches();
    const constant = 1000.5 + uniqueConstant++;
    const missesBefore = graphCacheStats().misses;
    const compilesBefore = compiles(backend);
    const missesPerIteration: number[] = [];
    for (let it = 0; it < 5; it++) {
      const data = Float32Array.from({ length: 8 }, (_v, i) => i + it);
      const x = inputTensor(data, 'float32', [8]);
      const y = record('add', {}, [
        record('mul', {}, [x, full([8], 2, { dtype: 'float32' })]),
        full([8], constant, { dtype: 'float32' }),
      ]);
      try {
        await y.realize(backend);
        const got = fromStorage(await y.raw(), 'float32', 8, 'graph');
        for (const [i, g] of got.entries()) {
          const e = data[i] * 2 + constant;
          m.check(g === e, () => `iteration ${it} [${i}] got ${g} expected ${e}`);
        }
      } catch (error) {
        m.problem(`iteration ${it}: ${errorText(error)}`);
      } finally {
        x.dispose();
        y.dispose();
      }
      missesPerIteration.push(graphCacheStats().misses - missesBefore);
    }
    const misses = graphCacheStats().misses - missesBefore;
    m.check(
      misses === 1,
      () =>
        `graphCacheStats().misses grew by ${misses} over 5 iterations (cumulative ${missesPerIteration.join(', ')}); expected 1`,
    );
    const compilesAfter = compiles(backend);
    let compileNote = 'backend exposes no stats.compiles';
    if (compilesBefore !== undefined && compilesAfter !== undefined) {
      const grew = compilesAfter - compilesBefore;
      compileNote = `stats.compiles grew by ${grew}`;
      m.check(
        grew === 1,
        () => `backend stats.compiles grew by ${grew} over 5 iterations; expected 1`,
      );
    }
    const what = `5 realizations of one structure: structural cache missed ${misses} time(s); ${compileNote}`;
    return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
  },
};

const oneRun: ConformanceCase = {
  id: 'graph/one-run-per-realize',
  group: 'graph',
  async run(ctx) {
    const { backend, runs } = countingRuns(await ctx.backend());
    const m = new Mismatches();
    const a0 = [1, 2, 3, 4];
    const b0 = [5, -6, 7, 0.5];
    const a = inputTensor(Float32Array.from(a0), 'float32', [4]);
    const b = inputTensor(Float32Array.from(b0), 'float32', [4]);
    const sum = record('add', {}, [a, b]);
    const prod = record('mul', {}, [a, b]);
    const both = record('sub', {}, [sum, prod]);
    const outputs: Tensor[] = [sum, prod, both];
    const expected = [
      a0.map((v, i) => v + b0[i]),
      a0.map((v, i) => v * b0[i]),
      a0.map((v, i) => v + b0[i] - v * b0[i]),
    ];
    let counted = 0;
    try {
      await realize(outputs, backend);
      counted = runs();
      m.check(
        counted === 1,
        () =>
          `realize([a + b, a * b, (a + b) - a * b]) called backend.run ${counted} times; expected 1`,
      );
      for (const [k, t] of outputs.entries()) {
        const got = fromStorage(await t.raw(), 'float32', 4, `output ${k}`);
        for (const [i, g] of got.entries()) {
          const e = expected[k][i];
          m.check(g === e, () => `output ${k} [${i}] got ${g} expected ${e}`);
        }
      }
      m.check(
        runs() === 1,
        () => `reading the outputs ran ${runs() - 1} more graphs; expected none`,
      );
    } catch (error) {
      m.problem(errorText(error));
    } finally {
      for (const t of [a, b, ...outputs]) t.dispose();
    }
    const what = `realize of 3 outputs sharing 2 inputs: ${counted} backend.run call(s) (expected 1), values exact`;
    return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
  },
};

/**
 * Constants that JSON cannot tell apart (0 / −0, NaN / ±inf) make different graphs: a
 * structural cache keyed by `JSON.stringify(attrs)` would hand `full(−inf)` the graph of an
 * earlier `full(NaN)` (an attention mask turning into NaN).
 */
const distinctConstants: ConformanceCase = {
  id: 'graph/distinct-constants',
  group: 'graph',
  async run(ctx) {
    const backend = await ctx.backend();
    const m = new Mismatches();
    const fills = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1];
    for (const value of fills) {
      // Each constant in its own realization, one after another, as a program would.
      const t = full([2], value, { dtype: 'float32' });
      try {
        await t.realize(backend);
        const got = fromStorage(await t.raw(), 'float32', 2, 'full');
        const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
        m.check(
          sameValue(got[0], value) && sameValue(got[1], value),
          () => `full([2], ${show(value)}) gave ${show(got[0])}`,
        );
      } catch (error) {
        m.problem(`full([2], ${value}): ${errorText(error)}`);
      } finally {
        t.dispose();
      }
    }
    const what =
      'full([2], v) realized separately for v = 0, -0, NaN, inf, -inf, 1: each keeps its own value';
    return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
  },
};

/** The cases of the graph group. */
export function graphCases(): ConformanceCase[] {
  return [compileOnce, oneRun, distinctConstants];
}
