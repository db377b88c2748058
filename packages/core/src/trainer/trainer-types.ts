import type { Backend } from '../backend/backend.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { GradientClipAlgorithm, PrecisionPlugin } from '../precision/precision-plugin.js';
import type { Tensor } from '../tensor/tensor.js';

/** What a step function returns for one (micro-)batch. */
export interface StepOutput {
  /** Scalar loss (mean over the batch). */
  readonly loss: Tensor;
  /** Number of correct predictions (a scalar tensor), for accuracy. */
  readonly correct?: Tensor;
  /** Number of samples in the batch. */
  readonly count: number;
}

/** Computes the loss (and optionally correct counts) of a batch. Records ops only. */
export type StepFn<B> = (model: Module, batch: B) => StepOutput;

/** Anything with `step()`/`stateDict()` that sets learning rates (see `optim/lr-scheduler`). */
export interface SchedulerLike {
  step(): void;
  /** JSON-serializable state. */
  stateDict(): object;
  /** Restores `stateDict()` output (typed by the scheduler; checkpoints hand back what it saved). */
  loadStateDict(state: never): void;
}

/** Bytes held on the backend by category. */
export interface MemoryByCategory {
  readonly params: number;
  readonly grads: number;
  readonly optimizerState: number;
  /** Peak bytes during the step's run above what was live before it (activations + outputs). */
  readonly peakActivations: number;
  /** Total live bytes of the backend after the step. */
  readonly backendBytes: number;
}

/** Result of one optimizer step (one backend run for forward + backward). */
export interface TrainStepResult {
  readonly step: number;
  readonly loss: number;
  /** Accuracy over the step's samples, when the step function reports `correct`. */
  readonly accuracy: number | undefined;
  readonly samples: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly gradientsFinite: boolean;
  /** Whether the optimizer step was taken (a precision plugin may skip it). */
  readonly stepped: boolean;
  /** Total gradient norm before clipping, when clipping by norm. */
  readonly gradNorm: number | undefined;
  readonly lr: number;
  readonly memory: MemoryByCategory;
}

/** Result of a validation pass. */
export interface ValidationResult {
  readonly step: number;
  readonly loss: number;
  readonly accuracy: number | undefined;
  readonly samples: number;
}

/** Callbacks: every member optional; called in registration order. */
export interface TrainerCallbacks {
  onFitStart?(trainer: TrainerStateView): void;
  onTrainStepEnd?(result: TrainStepResult, trainer: TrainerStateView): void;
  onValidationEnd?(result: ValidationResult, trainer: TrainerStateView): void;
  onFitEnd?(summary: FitSummary, trainer: TrainerStateView): void;
}

/** Where the trainer is: enough to resume exactly. */
export interface TrainerState {
  /** Optimizer steps taken or skipped so far. */
  globalStep: number;
  epoch: number;
  /** Batches of the current epoch already consumed. */
  batchInEpoch: number;
}

/** Read-only view given to callbacks. */
export interface TrainerStateView {
  readonly state: Readonly<TrainerState>;
  readonly maxSteps: number;
  readonly precision: string;
}

/** Options of `new Trainer(...)`. */
export interface TrainerOptions {
  /** Precision plugin (default: `BasePrecision`, plain 32-bit). */
  readonly precision?: PrecisionPlugin;
  /** Backend (default: the current backend, `getBackend()`). */
  readonly backend?: Backend;
  /** Stop after this many optimizer steps. */
  readonly maxSteps?: number;
  /** Stop after this many epochs (whichever comes first; at least one limit is required). */
  readonly maxEpochs?: number;
  /** Micro-batches per optimizer step (default 1). */
  readonly accumulateGradBatches?: number;
  /** Clip gradients (0 = off). */
  readonly gradientClipVal?: number;
  readonly gradientClipAlgorithm?: GradientClipAlgorithm;
  /** Validate every this many steps (and at the end); 0 = only at the end. */
  readonly valCheckInterval?: number;
  readonly scheduler?: SchedulerLike;
  readonly callbacks?: readonly TrainerCallbacks[];
}

/** What `fit` needs. `trainData(epoch)` must give the same batches for the same epoch (resume relies on it). */
export interface FitArgs<B> {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly step: StepFn<B>;
  readonly trainData: (epoch: number) => Iterable<B>;
  readonly valData?: () => Iterable<B>;
}

/** Returned by `fit`. */
export interface FitSummary {
  readonly steps: number;
  readonly skippedSteps: number;
  readonly lastTrain: TrainStepResult | undefined;
  readonly lastValidation: ValidationResult | undefined;
  readonly seconds: number;
  readonly samplesPerSecond: number;
}
