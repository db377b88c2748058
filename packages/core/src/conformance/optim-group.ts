import type { Backend, Storage } from '../backend/backend.js';
import { Mismatches } from './compare.js';
import { flashOptimCases } from './flash-optim-cases.js';
import { f32FromBits, show, ulpDistance } from './numerics.js';
import { errorText } from './probe.js';
import { type CaseContext, type ConformanceCase, fail, pass, skip } from './types.js';
import { FieldReader } from './vectors.js';

/**
 * The optim group: `optim.json` trajectories (torch 1.13, fp32) replayed through the backend's
 * `optimizerStep` primitive on uploaded storages. After every step the parameter and each
 * state tensor must meet the file's acceptance rule: within 2 fp32 ulp of the recorded bits, OR
 * `|got − exp| ≤ 1e-6 · max|exp|` over the same tensor (why: see the file's description; FMA
 * and non-FMA evaluations differ by many ulp on small, cancelled elements).
 */

/** The cases this group replays, by name in `optim.json`. */
const CASE_NAMES = ['sgd_momentum', 'sgd_nesterov', 'adam_l2', 'adamw'] as const;

/** torch class → `optimizerStep` algorithm, its hyper-parameters and its state tensors. */
const ALGORITHMS: Record<string, { algorithm: string; hyper: string[]; state: string[] }> = {
  'torch.optim.SGD': {
    algorithm: 'sgd',
    hyper: ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov'],
    state: ['momentum_buffer'],
  },
  'torch.optim.Adam': {
    algorithm: 'adam',
    hyper: ['lr', 'beta1', 'beta2', 'eps', 'weight_decay'],
    state: ['exp_avg', 'exp_avg_sq'],
  },
  'torch.optim.AdamW': {
    algorithm: 'adamw',
    hyper: ['lr', 'beta1', 'beta2', 'eps', 'weight_decay'],
    state: ['exp_avg', 'exp_avg_sq'],
  },
};

/** One recorded trajectory of `optim.json`, validated. */
export interface OptimVector {
  readonly name: string;
  readonly algorithm: string;
  readonly hyper: Readonly<Record<string, number | boolean>>;
  readonly stateNames: readonly string[];
  readonly paramInit: readonly number[];
  /** Per step: the gradient fed and the expected param and state bits after it. */
  readonly steps: ReadonlyArray<{
    readonly grad: readonly number[];
    readonly expected: Readonly<Record<string, readonly number[]>>;
  }>;
}

/** Validates `optim.json`, naming the file and the first bad field. */
export function parseOptim(json: unknown, file: string): OptimVector[] {
  const r = new FieldReader(file);
  const root = r.object(json, '(root)');
  return r.array(root.cases, 'cases').map((c, i) => {
    const at = (f: string) => `cases[${i}].${f}`;
    const o = r.object(c, `cases[${i}]`);
    const kind = ALGORITHMS[String(o.optimizer)];
    if (kind === undefined)
      r.fail(at('optimizer'), o.optimizer, `one of ${Object.keys(ALGORITHMS).join(', ')}`);
    const given = r.object(o.hyperparams, at('hyperparams'));
    const { betas, ...rest } = given;
    const flat: Record<string, unknown> = { ...rest };
    if (betas !== undefined) {
      const [beta1, beta2] = r.array(betas, at('hyperparams.betas'));
      Object.assign(flat, { beta1, beta2 });
    }
    const hyper: Record<string, number | boolean> = {};
    for (const key of kind.hyper) {
      const v = flat[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' && typeof v !== 'boolean')
        r.fail(at(`hyperparams.${key}`), v, 'a number or boolean');
      hyper[key] = v as number | boolean;
    }
    const paramInit = r.array(o.param_init, at('param_init'));
    const n = paramInit.length;
    const steps = r.array(o.steps, at('steps')).map((s, t) => {
      const so = r.object(s, at(`steps[${t}]`));
      const expected: Record<string, readonly number[]> = {};
      for (const key of ['param', ...kind.state])
        expected[key] = r.hexArray(so[key], at(`steps[${t}].${key}`), 8, n);
      return { grad: r.hexArray(so.grad, at(`steps[${t}].grad`), 8, n), expected };
    });
    return {
      name: typeof o.name === 'string' ? o.name : `case ${i}`,
      algorithm: kind.algorithm,
      hyper,
      stateNames: kind.state,
      paramInit: r.hexArray(paramInit, at('param_init'), 8, n),
      steps,
    };
  });
}

const upload = (backend: Backend, bits: readonly number[]): Storage =>
  backend.upload(new Float32Array(new Uint32Array(bits).buffer), 'float32', [bits.length]);

/** The file's acceptance rule for one tensor; checks every element into `m`. */
function checkTensor(
  m: Mismatches,
  what: string,
  got: Float32Array,
  bits: readonly number[],
): number {
  const expected = bits.map(f32FromBits);
  const maxAbs = expected.reduce((a, e) => Math.max(a, Math.abs(e)), 0);
  let worst = 0;
  expected.forEach((e, i) => {
    const ulp = ulpDistance(got[i], e, 'float32');
    worst = Math.max(worst, ulp);
    const ok = ulp <= 2 || Math.abs(got[i] - e) <= 1e-6 * maxAbs;
    m.check(
      ok,
      () => `${what} [${i}] got ${show(got[i], 'float32')} expected ${show(e, 'float32')}`,
    );
  });
  return worst;
}

/** Replays one trajectory; returns the largest ulp distance seen. */
async function replay(backend: Backend, v: OptimVector, m: Mismatches): Promise<number> {
  const zeros = v.paramInit.map(() => 0);
  const param = upload(backend, v.paramInit);
  const state = Object.fromEntries(v.stateNames.map((s) => [s, upload(backend, zeros)]));
  const live: Storage[] = [param, ...Object.values(state)];
  let worst = 0;
  try {
    for (const [t, s] of v.steps.entries()) {
      const grad = upload(backend, s.grad);
      live.push(grad);
      await backend.optimizerStep({
        algorithm: v.algorithm,
        hyper: v.hyper,
        step: t + 1,
        param,
        grad,
        state,
      });
      for (const [key, bits] of Object.entries(s.expected)) {
        const storage = key === 'param' ? param : state[key];
        const got = await backend.download(storage);
        if (!(got instanceof Float32Array))
          throw new Error(
            `download of ${key} returned ${got.constructor.name}; expected Float32Array`,
          );
        worst = Math.max(worst, checkTensor(m, `step ${t + 1} ${key}`, got, bits));
      }
    }
  } finally {
    for (const s of live) backend.free(s);
  }
  return worst;
}

function optimCase(name: string): ConformanceCase {
  return {
    id: `optim/${name}`,
    group: 'optim',
    async run(ctx: CaseContext) {
      const vectors = await ctx.vectors('optim.json', parseOptim);
      const v = vectors.find((c) => c.name === name);
      if (v === undefined)
        return fail(
          `optim.json has no case '${name}'; expected one of the ${CASE_NAMES.length} optim cases`,
        );
      const backend = await ctx.backend();
      if (backend.capabilities.dtypes.float32 === 'unsupported')
        return skip(
          `float32 unsupported by ${backend.name}; dtype/float32 checks the error instead`,
        );
      const m = new Mismatches();
      let worst = 0;
      try {
        worst = await replay(backend, v, m);
      } catch (error) {
        m.problem(errorText(error));
      }
      const what = `${v.steps.length} ${v.algorithm} steps of optim.json '${name}' via optimizerStep, param and ${v.stateNames.join(', ')} within 2 ulp or 1e-6·max|exp| (max ${worst} ulp)`;
      return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
    },
  };
}

/** The cases of the optim group. */
export function optimCases(): ConformanceCase[] {
  return [...CASE_NAMES.map(optimCase), ...flashOptimCases()];
}
