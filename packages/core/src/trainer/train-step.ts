import type { Backend } from '../backend/backend.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { GradientClipAlgorithm, PrecisionPlugin } from '../precision/precision-plugin.js';
import { realize, type Tensor } from '../tensor/tensor.js';
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
 * One optimizer step: records forward and backward of every micro-batch, the unscale, the
 * clipping and the finite check, realizes all of it in ONE backend run, then hands the
 * outcome to the precision plugin's `optimizerStep`.
 */
export async function trainStep<B>(args: TrainStepArgs<B>): Promise<TrainStepResult> {
  const { backend, model, optimizer, precision, batches } = args;
  const started = performance.now();
  const params = model.parameters().filter((p) => p.requiresGrad);
  optimizer.zeroGrad();

  const losses: Tensor[] = [];
  const corrects: Tensor[] = [];
  let samples = 0;
  for (const raw of batches) {
    const batch = precision.convertInput(raw);
    const out = precision.forwardContext(() => args.step(model, batch));
    const loss = precision.convertOutput(out.loss);
    losses.push(loss);
    if (out.correct) corrects.push(out.correct);
    samples += out.count;
    precision.backward(batches.length > 1 ? loss.div(batches.length) : loss, params);
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
  let lossSum = 0;
  for (const l of losses) lossSum += await l.item();
  let correct = 0;
  for (const c of corrects) correct += await c.item();
  const memory = memoryByCategory(
    backend,
    model,
    optimizer,
    params.map((p) => p.grad),
    peakActivations,
  );
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
    lr: optimizer.paramGroups[0]?.lr ?? Number.NaN,
    memory,
  };
}
