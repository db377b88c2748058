import {
  checkOptions,
  checkRange,
  MixprecError,
  numberHyper,
  optionSpec,
  type ParamsInput,
} from '@mixprec/core';
import {
  FLASH_OPTIONS,
  type FlashAlgorithm,
  type FlashGroupKeys,
  FlashOptimizer,
  type FlashOptions,
} from './flash-optimizer.js';

/** SGD's per-group hyper-parameters under torch's names. */
export type FlashSGDHyper = {
  lr: number;
  momentum: number;
  dampening: number;
  weight_decay: number;
};

/** Constructor options of `FlashSGD`. */
export interface FlashSGDOptions extends FlashOptions {
  readonly lr?: number;
  readonly momentum?: number;
  readonly dampening?: number;
  readonly weightDecay?: number;
  /** Nesterov momentum (instance-level, as in flashoptim); needs momentum > 0, dampening 0. */
  readonly nesterov?: boolean;
}

/** FlashSGDW's options: decoupled decay, optionally scaled by `lr / initial_lr`. */
export interface FlashSGDWOptions extends FlashSGDOptions {
  readonly decoupleLr?: boolean;
}

const FLASH_SGD_OPTIONS = optionSpec<FlashSGDOptions>({
  ...FLASH_OPTIONS,
  lr: 'any',
  momentum: 'any',
  dampening: 'any',
  weightDecay: 'any',
  nesterov: 'boolean',
});
const FLASH_SGDW_OPTIONS = optionSpec<FlashSGDWOptions>({
  ...FLASH_SGD_OPTIONS,
  decoupleLr: 'boolean',
});
const SGD_HINTS: Readonly<Record<string, string>> = {
  decoupleLr: "FlashSGD couples its decay; decoupleLr is FlashSGDW's",
};

function sgdAlgorithm(
  name: string,
  algorithm: string,
  nesterov: boolean,
): FlashAlgorithm<FlashSGDHyper> {
  return {
    name,
    algorithm,
    validate(h) {
      const momentum = numberHyper(name, 'momentum', h.momentum);
      const dampening = numberHyper(name, 'dampening', h.dampening);
      if (nesterov && (momentum <= 0 || dampening !== 0))
        throw new MixprecError(
          `${name}: Nesterov momentum requires a momentum and zero dampening; got momentum ${momentum}, dampening ${dampening}; expected momentum > 0 and dampening 0`,
        );
      const wd = numberHyper(name, 'weight_decay', h.weight_decay);
      checkRange(name, 'weight_decay value', wd, 'weight_decay >= 0', 0);
    },
    hyper: (g) => ({
      lr: g.lr,
      momentum: g.momentum,
      dampening: g.dampening,
      weight_decay: g.weight_decay,
      nesterov,
    }),
    // A buffer for every parameter as soon as one group uses momentum (flashoptim's rule).
    moments: (groups) =>
      groups.some((g) => g.momentum > 0) ? [{ name: 'momentum_buffer', signed: true }] : [],
    stepFactor: 1,
  };
}

function defaults(o: FlashSGDOptions): FlashSGDHyper {
  return {
    lr: o.lr ?? 1e-3,
    momentum: o.momentum ?? 0,
    dampening: o.dampening ?? 0,
    weight_decay: o.weightDecay ?? 0,
  };
}

/**
 * SGD with coupled L2 weight decay and optional (Nesterov) momentum, flashoptim's `FlashSGD`.
 * Unlike torch, the first momentum buffer is `(1 − dampening)·g` (identical for dampening 0).
 *
 * @example
 * const opt = new FlashSGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class FlashSGD extends FlashOptimizer<FlashSGDHyper> {
  constructor(params: ParamsInput<FlashSGDHyper & FlashGroupKeys>, options: FlashSGDOptions = {}) {
    options = checkOptions('FlashSGD', options, FLASH_SGD_OPTIONS, { hints: SGD_HINTS });
    super(
      params,
      defaults(options),
      sgdAlgorithm('FlashSGD', 'flash-sgd', options.nesterov ?? false),
      options,
    );
  }
}

/** SGD with decoupled weight decay (`θ ← θ·(1 − lr·wd)` first), flashoptim's `FlashSGDW`. */
export class FlashSGDW extends FlashOptimizer<FlashSGDHyper> {
  constructor(params: ParamsInput<FlashSGDHyper & FlashGroupKeys>, options: FlashSGDWOptions = {}) {
    options = checkOptions('FlashSGDW', options, FLASH_SGDW_OPTIONS);
    super(
      params,
      defaults(options),
      sgdAlgorithm('FlashSGDW', 'flash-sgdw', options.nesterov ?? false),
      options,
    );
  }
}
