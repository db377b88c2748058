import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/default-registry.js';
import { MixprecError } from '../errors/mixprec-error.js';
import type { Module } from '../nn/module.js';
import { BasePrecision } from '../precision/base-precision.js';
import type { PrecisionPlugin } from '../precision/precision-plugin.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { trainStep } from './train-step.js';
import type {
  FitArgs,
  FitSummary,
  StepFn,
  TrainerCallbacks,
  TrainerOptions,
  TrainerState,
  TrainerStateView,
  TrainStepResult,
  ValidationResult,
} from './trainer-types.js';

/**
 * Lets the event loop turn. Storages of tensors the program dropped are freed by a
 * FinalizationRegistry, whose callbacks run only between macrotasks; a loop of awaits on
 * already-resolved backend work would otherwise never let them run and memory would grow by
 * one batch per step.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) {
    throw new MixprecError(`Trainer: ${name} is ${value}; expected a non-negative integer`);
  }
  return v;
}

/**
 * Fits a model: batches → precision plugin → one backend run per optimizer step (forward,
 * backward, clipping, finite check) → optimizer step → scheduler → callbacks, with periodic
 * validation. Deterministic when the model init, the data order and dropout are seeded.
 */
export class Trainer implements TrainerStateView {
  readonly precisionPlugin: PrecisionPlugin;
  readonly state: TrainerState = { globalStep: 0, epoch: 0, batchInEpoch: 0 };
  readonly maxSteps: number;
  private readonly maxEpochs: number;
  private readonly accumulate: number;
  private readonly valInterval: number;
  private readonly callbacks: readonly TrainerCallbacks[];
  private backend: Backend | undefined;
  private skipped = 0;

  constructor(readonly options: TrainerOptions = {}) {
    this.precisionPlugin = options.precision ?? new BasePrecision();
    this.maxSteps = positiveInt('maxSteps', options.maxSteps, Number.MAX_SAFE_INTEGER);
    this.maxEpochs = positiveInt('maxEpochs', options.maxEpochs, Number.MAX_SAFE_INTEGER);
    if (options.maxSteps === undefined && options.maxEpochs === undefined) {
      throw new MixprecError(
        'Trainer: neither maxSteps nor maxEpochs is set; expected at least one limit',
      );
    }
    this.accumulate = positiveInt('accumulateGradBatches', options.accumulateGradBatches, 1);
    if (this.accumulate < 1)
      throw new MixprecError('Trainer: accumulateGradBatches is 0; expected >= 1');
    this.valInterval = positiveInt('valCheckInterval', options.valCheckInterval, 0);
    const clip = options.gradientClipVal ?? 0;
    if (!(Number.isFinite(clip) && clip >= 0)) {
      throw new MixprecError(`Trainer: gradientClipVal is ${clip}; expected a finite number >= 0`);
    }
    const algorithm = options.gradientClipAlgorithm ?? 'norm';
    if (algorithm !== 'norm' && algorithm !== 'value') {
      throw new MixprecError(
        `Trainer: gradientClipAlgorithm is '${algorithm}'; expected 'norm' or 'value'`,
      );
    }
    this.callbacks = options.callbacks ?? [];
  }

  get precision(): string {
    return this.precisionPlugin.precision;
  }

  /** The backend steps run on (resolved on first use). */
  async resolveBackend(): Promise<Backend> {
    this.backend ??= this.options.backend ?? (await getBackend());
    return this.backend;
  }

  /** Converts the model with the precision plugin and uploads its parameters to the backend. */
  async setup(model: Module): Promise<Module> {
    const backend = await this.resolveBackend();
    const converted = this.precisionPlugin.convertModule(model);
    await realize(converted.parameters(), backend);
    return converted;
  }

  /** One optimizer step over `batches` (micro-batches), for custom loops. */
  async step<B>(
    args: Omit<FitArgs<B>, 'trainData' | 'valData'>,
    batches: readonly B[],
  ): Promise<TrainStepResult> {
    const result = await trainStep({
      backend: await this.resolveBackend(),
      model: args.model,
      optimizer: args.optimizer,
      precision: this.precisionPlugin,
      step: args.step,
      batches,
      gradientClipVal: this.options.gradientClipVal ?? 0,
      gradientClipAlgorithm: this.options.gradientClipAlgorithm ?? 'norm',
      stepNumber: this.state.globalStep + 1,
    });
    this.state.globalStep++;
    await yieldToEventLoop();
    if (result.stepped) this.options.scheduler?.step();
    else this.skipped++;
    for (const cb of this.callbacks) cb.onTrainStepEnd?.(result, this);
    return result;
  }

  /** Evaluates the model on `data` in eval mode; one backend run per batch. */
  async validate<B>(model: Module, step: StepFn<B>, data: Iterable<B>): Promise<ValidationResult> {
    const backend = await this.resolveBackend();
    const wasTraining = model.training;
    model.eval();
    let lossSum = 0;
    let correct = 0;
    let samples = 0;
    let counted = false;
    try {
      for (const raw of data) {
        const batch = this.precisionPlugin.convertInput(raw);
        const out = this.precisionPlugin.forwardContext(() => step(model, batch));
        const loss = this.precisionPlugin.convertOutput(out.loss);
        const outputs: Tensor[] = out.correct ? [loss, out.correct] : [loss];
        await realize(outputs, backend);
        lossSum += (await loss.item()) * out.count;
        if (out.correct) {
          correct += await out.correct.item();
          counted = true;
        }
        samples += out.count;
        for (const t of outputs) t.dispose();
        await yieldToEventLoop();
      }
    } finally {
      model.train(wasTraining);
    }
    const result = {
      step: this.state.globalStep,
      loss: samples > 0 ? lossSum / samples : Number.NaN,
      accuracy: counted && samples > 0 ? correct / samples : undefined,
      samples,
    };
    for (const cb of this.callbacks) cb.onValidationEnd?.(result, this);
    return result;
  }

  /**
   * Trains until `maxSteps` or `maxEpochs`, resuming from `state` (restored by
   * `loadTrainerCheckpoint`): batches already consumed in the current epoch are skipped.
   */
  async fit<B>(args: FitArgs<B>): Promise<FitSummary> {
    const started = performance.now();
    const model = await this.setup(args.model);
    const fitArgs = { ...args, model };
    model.train();
    for (const cb of this.callbacks) cb.onFitStart?.(this);
    let lastTrain: TrainStepResult | undefined;
    let lastValidation: ValidationResult | undefined;
    let samples = 0;
    const validate = async () => {
      if (args.valData) lastValidation = await this.validate(model, args.step, args.valData());
    };
    while (this.state.globalStep < this.maxSteps && this.state.epoch < this.maxEpochs) {
      let index = 0;
      let pending: B[] = [];
      for (const batch of args.trainData(this.state.epoch)) {
        if (index++ < this.state.batchInEpoch) continue;
        pending.push(batch);
        if (pending.length < this.accumulate) continue;
        lastTrain = await this.step(fitArgs, pending);
        samples += lastTrain.samples;
        this.state.batchInEpoch += pending.length;
        pending = [];
        if (this.valInterval > 0 && this.state.globalStep % this.valInterval === 0)
          await validate();
        if (this.state.globalStep >= this.maxSteps) break;
      }
      if (this.state.globalStep >= this.maxSteps) break;
      if (index === 0)
        throw new MixprecError(
          `Trainer.fit: trainData(${this.state.epoch}) gave no batches; expected at least one`,
        );
      this.state.epoch++;
      this.state.batchInEpoch = 0;
    }
    if (args.valData && (this.valInterval === 0 || this.state.globalStep % this.valInterval !== 0))
      await validate();
    const seconds = (performance.now() - started) / 1000;
    const summary: FitSummary = {
      steps: this.state.globalStep,
      skippedSteps: this.skipped,
      lastTrain,
      lastValidation,
      seconds,
      samplesPerSecond: samples / seconds,
    };
    for (const cb of this.callbacks) cb.onFitEnd?.(summary, this);
    return summary;
  }
}
