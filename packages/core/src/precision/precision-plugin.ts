import type { Backend } from '../backend/backend.js';
import type { Module } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';

/** How gradients are clipped: by global norm or element-wise by value. */
export type GradientClipAlgorithm = 'norm' | 'value';

/** What the trainer learned from the step's single backend run, handed to `optimizerStep`. */
export interface StepOutcome {
  /** Whether every gradient of the step is finite (computed in the same run as the loss). */
  readonly gradientsFinite: boolean;
}

/** What the `Trainer` tells a plugin about the step whose forward it wraps. */
export interface ForwardContext {
  /** The backend that will realize the step. */
  readonly backend?: Backend;
}

/**
 * The precision plugin interface: Lightning's hook set in camelCase, adapted to lazy graphs.
 * The `Trainer` talks only to this interface; `@mixprec/precision` implements the modes.
 * Hooks that record ops (backward, unscale, clip) only record: the trainer realizes the loss,
 * the gradients, the clip norm and the finite check in ONE backend run, then calls
 * `optimizerStep` with the outcome.
 */
export interface PrecisionPlugin {
  /** The precision string, e.g. `'32-true'`, `'bf16-mixed'`. */
  readonly precision: string;
  /**
   * Whether `backward` scales the loss (a GradScaler): such steps need every gradient before
   * any update, so gradient release refuses them. Absent means false.
   */
  readonly scalesLoss?: boolean;
  /**
   * The current loss scale when `backward` scales the loss (16-mixed's GradScaler), for
   * reports and logs; `undefined` without loss scaling. Absent means `undefined`.
   */
  readonly lossScale?: number | undefined;

  /** Casts a module's parameters/buffers in place (optimizers hold the same objects). */
  convertModule(module: Module): Module;
  /** Converts a batch before the forward (e.g. floating tensors to half). */
  convertInput<T>(data: T): T;
  /** Converts the forward's output (e.g. back to fp32). */
  convertOutput<T>(data: T): T;
  /** Runs `fn` with the dtype policy for creating modules (true-half: half parameters). */
  moduleInitContext<T>(fn: () => T): T;
  /** Runs `fn` with the dtype policy for creating tensors. */
  tensorInitContext<T>(fn: () => T): T;
  /**
   * Runs the forward under the precision policy (autocast, default dtype). `context.backend` is
   * the backend that will run the step (the `Trainer` passes it), so an autocasting plugin can
   * apply that backend's `capabilities.autocastOverrides` on top of its op lists.
   */
  forwardContext<T>(fn: () => T, context?: ForwardContext): T;

  /**
   * Records the backward of `loss` into each parameter's `.grad` (lazily accumulating). A
   * loss-scaling plugin scales the loss first.
   */
  backward(loss: Tensor, params: readonly Parameter[]): void;
  /** Records the unscaling of the optimizer's gradients (no-op without a scaler). */
  unscaleGradients(optimizer: Optimizer): void;
  /**
   * Records gradient clipping over the optimizer's parameters; returns the lazy total norm
   * for `'norm'` (before clipping), `undefined` when nothing is clipped.
   */
  clipGradients(
    optimizer: Optimizer,
    clipValue: number,
    algorithm: GradientClipAlgorithm,
  ): Tensor | undefined;
  /**
   * Applies the optimizer step after the run (skipping it when the plugin says so, e.g. on
   * non-finite gradients with a loss scaler). Resolves to whether the step was taken.
   */
  optimizerStep(optimizer: Optimizer, outcome: StepOutcome): Promise<boolean>;

  /** Plugin state for checkpoints (`{}` when stateless). */
  stateDict(): Record<string, unknown>;
  /** Restores `stateDict` output. */
  loadStateDict(state: Record<string, unknown>): void;
  /** Releases whatever the plugin holds. */
  teardown(): void;
}
