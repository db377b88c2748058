import { gradients } from '../autograd/gradients.js';
import type { Module } from '../nn/module.js';
import type { Parameter } from '../nn/parameter.js';
import { clipGradNorm, clipGradValue } from '../optim/clip-grad.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradientClipAlgorithm, PrecisionPlugin, StepOutcome } from './precision-plugin.js';

/** Every parameter of every group of an optimizer (what clipping acts on). */
export function mainParams(optimizer: Optimizer): Tensor[] {
  return optimizer.paramGroups.flatMap((group) => [...group.params]);
}

/**
 * Working defaults for every hook: plain fp32 training (`'32-true'`). Plugins subclass it and
 * override only what differs. A step with non-finite gradients is still taken here, as in
 * torch without a scaler; the trainer reports it.
 */
export class BasePrecision implements PrecisionPlugin {
  readonly precision: string = '32-true';

  /** No loss scaling here; a plugin with a scaler overrides this getter. */
  get scalesLoss(): boolean {
    return false;
  }

  /** No loss scale here; a plugin with a scaler overrides this getter. */
  get lossScale(): number | undefined {
    return undefined;
  }

  convertModule(module: Module): Module {
    return module;
  }
  convertInput<T>(data: T): T {
    return data;
  }
  convertOutput<T>(data: T): T {
    return data;
  }
  moduleInitContext<T>(fn: () => T): T {
    return fn();
  }
  tensorInitContext<T>(fn: () => T): T {
    return fn();
  }
  forwardContext<T>(fn: () => T): T {
    return fn();
  }

  backward(loss: Tensor, params: readonly Parameter[]): void {
    const grads = gradients(loss, params);
    params.forEach((p, i) => {
      p.grad = p.grad ? p.grad.add(grads[i]) : grads[i];
    });
  }

  unscaleGradients(_optimizer: Optimizer): void {}

  clipGradients(
    optimizer: Optimizer,
    clipValue: number,
    algorithm: GradientClipAlgorithm,
  ): Tensor | undefined {
    if (!(clipValue > 0)) return undefined;
    if (algorithm === 'value') {
      clipGradValue(mainParams(optimizer), clipValue);
      return undefined;
    }
    return clipGradNorm(mainParams(optimizer), clipValue);
  }

  async optimizerStep(optimizer: Optimizer, _outcome: StepOutcome): Promise<boolean> {
    await optimizer.step();
    return true;
  }

  stateDict(): Record<string, unknown> {
    return {};
  }
  loadStateDict(_state: Record<string, unknown>): void {}
  teardown(): void {}
}
