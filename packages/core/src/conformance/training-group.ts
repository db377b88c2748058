import { autocast } from '../autocast/state.js';
import type { Backend } from '../backend/backend.js';
import { GELU, ReLU } from '../nn/activations.js';
import { Linear } from '../nn/linear.js';
import { crossEntropy } from '../nn/losses.js';
import type { Parameter } from '../nn/parameter.js';
import { Sequential } from '../nn/sequential.js';
import { AdamW } from '../optim/adamw.js';
import { fromArray } from '../tensor/creation.js';
import { Mismatches } from './compare.js';
import { f32FromBits, show } from './numerics.js';
import { errorText } from './probe.js';
import { type CaseContext, type ConformanceCase, fail, pass, skip } from './types.js';
import { FieldReader } from './vectors.js';

/**
 * The training group: the three runs of `mlp_training.json` (torch 1.13) replayed through
 * mixprec's own nn, autograd, cross-entropy and AdamW on the backend under test, with the file's
 * acceptance rules. (a) fp32: the loss of every step within relative 1e-4 of torch's and the
 * final parameters within 1e-4 absolute. (b) bf16-mixed (bf16 autocast around forward + loss,
 * fp32 weights and optimizer) and (c) bf16-true (bf16 model, inputs and loss; AdamW on the
 * bf16 parameters): loss within relative 2e-2 for the first 10 steps and the final loss within
 * 5%, because accumulation order and rounding points legitimately differ between backends.
 */

const LAYER_NAMES = ['0.weight', '0.bias', '2.weight', '2.bias', '4.weight', '4.bias'] as const;

interface TrainingVector {
  readonly features: number;
  readonly classes: number;
  readonly batch: number;
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly initial: Record<string, { shape: number[]; values: Float32Array }>;
  readonly losses: Float32Array;
  readonly final: Record<string, Float32Array>;
  /** Per-step torch losses of the low-precision runs, by run name. */
  readonly lowpLosses: Readonly<Record<LowpRun, Float32Array>>;
}

/** The low-precision runs of the file. */
type LowpRun = 'bf16_mixed' | 'bf16_true';
type Run = 'fp32' | LowpRun;

function floats(r: FieldReader, value: unknown, path: string): Float32Array {
  return new Float32Array(
    new Uint32Array(r.array(value, path).map((v, i) => r.hex(v, `${path}[${i}]`, 8))).buffer,
  );
}

function label(r: FieldReader, v: unknown, i: number): number {
  if (!Number.isInteger(v) || (v as number) < 0)
    r.fail(`dataset.labels[${i}]`, v, 'a class index >= 0');
  return v as number;
}

/** Validates `mlp_training.json` (run 'fp32'), naming the file and the first bad field. */
export function parseTraining(json: unknown, file: string): TrainingVector {
  const r = new FieldReader(file);
  const root = r.object(json, '(root)');
  const data = r.object(root.dataset, 'dataset');
  const training = r.object(root.training, 'training');
  const opt = r.object(training.optimizer, 'training.optimizer');
  const params = r.object(r.object(root.model, 'model').initial_params, 'model.initial_params');
  const cases = r.array(root.cases, 'cases').map((c, i) => r.object(c, `cases[${i}]`));
  const caseOf = (name: Run) =>
    cases.find((c) => c.run === name) ??
    r.fail('cases', `(no run ${name})`, `a case with run '${name}'`);
  const run = caseOf('fp32');
  const lossesOf = (name: Run) => floats(r, caseOf(name).loss_f32, `cases[${name}].loss_f32`);
  const initial: TrainingVector['initial'] = {};
  const final: TrainingVector['final'] = {};
  const finals = r.object(run.final_params, 'cases[fp32].final_params');
  for (const name of LAYER_NAMES) {
    const p = r.object(params[name], `model.initial_params.${name}`);
    initial[name] = {
      shape: r
        .array(p.shape, `model.initial_params.${name}.shape`)
        .map((d, i) => r.int(d, `shape[${i}]`)),
      values: floats(r, p.f32, `model.initial_params.${name}.f32`),
    };
    final[name] = floats(
      r,
      r.object(finals[name], `final_params.${name}`).f32,
      `final_params.${name}.f32`,
    );
  }
  const betas = r.array(opt.betas, 'training.optimizer.betas') as [number, number];
  return {
    features: r.int(data.features, 'dataset.features'),
    classes: r.int(data.classes, 'dataset.classes'),
    batch: r.int(training.batch, 'training.batch'),
    x: floats(r, data.x_f32, 'dataset.x_f32'),
    labels: Int32Array.from(r.array(data.labels, 'dataset.labels').map((v, i) => label(r, v, i))),
    lr: Number(opt.lr),
    betas,
    eps: Number(opt.eps),
    weightDecay: Number(opt.weight_decay),
    initial,
    losses: lossesOf('fp32'),
    final,
    lowpLosses: { bf16_mixed: lossesOf('bf16_mixed'), bf16_true: lossesOf('bf16_true') },
  };
}

/** Trains the file's MLP for its steps as `run`; returns per-step losses and final parameters. */
async function replay(
  backend: Backend,
  v: TrainingVector,
  run: Run = 'fp32',
): Promise<{ losses: number[]; params: Record<string, Float32Array> }> {
  const model = new Sequential(
    new Linear(v.features, 64),
    new GELU(),
    new Linear(64, 64),
    new ReLU(),
    new Linear(64, v.classes),
  );
  const named = new Map(model.namedParameters());
  for (const name of LAYER_NAMES) {
    const p = named.get(name) as Parameter;
    p.assign(
      await fromArray(v.initial[name].values, { shape: v.initial[name].shape }).realize(backend),
    );
  }
  // torch's model.to(bfloat16): the optimizer below then holds bf16 parameters.
  // Converted values are lazy casts: realize them so that they are leaves autograd can mark.
  if (run === 'bf16_true') model.to('bfloat16');
  const params = model.parameters();
  for (const p of params) await p.realize(backend);
  const optimizer = new AdamW(params, {
    lr: v.lr,
    betas: v.betas,
    eps: v.eps,
    weight_decay: v.weightDecay,
  });
  const rows = v.x.length / v.features / v.batch;
  const losses: number[] = [];
  for (let s = 0; s < v.losses.length; s++) {
    const first = (s % rows) * v.batch;
    let x = fromArray(v.x.slice(first * v.features, (first + v.batch) * v.features), {
      shape: [v.batch, v.features],
    });
    if (run === 'bf16_true') x = x.cast('bfloat16');
    const y = fromArray(v.labels.slice(first, first + v.batch));
    optimizer.zeroGrad();
    const forward = () => crossEntropy(model.forward(x), y);
    const loss = run === 'bf16_mixed' ? autocast('bfloat16', forward) : forward();
    loss.backward();
    await loss.realize(backend);
    losses.push(await loss.item());
    await optimizer.step();
  }
  const out: Record<string, Float32Array> = {};
  for (const name of LAYER_NAMES) {
    const p = named.get(name) as Parameter;
    out[name] = (await (p.dtype === 'float32' ? p : p.cast('float32')).data()) as Float32Array;
  }
  return { losses, params: out };
}

const trainingCase: ConformanceCase = {
  id: 'train/mlp-fp32',
  group: 'training',
  async run(ctx: CaseContext) {
    const v = await ctx.vectors('mlp_training.json', parseTraining);
    const backend = await ctx.backend();
    if (backend.capabilities.dtypes.float32 === 'unsupported')
      return skip(`float32 unsupported by ${backend.name}`);
    const m = new Mismatches();
    let worstRel = 0;
    let worstAbs = 0;
    try {
      const got = await replay(backend, v);
      got.losses.forEach((loss, s) => {
        const rel = Math.abs(loss - v.losses[s]) / Math.abs(v.losses[s]);
        worstRel = Math.max(worstRel, rel);
        m.check(
          rel <= 1e-4,
          () =>
            `step ${s} loss got ${show(loss, 'float32')} expected ${show(v.losses[s], 'float32')}`,
        );
      });
      for (const name of LAYER_NAMES) {
        got.params[name].forEach((p, i) => {
          const abs = Math.abs(p - v.final[name][i]);
          worstAbs = Math.max(worstAbs, abs);
          m.check(
            abs <= 1e-4,
            () =>
              `final ${name}[${i}] got ${show(p, 'float32')} expected ${show(f32FromBits(new Uint32Array(v.final[name].buffer)[i]), 'float32')}`,
          );
        });
      }
    } catch (error) {
      m.problem(errorText(error));
    }
    const what = `${v.losses.length} AdamW steps of mlp_training.json run (a): loss within rel 1e-4 (max ${worstRel.toExponential(2)}), final params within 1e-4 (max ${worstAbs.toExponential(2)})`;
    return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
  },
};

/** A low-precision run (b) or (c): the loss curve against torch's, with the file's tolerances. */
function lowpCase(run: LowpRun, id: string, what: string): ConformanceCase {
  return {
    id,
    group: 'training',
    async run(ctx: CaseContext) {
      const v = await ctx.vectors('mlp_training.json', parseTraining);
      const backend = await ctx.backend();
      if (backend.capabilities.dtypes.bfloat16 === 'unsupported')
        return skip(`bfloat16 unsupported by ${backend.name}`);
      const expected = v.lowpLosses[run];
      const m = new Mismatches();
      let worstFirst10 = 0;
      let finalRel = Number.NaN;
      try {
        const got = await replay(backend, v, run);
        const last = expected.length - 1;
        got.losses.forEach((loss, s) => {
          const rel = Math.abs(loss - expected[s]) / Math.abs(expected[s]);
          if (s < 10) {
            worstFirst10 = Math.max(worstFirst10, rel);
            m.check(
              rel <= 2e-2,
              () =>
                `step ${s} loss got ${show(loss, 'float32')} expected ${show(expected[s], 'float32')} (rel ${rel.toExponential(2)} > 2e-2)`,
            );
          }
          if (s === last) {
            finalRel = rel;
            m.check(
              rel <= 5e-2,
              () =>
                `final loss (step ${s}) got ${show(loss, 'float32')} expected ${show(expected[s], 'float32')} (rel ${rel.toExponential(2)} > 5%)`,
            );
          }
        });
        m.check(got.losses.length === expected.length, () => `ran ${got.losses.length} steps`);
      } catch (error) {
        m.problem(errorText(error));
      }
      const summary = `${expected.length} AdamW steps of mlp_training.json run ${what}: loss within rel 2e-2 for 10 steps (max ${worstFirst10.toExponential(2)}), final within 5% (${finalRel.toExponential(2)})`;
      return m.ok ? pass(m.summary(summary)) : fail(m.summary(summary));
    },
  };
}

/** The cases of the training group. */
export function trainingCases(): ConformanceCase[] {
  return [
    trainingCase,
    lowpCase('bf16_mixed', 'train/mlp-bf16-mixed', '(b) bf16-mixed'),
    lowpCase('bf16_true', 'train/mlp-bf16-true', '(c) bf16-true'),
  ];
}
