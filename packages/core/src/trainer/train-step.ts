import type { Backend } from '../backend/backend.js';
import { MixprecError } from '../errors/mixprec-error.js';
import type { Module } from '../nn/module.js';
import { type GradientReleaseHandle, gradientReleaseOf } from '../optim/gradient-release.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { GradientClipAlgorithm, PrecisionPlugin } from '../precision/precision-plugin.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { memoryByCategory } from './memory-report.js';
import type { StepFn, TrainStepResult } from './trainer-types.js';

/** What one training step needs. */
export interface TrainStepArgs<B> {
  readonly backend: Backend;
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly precision: PrecisionPlugin;
  readonly step: StepFn<B>;
  /** The micro-batches of this optimizer step (gradient accumulation when more than one). */
  readonly batches: readonly B[];
  readonly gradientClipVal: number;
  readonly gradientClipAlgorithm: GradientClipAlgorithm;
  /** Step number to report. */
  readonly stepNumber: number;
}

const TRAIN_STEP_ARGS = optionSpec<TrainStepArgs<unknown>>({
  backend: 'object',
  model: 'object',
  optimizer: 'object',
  precision: 'object',
  step: 'function',
  batches: 'array',
  gradientClipVal: 'number',
  gradientClipAlgorithm: {
    expected: "'norm' or 'value'",
    test: (v) => v === 'norm' || v === 'value',
  },
  stepNumber: 'integer',
});

/**
 * Zero is finite and 0 * ±inf or 0 * NaN is NaN, so Σ(g * 0) over every gradient is 0 exactly
 * when all are finite: the check rides along in the same run without a dedicated op.
 */
function allFinite(grads: readonly Tensor[]): Tensor | undefined {
  const parts = grads.map((g) => g.mul(0).sum().cast('float32'));
  if (parts.length === 0) return undefined;
  return parts.reduce((a, b) => a.add(b)).eq(0);
}

/**
 * The optimizer's active gradient-release handle, after checking that the step can use it:
 * release updates each parameter during backward, so nothing may need all gradients first.
 */
function activeRelease<B>(args: TrainStepArgs<B>): GradientReleaseHandle | undefined {
  const release = gradientReleaseOf(args.optimizer);
  if (!release?.active) return undefined;
  if (args.batches.length !== 1) {
    throw new MixprecError(
      `Trainer: got ${args.batches.length} micro-batches per step with gradient release; gradient release updates each parameter during backward; expected accumulateGradBatches 1`,
    );
  }
  if (args.gradientClipVal > 0) {
    throw new MixprecError(
      `Trainer: gradientClipVal is ${args.gradientClipVal} with gradient release, which updates each parameter before the others' gradients exist; expected gradientClipVal 0 (no global clipping)`,
    );
  }
  if (args.precision.scalesLoss === true) {
    throw new MixprecError(
      `Trainer: precision '${args.precision.precision}' scales the loss (GradScaler), which gradient release does not support; expected a precision without loss scaling (e.g. 'bf16-mixed', '32-true')`,
    );
  }
  return release;
}

/**
 * One optimizer step: records forward and backward of every micro-batch, the unscale, the
 * clipping and the finite check, realizes all of it in ONE backend run, then hands the
 * outcome to the precision plugin's `optimizerStep`. With gradient release active on the
 * optimizer, the same run updates each parameter as its gradient is ready instead (no finite
 * check, unscale, clipping or plugin `optimizerStep`).
 */
export async function trainStep<B>(args: TrainStepArgs<B>): Promise<TrainStepResult> {
  checkOptions('trainStep', args, TRAIN_STEP_ARGS, {
    subject: 'args',
    noun: 'argument',
    required: Object.keys(TRAIN_STEP_ARGS),
  });
  const { backend, model, optimizer, precision, batches } = args;
  const started = performance.now();
  const params = model.parameters().filter((p) => p.requiresGrad);
  const release = activeRelease(args);
  if (release === undefined) optimizer.zeroGrad();

  const losses: Tensor[] = [];
  const corrects: Tensor[] = [];
  let samples = 0;
  for (const raw of batches) {
    const batch = precision.convertInput(raw);
    const out = precision.forwardContext(() => args.step(model, batch), { backend });
    const loss = precision.convertOutput(out.loss);
    losses.push(loss);
    if (out.correct) corrects.push(out.correct);
    samples += out.count;
    precision.backward(batches.length > 1 ? loss.div(batches.length) : loss, params);
  }
  if (release !== undefined) {
    const before = backend.memory({ resetPeak: true }).bytes;
    await release.realize([...losses, ...corrects], backend);
    const peakActivations = Math.max(0, backend.memory().peakBytes - before);
    return report(args, started, losses, corrects, samples, {
      gradientsFinite: true,
      stepped: true,
      norm: undefined,
      memory: memoryByCategory(
        backend,
        model,
        optimizer,
        params.map((p) => p.grad),
        peakActivations,
      ),
    });
  }
  precision.unscaleGradients(optimizer);
  const norm = precision.clipGradients(optimizer, args.gradientClipVal, args.gradientClipAlgorithm);
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== undefined);
  const finite = allFinite(grads);

  const before = backend.memory({ resetPeak: true }).bytes;
  const outputs = [
    ...losses,
    ...corrects,
    ...grads,
    ...(finite ? [finite] : []),
    ...(norm ? [norm] : []),
  ];
  await realize(outputs, backend);
  const peakActivations = Math.max(0, backend.memory().peakBytes - before);

  const gradientsFinite = finite ? (await finite.item()) === 1 : true;
  const stepped = await precision.optimizerStep(optimizer, { gradientsFinite });
  const memory = memoryByCategory(
    backend,
    model,
    optimizer,
    params.map((p) => p.grad),
    peakActivations,
  );
  return report(args, started, losses, corrects, samples, {
    gradientsFinite,
    stepped,
    norm,
    memory,
  });
}

/** The step's result from its realized losses, correct counts and outcome. */
async function report<B>(
  args: TrainStepArgs<B>,
  started: number,
  losses: readonly Tensor[],
  corrects: readonly Tensor[],
  samples: number,
  outcome: {
    readonly gradientsFinite: boolean;
    readonly stepped: boolean;
    readonly norm: Tensor | undefined;
    readonly memory: TrainStepResult['memory'];
  },
): Promise<TrainStepResult> {
  const { gradientsFinite, stepped, norm, memory } = outcome;
  let lossSum = 0;
  for (const l of losses) lossSum += await l.item();
  let correct = 0;
  for (const c of corrects) correct += await c.item();
  const seconds = (performance.now() - started) / 1000;
  return {
    step: args.stepNumber,
    loss: lossSum / losses.length,
    accuracy: corrects.length > 0 ? correct / samples : undefined,
    samples,
    seconds,
    samplesPerSecond: samples / seconds,
    gradientsFinite,
    stepped,
    gradNorm: norm ? await norm.item() : undefined,
    lr: args.optimizer.paramGroups[0]?.lr ?? Number.NaN,
    memory,
  };
}
