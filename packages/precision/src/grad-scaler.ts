import {
  checkOptions,
  DtypeError,
  MixprecError,
  mainParams,
  type Optimizer,
  optionSpec,
  type StepOutcome,
  type Tensor,
} from '@mixprec/core';

/** Constructor options of `GradScaler` (torch's names in camelCase, same defaults). */
export interface GradScalerOptions {
  /** Scale used by the first `scale()` (default 2^16). */
  readonly initScale?: number;
  /** Multiplier after `growthInterval` clean steps in a row (default 2, must be > 1). */
  readonly growthFactor?: number;
  /** Multiplier after a step with inf/NaN gradients (default 0.5, must be < 1). */
  readonly backoffFactor?: number;
  /** Consecutive clean steps before the scale grows (default 2000). */
  readonly growthInterval?: number;
  /** A disabled scaler is a pass-through (scale 1, never skips). Default true. */
  readonly enabled?: boolean;
}

const GRAD_SCALER_OPTIONS = optionSpec<GradScalerOptions>({
  initScale: 'number',
  growthFactor: 'number',
  backoffFactor: 'number',
  growthInterval: 'number',
  enabled: 'boolean',
});

/** The five-key checkpoint state, torch's keys verbatim so checkpoints read the same. */
export type GradScalerState = {
  readonly scale: number;
  readonly growth_factor: number;
  readonly backoff_factor: number;
  readonly growth_interval: number;
  readonly _growth_tracker: number;
};

/** Where an optimizer is in the current iteration (torch's OptState). */
export type ScalerStage = 'READY' | 'UNSCALED' | 'STEPPED';

interface OptimizerEntry {
  stage: ScalerStage;
  /** Known once the step's gradients were realized (the trainer's finite check). */
  foundInf: boolean | undefined;
}

const STATE_KEYS = [
  'scale',
  'growth_factor',
  'backoff_factor',
  'growth_interval',
  '_growth_tracker',
] as const;
const f32 = Math.fround;

/**
 * Dynamic loss scaling, torch.amp.GradScaler's algorithm: `scale` multiplies the loss,
 * `unscale_` multiplies the gradients by fp32(1/scale) (lazily, so it rides in the trainer's
 * single run), `step` skips the optimizer when a gradient is inf/NaN, `update` backs off on
 * overflow and grows after `growthInterval` clean steps. All scale arithmetic is fp32.
 */
export class GradScaler {
  #initScale: number;
  #growthFactor: number;
  #backoffFactor: number;
  #growthInterval: number;
  #initTracker = 0;
  readonly #enabled: boolean;
  // Lazy like torch: created by the first scale(), so an unused scaler holds nothing.
  #scale: number | undefined = undefined;
  #tracker = 0;
  readonly #perOptimizer = new Map<Optimizer, OptimizerEntry>();

  constructor(options: GradScalerOptions = {}) {
    // Keys and kinds are checked even for a disabled scaler; torch's value ranges only when enabled.
    options = checkOptions('GradScaler', options, GRAD_SCALER_OPTIONS);
    this.#enabled = options.enabled ?? true;
    this.#initScale = f32(options.initScale ?? 2 ** 16);
    this.#growthFactor = options.growthFactor ?? 2;
    this.#backoffFactor = options.backoffFactor ?? 0.5;
    this.#growthInterval = options.growthInterval ?? 2000;
    if (!this.#enabled) return;
    check(this.#growthFactor > 1, `growthFactor ${this.#growthFactor}`, 'a number > 1.0');
    check(
      this.#backoffFactor < 1 && this.#backoffFactor > 0,
      `backoffFactor ${this.#backoffFactor}`,
      'a number in (0, 1)',
    );
    check(
      Number.isInteger(this.#growthInterval) && this.#growthInterval > 0,
      `growthInterval ${this.#growthInterval}`,
      'a positive integer',
    );
    check(
      Number.isFinite(this.#initScale) && this.#initScale > 0,
      `initScale ${this.#initScale}`,
      'a positive finite number',
    );
  }

  isEnabled(): boolean {
    return this.#enabled;
  }

  /** The current scale (`initScale` before the first `scale()`, 1 when disabled). */
  getScale(): number {
    if (!this.#enabled) return 1;
    return this.#scale ?? this.#initScale;
  }

  /** Consecutive clean steps counted towards the next growth. */
  getGrowthTracker(): number {
    return this.#scale === undefined ? this.#initTracker : this.#tracker;
  }

  /** Where `optimizer` is in this iteration (READY until unscaled or stepped). */
  stage(optimizer: Optimizer): ScalerStage {
    return this.#perOptimizer.get(optimizer)?.stage ?? 'READY';
  }

  /** Records `loss * scale` (graph-connected; the scale is a weak fp32 scalar). */
  scale(loss: Tensor): Tensor {
    if (!this.#enabled) return loss;
    if (this.#scale === undefined) {
      this.#scale = this.#initScale;
      this.#tracker = this.#initTracker;
    }
    return loss.mul(this.#scale);
  }

  /**
   * Records the unscaling of `optimizer`'s gradients, at most once per iteration, so clipping
   * sees real gradients. Errors are torch's: a second call, a call after `step()`, fp16 grads.
   */
  unscale_(optimizer: Optimizer): void {
    if (!this.#enabled) return;
    const entry = this.#entry(optimizer, 'unscale_');
    if (entry.stage === 'UNSCALED') {
      throw new MixprecError(
        'unscale_() has already been called on this optimizer since the last update().',
      );
    }
    if (entry.stage === 'STEPPED')
      throw new MixprecError('unscale_() is being called after step().');
    // The reciprocal is taken in double, then rounded to fp32, as torch does.
    const invScale = f32(1 / this.#scale!);
    const params = mainParams(optimizer).filter((p) => p.grad !== undefined);
    const fp16 = params.find((p) => p.grad!.dtype === 'float16');
    if (fp16) {
      throw new DtypeError(
        'GradScaler.unscale_: Attempting to unscale FP16 gradients.; expected fp32 parameters (use 16-mixed, not a true-fp16 model, with a scaler)',
      );
    }
    if (invScale !== 1) for (const p of params) p.grad = p.grad!.mul(invScale);
    entry.stage = 'UNSCALED';
  }

  /**
   * Unscales if not done yet, then takes the optimizer step unless a gradient was inf/NaN.
   * `outcome` is the trainer's finite check from the step's run; without it the scaler
   * realizes the check itself. Resolves to whether the step was taken.
   */
  async step(optimizer: Optimizer, outcome?: StepOutcome): Promise<boolean> {
    if (!this.#enabled) {
      await optimizer.step();
      return true;
    }
    const entry = this.#entry(optimizer, 'step');
    if (entry.stage === 'STEPPED')
      throw new MixprecError('step() has already been called since the last update().');
    if (entry.stage === 'READY') this.unscale_(optimizer);
    const finite = outcome ? outcome.gradientsFinite : await gradientsFinite(optimizer);
    entry.foundInf = !finite;
    entry.stage = 'STEPPED';
    if (!finite) return false;
    await optimizer.step();
    return true;
  }

  /**
   * Adjusts the scale once per iteration, after every optimizer stepped: × backoff on any
   * overflow (tracker reset), × growth when the tracker reaches exactly `growthInterval` (only
   * if the result is finite), else tracker + 1. `newScale` sets the scale directly instead.
   */
  update(newScale?: number): void {
    if (!this.#enabled) return;
    if (this.#scale === undefined) {
      throw new MixprecError(
        'Attempted update but _scale is None. This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.',
      );
    }
    if (newScale !== undefined) {
      this.#scale = f32(newScale);
    } else {
      const flags = [...this.#perOptimizer.values()].flatMap((e) =>
        e.foundInf === undefined ? [] : [e.foundInf],
      );
      if (flags.length === 0)
        throw new MixprecError('No inf checks were recorded prior to update.');
      if (flags.some((inf) => inf)) {
        this.#scale = f32(this.#scale * this.#backoffFactor);
        this.#tracker = 0;
      } else if (this.#tracker + 1 === this.#growthInterval) {
        const candidate = f32(this.#scale * this.#growthFactor);
        if (Number.isFinite(candidate)) this.#scale = candidate;
        this.#tracker = 0;
      } else {
        this.#tracker += 1;
      }
    }
    this.#perOptimizer.clear();
  }

  /** The five-key state (`{}` when disabled); call it after `update()`. */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this.#enabled) return {};
    return {
      scale: this.getScale(),
      growth_factor: this.#growthFactor,
      backoff_factor: this.#backoffFactor,
      growth_interval: this.#growthInterval,
      _growth_tracker: this.getGrowthTracker(),
    };
  }

  /** Restores `stateDict()` output (every key is checked before anything changes). */
  loadStateDict(state: Record<string, unknown>): void {
    if (!this.#enabled) return;
    if (Object.keys(state).length === 0) {
      throw new MixprecError(
        'The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.',
      );
    }
    const bad = STATE_KEYS.filter((k) => typeof state[k] !== 'number');
    if (bad.length > 0) {
      throw new MixprecError(
        `GradScaler.loadStateDict: keys [${bad.join(', ')}] missing or not numbers; expected the five keys ${STATE_KEYS.join(', ')}`,
      );
    }
    const s = state as unknown as GradScalerState;
    this.#initScale = f32(s.scale);
    this.#growthFactor = s.growth_factor;
    this.#backoffFactor = s.backoff_factor;
    this.#growthInterval = s.growth_interval;
    this.#initTracker = s._growth_tracker;
    if (this.#scale !== undefined) {
      this.#scale = this.#initScale;
      this.#tracker = this.#initTracker;
    }
  }

  #entry(optimizer: Optimizer, what: string): OptimizerEntry {
    if (this.#scale === undefined) {
      throw new MixprecError(
        `Attempted ${what} but _scale is None. This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.`,
      );
    }
    let entry = this.#perOptimizer.get(optimizer);
    if (!entry) {
      entry = { stage: 'READY', foundInf: undefined };
      this.#perOptimizer.set(optimizer, entry);
    }
    return entry;
  }
}

function check(ok: boolean, got: string, expected: string): void {
  if (!ok) throw new MixprecError(`GradScaler: ${got}; expected ${expected}`);
}

/** Σ(g·0) is 0 exactly when every gradient is finite (the trainer's trick, realized here). */
async function gradientsFinite(optimizer: Optimizer): Promise<boolean> {
  const grads = mainParams(optimizer).flatMap((p) => (p.grad ? [p.grad] : []));
  if (grads.length === 0) return true;
  const total = grads.map((g) => g.mul(0).sum().cast('float32')).reduce((a, b) => a.add(b));
  return (await total.item()) === 0;
}
