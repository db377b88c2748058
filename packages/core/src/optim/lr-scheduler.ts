import { MixprecError } from '../errors/mixprec-error.js';
import { checkOptions, describeValue, optionSpec } from '../util/check-option-keys.js';
import type { Optimizer } from './optimizer.js';

/**
 * Learning-rate schedulers with torch's `LRScheduler` protocol: the constructor records each
 * group's `initial_lr` and applies the rate of step 0; every `step()` advances `lastEpoch` and
 * sets each group's `lr` to `lrAt(lastEpoch, initial_lr)`. Rates come from closed forms (torch's
 * `_get_closed_form_lr` where torch has one), so a schedule never drifts and `lrAt` can be
 * printed or tested without an optimizer. Call `scheduler.step()` after `optimizer.step()`.
 */

/** A scheduler's saved state (torch's names). */
export interface LRSchedulerState {
  readonly last_epoch: number;
  readonly base_lrs: readonly number[];
}

/** Shared protocol of the schedulers. */
export abstract class LRScheduler {
  /** Steps taken (0 right after construction, like torch). */
  lastEpoch: number;
  /** Each group's `initial_lr`. */
  baseLrs: number[];
  #lastLr: number[] = [];

  /** @param lastEpoch -1 to start; a resumed run passes its epoch and groups need `initial_lr`. */
  constructor(
    readonly optimizer: Optimizer,
    lastEpoch = -1,
  ) {
    const name = new.target.name;
    if (!Array.isArray((optimizer as Partial<Optimizer> | undefined)?.paramGroups)) {
      throw new MixprecError(
        `${name}: optimizer is ${describeValue(optimizer)}; expected an Optimizer (its paramGroups get the schedule)`,
      );
    }
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new MixprecError(
        `${name}: lastEpoch is ${describeValue(lastEpoch)}; expected an integer >= -1 (-1 to start)`,
      );
    }
    const groups = optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const g of groups) g.initial_lr ??= g.lr;
    }
    this.baseLrs = groups.map((g, i) => {
      if (g.initial_lr === undefined) {
        throw new MixprecError(
          `${this.constructor.name}: param group ${i} has no 'initial_lr' while resuming at lastEpoch ${lastEpoch}; expected lastEpoch -1 or groups from a scheduled run`,
        );
      }
      return g.initial_lr;
    });
    this.lastEpoch = lastEpoch;
  }

  /** The rate at step `epoch` for a group whose initial rate is `baseLr` (closed form). */
  abstract lrAt(epoch: number, baseLr: number): number;

  /** Subclasses call this at the end of their constructor: applies the rate of step 0. */
  protected start(): void {
    this.step();
  }

  /** Advances one step and sets every group's `lr`. */
  step(): void {
    this.lastEpoch++;
    this.#lastLr = this.optimizer.paramGroups.map((g, i) => {
      g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]);
      return g.lr;
    });
  }

  /** The rates the last `step()` set, one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  stateDict(): LRSchedulerState {
    return { last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs] };
  }

  /**
   * Restores `lastEpoch` and the base rates (group rates come back with the optimizer's own
   * state dict, as in torch).
   */
  loadStateDict(sd: LRSchedulerState): void {
    const name = `${this.constructor.name}.loadStateDict`;
    const groups = this.optimizer.paramGroups.length;
    if (!Number.isInteger(sd?.last_epoch) || sd.last_epoch < -1)
      throw new MixprecError(`${name}: last_epoch is ${sd?.last_epoch}; expected an integer >= -1`);
    if (!Array.isArray(sd.base_lrs) || sd.base_lrs.length !== groups) {
      throw new MixprecError(
        `${name}: base_lrs has ${sd.base_lrs?.length} entries; expected ${groups} (one per param group)`,
      );
    }
    this.lastEpoch = sd.last_epoch;
    this.baseLrs = [...sd.base_lrs];
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}

function checkSteps(name: string, what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new MixprecError(
      `${name}: ${what} is ${describeValue(value)}; expected an integer >= ${min}`,
    );
}

const isScheduler = {
  expected: 'an LRScheduler (its lrAt gives the rates after the warm-up)',
  test: (v: unknown) => typeof (v as Partial<LRScheduler>)?.lrAt === 'function',
};

const LINEAR_WARMUP_OPTIONS = optionSpec<LinearWarmupOptions>({
  warmupSteps: 'any',
  startFactor: 'number',
  after: isScheduler,
});

const COSINE_ANNEALING_OPTIONS = optionSpec<CosineAnnealingOptions>({
  tMax: 'any',
  etaMin: 'number',
  warmupSteps: 'any',
});

const STEP_LR_OPTIONS = optionSpec<StepLROptions>({ stepSize: 'any', gamma: 'number' });

/** Options of `LinearWarmup`. */
export interface LinearWarmupOptions {
  /** Steps over which the factor rises from `startFactor` to 1. */
  readonly warmupSteps: number;
  /** Factor of step 0 (default 0, as Hugging Face's linear warm-up; torch's LinearLR uses 1/3). */
  readonly startFactor?: number;
  /**
   * Schedule after the warm-up, counted from its end (default: constant at the base rate). Only
   * its `lrAt` is used: step the `LinearWarmup`, not this one.
   */
  readonly after?: LRScheduler;
}

/**
 * Linear warm-up: `lr = base · (s + (1 − s) · t / W)` for `t < W`, then `after.lrAt(t − W, base)`
 * or `base`. This is torch's `LinearLR(start_factor=s, end_factor=1, total_iters=W)` closed form,
 * with `s = 0` allowed.
 */
export class LinearWarmup extends LRScheduler {
  readonly warmupSteps: number;
  readonly startFactor: number;
  readonly after: LRScheduler | undefined;

  constructor(optimizer: Optimizer, options: LinearWarmupOptions, lastEpoch = -1) {
    // Checked before super(), which records each group's initial_lr: a refused call changes nothing.
    options = checkOptions('LinearWarmup', options, LINEAR_WARMUP_OPTIONS);
    checkSteps('LinearWarmup', 'warmupSteps', options.warmupSteps, 0);
    const s = options.startFactor ?? 0;
    if (!(s >= 0 && s <= 1))
      throw new MixprecError(`LinearWarmup: startFactor is ${s}; expected 0 <= startFactor <= 1`);
    super(optimizer, lastEpoch);
    this.warmupSteps = options.warmupSteps;
    this.startFactor = s;
    this.after = options.after;
    this.start();
  }

  lrAt(epoch: number, baseLr: number): number {
    const w = this.warmupSteps;
    if (epoch < w) return baseLr * (this.startFactor + ((1 - this.startFactor) * epoch) / w);
    return this.after === undefined ? baseLr : this.after.lrAt(epoch - w, baseLr);
  }
}

/** Options of `CosineAnnealing`. */
export interface CosineAnnealingOptions {
  /** Steps from the base rate down to `etaMin` (after any warm-up). */
  readonly tMax: number;
  /** Lowest rate (default 0). */
  readonly etaMin?: number;
  /** Linear warm-up steps from 0 before the cosine starts (default 0). */
  readonly warmupSteps?: number;
}

/**
 * Cosine annealing: `lr = etaMin + (base − etaMin) · (1 + cos(π · t / tMax)) / 2`, torch's
 * `CosineAnnealingLR` closed form (torch's recursive `get_lr` agrees with it for `t ≤ tMax`;
 * past `tMax` this form rises again, the recursive one oscillates the same way). With
 * `warmupSteps = W`, steps `t < W` rise linearly from 0 (`base · t / W`) and the cosine runs over
 * `t − W`.
 */
export class CosineAnnealing extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  readonly warmupSteps: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingOptions, lastEpoch = -1) {
    options = checkOptions('CosineAnnealing', options, COSINE_ANNEALING_OPTIONS);
    checkSteps('CosineAnnealing', 'tMax', options.tMax, 1);
    checkSteps('CosineAnnealing', 'warmupSteps', options.warmupSteps ?? 0, 0);
    super(optimizer, lastEpoch);
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    this.warmupSteps = options.warmupSteps ?? 0;
    this.start();
  }

  lrAt(epoch: number, baseLr: number): number {
    const w = this.warmupSteps;
    if (epoch < w) return (baseLr * epoch) / w;
    const t = epoch - w;
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/** Options of `StepLR`. */
export interface StepLROptions {
  /** Steps between decays. */
  readonly stepSize: number;
  /** Decay factor (default 0.1). */
  readonly gamma?: number;
}

/** Step decay: `lr = base · gamma^floor(t / stepSize)` (torch's `StepLR` closed form). */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions, lastEpoch = -1) {
    options = checkOptions('StepLR', options, STEP_LR_OPTIONS);
    checkSteps('StepLR', 'stepSize', options.stepSize, 1);
    super(optimizer, lastEpoch);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.start();
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}
