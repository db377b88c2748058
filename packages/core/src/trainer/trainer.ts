import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/default-registry.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { OptionsError } from '../errors/options-error.js';
import type { Module } from '../nn/module.js';
import { BasePrecision } from '../precision/base-precision.js';
import type { PrecisionPlugin } from '../precision/precision-plugin.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import {
  checkOptionKeys,
  checkOptions,
  checkOptionValue,
  describeValue,
  type OptionSpec,
  optionKeys,
  optionSpec,
} from '../util/check-option-keys.js';
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
    throw new MixprecError(
      `Trainer: ${name} is ${describeValue(value)}; expected a non-negative integer`,
    );
  }
  return v;
}

const isPrecisionPlugin = (p: unknown): boolean =>
  typeof p === 'object' &&
  p !== null &&
  typeof (p as PrecisionPlugin).precision === 'string' &&
  typeof (p as PrecisionPlugin).convertModule === 'function' &&
  typeof (p as PrecisionPlugin).optimizerStep === 'function';

const hasMethods =
  (...names: string[]) =>
  (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');

/** The keys of `TrainerOptions` and what each value must be (ranges are checked below). */
const TRAINER_OPTIONS = optionSpec<TrainerOptions>({
  precision: {
    expected:
      "a PrecisionPlugin object (precision strings are @mixprec/precision's: createPrecisionPlugin('bf16-mixed'))",
    test: isPrecisionPlugin,
  },
  backend: { expected: 'a Backend (e.g. await getBackend())', test: hasMethods('run', 'upload') },
  maxSteps: 'any',
  maxEpochs: 'any',
  accumulateGradBatches: 'any',
  gradientClipVal: 'any',
  gradientClipAlgorithm: 'any',
  valCheckInterval: 'any',
  scheduler: {
    expected: 'a scheduler with step(), stateDict() and loadStateDict() (e.g. a CosineAnnealing)',
    test: hasMethods('step', 'stateDict', 'loadStateDict'),
  },
  callbacks: 'array',
});

const CALLBACK_HOOKS = optionKeys<TrainerCallbacks>({
  onFitStart: true,
  onTrainStepEnd: true,
  onValidationEnd: true,
  onFitEnd: true,
});

/**
 * Checks one callback object: an object whose `on*` members (own or inherited) are known
 * hooks, so `onStepEnd` is refused instead of never being called. Other members (state) pass.
 */
function checkCallback(cb: unknown, i: number): void {
  const where = `Trainer: callbacks[${i}]`;
  checkOptionValue(
    'Trainer',
    `callbacks[${i}]`,
    cb,
    typeof cb === 'object' && cb !== null,
    `an object of hooks (${CALLBACK_HOOKS.join(', ')})`,
  );
  const names = new Set<string>();
  for (
    let o = cb as object | null;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o)
  )
    for (const name of Object.getOwnPropertyNames(o)) if (/^on[A-Z]/.test(name)) names.add(name);
  const hooks = [...names];
  checkOptionKeys(where, Object.fromEntries(hooks.map((h) => [h, true])), CALLBACK_HOOKS, {
    noun: 'hook',
  });
  for (const hook of hooks) {
    const value = (cb as Record<string, unknown>)[hook];
    checkOptionValue(
      where,
      hook,
      value,
      value === undefined || typeof value === 'function',
      'a function',
      'hook',
    );
  }
}

const FIT_ARGS = optionSpec<FitArgs<unknown>>({
  model: { expected: 'a Module', test: hasMethods('forward', 'parameters') },
  optimizer: { expected: 'an Optimizer', test: hasMethods('step', 'zeroGrad', 'stateDict') },
  step: 'function',
  trainData: 'function',
  valData: 'function',
});

const { trainData: _t, valData: _v, ...STEP_ARGS } = FIT_ARGS;

/** Advice for keys people carry over from other trainers' configs. */
const TRAINER_HINTS: Readonly<Record<string, string>> = {
  plugins:
    "mixprec's Trainer takes one precision plugin as 'precision'; resolveTrainerCfg's plugins[0] is that plugin",
  devices: "pick the device with 'backend'",
  accelerator: "pick the device with 'backend'",
};

/** Checks an arguments object: known keys, each present and of its kind (`valData` optional). */
function checkArgs<T extends object>(where: string, args: T, spec: OptionSpec<T>): void {
  const keys = Object.keys(spec);
  if (args === undefined) {
    throw new OptionsError(`${where}: args is undefined; expected { ${keys.join(', ')} }`, {
      where,
      accepted: keys,
    });
  }
  const required = keys.filter((k) => k !== 'valData');
  checkOptions(where, args, spec, { subject: 'args', noun: 'argument', required });
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
    checkOptions('Trainer', options, TRAINER_OPTIONS, { hints: TRAINER_HINTS });
    (options.callbacks ?? []).forEach(checkCallback);
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
    if (!(typeof clip === 'number' && Number.isFinite(clip) && clip >= 0)) {
      throw new MixprecError(
        `Trainer: gradientClipVal is ${describeValue(clip)}; expected a finite number >= 0`,
      );
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
    checkArgs('Trainer.step', args, STEP_ARGS);
    checkOptionValue(
      'Trainer.step',
      'batches',
      batches,
      Array.isArray(batches) && batches.length > 0,
      'a non-empty array of micro-batches',
      'argument',
    );
    return this.#step(args, batches);
  }

  async #step<B>(
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
        const out = this.precisionPlugin.forwardContext(() => step(model, batch), { backend });
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
    checkArgs('Trainer.fit', args, FIT_ARGS);
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
        lastTrain = await this.#step(fitArgs, pending);
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
