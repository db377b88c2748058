import { gradcheck } from '../autograd/gradcheck.js';
import type { Backend } from '../backend/backend.js';
import type { DifferentiableOp } from '../ops/catalogue.js';
import { fromArray } from '../tensor/creation.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { Random } from '../util/random.js';
import { countingRuns } from './counting-runs.js';
import { GRAD_CASES, type GradCase, gradCaseInputs } from './gradient-cases.js';
import { seedOf } from './ops-group.js';
import { errorText } from './probe.js';
import { type ConformanceCase, fail, pass, skip } from './types.js';

/**
 * The gradients group: autograd's gradient of every differentiable op, computed by the backend
 * under test in float64, against central differences on the reference backend (`grad/<op>`);
 * a float32 leaf used through a bfloat16 forward gets a float32 gradient; and forward plus
 * backward of a small MLP realize in exactly one `run`.
 */

/** Skips when the backend cannot hold a dtype the case computes in. */
function unsupported(backend: Backend, dtypes: readonly ('float64' | 'bfloat16')[]) {
  const missing = dtypes.filter((d) => backend.capabilities.dtypes[d] === 'unsupported');
  return missing.length === 0
    ? undefined
    : skip(
        `${missing.join(', ')} unsupported by ${backend.name}; dtype/${missing[0]} checks the error instead`,
      );
}

function opCase(op: DifferentiableOp, cases: readonly GradCase[]): ConformanceCase {
  const id = `grad/${op}`;
  return {
    id,
    group: 'gradients',
    async run(ctx) {
      const backend = await ctx.backend();
      const skipped = unsupported(backend, ['float64']);
      if (skipped) return skipped;
      const rng = new Random(seedOf(id));
      const problems: string[] = [];
      let checked = 0;
      for (const c of cases) {
        const r = await gradcheck(c.fn, gradCaseInputs(c, rng), { ...c.options, backend });
        checked += r.checked;
        if (!r.ok) problems.push(`${c.label}: ${r.mismatches.join('; ')}`);
      }
      const what = `${cases.map((c) => c.label).join(', ')}: ${checked} float64 gradient entries vs central differences`;
      return problems.length === 0 ? pass(what) : fail(`${what}; ${problems.join(' | ')}`);
    },
  };
}

/**
 * An fp32 leaf used through a bf16 forward: the gradient comes back fp32. Sum of x @ w: the
 * gradient of w is xᵀ·1, column sums of x; small integers keep them exact in bf16.
 */
const halfForwardLeaf: ConformanceCase = {
  id: 'grad/fp32-leaf-bf16-forward',
  group: 'gradients',
  async run(ctx) {
    const backend = await ctx.backend();
    const skipped = unsupported(backend, ['bfloat16']);
    if (skipped) return skipped;
    const xs = [1, 2, -3, 4, 5, -6];
    const x = fromArray(Float32Array.from(xs), { shape: [2, 3] });
    const w = fromArray(Float32Array.from([0.5, -1, 2, 0.25, 1, -0.5]), { shape: [3, 2] });
    w.requiresGrad_();
    const loss = x.cast('bfloat16').matmul(w.cast('bfloat16')).sum();
    loss.backward();
    const g = w.grad as Tensor;
    try {
      await realize([loss, g], backend);
      const got = Array.from(await g.data());
      const expected = [0, 1, 2].flatMap((k) => [xs[k] + xs[3 + k], xs[k] + xs[3 + k]]);
      const ok = g.dtype === 'float32' && got.every((v, i) => v === expected[i]);
      const what = `w.grad of sum(x.bf16 @ w.bf16) is ${g.dtype} [${got}]; expected float32 [${expected}]`;
      return ok ? pass(what) : fail(what);
    } finally {
      for (const t of [x, w, loss, g]) if (!t.node.disposed) t.dispose();
    }
  },
};

/**
 * Forward and backward of a two-layer MLP realize in ONE backend run (a training step is one
 * graph; docs/architecture.md), and b2's gradient matches a host computation: 2·(pred − y)/n per output.
 */
const oneRunMlp: ConformanceCase = {
  id: 'grad/one-run-mlp',
  group: 'gradients',
  async run(ctx) {
    const counted = countingRuns(await ctx.backend());
    const rng = new Random(seedOf('grad/one-run-mlp'));
    const draw = (n: number) => Float32Array.from({ length: n }, () => rng.uniform() - 0.5);
    const [xData, yData] = [draw(8), draw(4)];
    const x = fromArray(xData, { shape: [4, 2] });
    const y = fromArray(yData, { shape: [4, 1] });
    const w1 = fromArray(draw(6), { shape: [2, 3] }).requiresGrad_();
    const b1 = fromArray(draw(3), { shape: [3] }).requiresGrad_();
    const w2 = fromArray(draw(3), { shape: [3, 1] }).requiresGrad_();
    const b2 = fromArray(draw(1), { shape: [1] }).requiresGrad_();
    const pred = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
    const loss = pred.sub(y).pow(2).mean();
    loss.backward();
    const grads = [w1, b1, w2, b2].map((p) => p.grad as Tensor);
    const all = [x, y, w1, b1, w2, b2, pred, loss, ...grads];
    try {
      await realize([loss, pred, ...grads], counted.backend);
      const runs = counted.runs();
      const p = await pred.data();
      const expected = Array.from(p).reduce((s, v, i) => s + (2 * (v - yData[i])) / 4, 0);
      const got = (await grads[3].data())[0];
      const close = Math.abs(got - expected) <= 1e-6 * (1 + Math.abs(expected));
      const what = `forward + backward of a 2-layer MLP: ${runs} run call(s) (expected 1); b2.grad ${got} vs host ${expected}`;
      return runs === 1 && close ? pass(what) : fail(what);
    } catch (error) {
      return fail(errorText(error));
    } finally {
      for (const t of all) if (!t.node.disposed) t.dispose();
    }
  },
};

/** The cases of the gradients group: `grad/<op>` for every differentiable op, then the two above. */
export function gradientsCases(): ConformanceCase[] {
  const ops = Object.keys(GRAD_CASES) as DifferentiableOp[];
  return [...ops.map((op) => opCase(op, GRAD_CASES[op])), halfForwardLeaf, oneRunMlp];
}
