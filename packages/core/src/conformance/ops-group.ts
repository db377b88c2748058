import type { OpName } from '../ops/catalogue.js';
import { Random } from '../util/random.js';
import { BACKWARD_PROBES } from './backward-probes.js';
import { chainProbes, ELEMENTWISE_PROBES, type ProbeFactory } from './elementwise-probes.js';
import { type FloatDt, SHORT } from './numerics.js';
import { runProbes } from './probe.js';
import { STRUCTURAL_PROBES } from './structural-probes.js';
import { type ConformanceCase, fail, pass, skip } from './types.js';

/**
 * The ops group: per-op semantics for every op of the catalogue on bfloat16, float16 and (as
 * sanity checks) float32 and float64, computed by the backend through graphs and compared with
 * float64 expectations rounded once to the output dtype.
 */

/**
 * Where each op of the catalogue is checked. `satisfies Record<OpName, …>`: an op added to the
 * catalogue is a compile error here until the suite covers it.
 */
const COVERAGE = {
  ...ELEMENTWISE_PROBES,
  ...STRUCTURAL_PROBES,
  ...BACKWARD_PROBES,
  input: 'every case (graph inputs)',
  cast: 'the casts group (cast/*)',
  matmul: 'the matmul group (matmul/*)',
} satisfies Record<OpName, ProbeFactory | string>;

const OP_DTYPES: readonly FloatDt[] = ['bfloat16', 'float16', 'float32', 'float64'];

/** A stable seed from a case id, so every case draws the same inputs in any run order. */
export function seedOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function opCase(id: string, dtype: FloatDt, factory: ProbeFactory): ConformanceCase {
  return {
    id,
    group: 'ops',
    async run(ctx) {
      const backend = await ctx.backend();
      const probes = factory(dtype, new Random(seedOf(id)));
      const dtypes = new Set(
        probes.flatMap((p) => [...p.inputs, ...p.expected].map((x) => x.dtype)),
      );
      const missing = [...dtypes].filter((d) => backend.capabilities.dtypes[d] === 'unsupported');
      if (missing.length > 0)
        return skip(
          `${missing.join(', ')} unsupported by ${backend.name}; dtype/${missing[0]} checks the error instead`,
        );
      const m = await runProbes(backend, probes);
      const rule = probes.every((p) => p.compare === 'exact')
        ? 'exact bits'
        : dtype.endsWith('16')
          ? '≤ 1 ulp'
          : 'relative tolerance';
      const what = `${probes.map((p) => p.label).join(', ')} on ${dtype} vs an independent float64 expectation rounded once (${rule})`;
      return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
    },
  };
}

/** The names of the ops this group checks (every catalogue op not covered elsewhere). */
export function checkedOps(): OpName[] {
  return (Object.keys(COVERAGE) as OpName[]).filter((op) => typeof COVERAGE[op] !== 'string');
}

/** The cases of the ops group: `op/<op>/<dtype>` plus the half-rounding chains `op/chain/<dtype>`. */
export function opsCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const op of checkedOps()) {
    const factory = COVERAGE[op] as ProbeFactory;
    for (const dtype of OP_DTYPES) cases.push(opCase(`op/${op}/${SHORT[dtype]}`, dtype, factory));
  }
  for (const dtype of ['bfloat16', 'float16'] as const) {
    cases.push(opCase(`op/chain/${SHORT[dtype]}`, dtype, (_d, rng) => chainProbes(dtype, rng)));
  }
  return cases;
}
