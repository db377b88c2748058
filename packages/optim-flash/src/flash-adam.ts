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

/** Adam's per-group hyper-parameters under torch's names (state dicts keep them). */
export type FlashAdamHyper = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weight_decay: number;
};

/** Constructor options of `FlashAdam` / `FlashAdamW`. */
export interface FlashAdamOptions extends FlashOptions {
  readonly lr?: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  /** Coupled L2 for FlashAdam (default 0), decoupled for FlashAdamW (default 0.01). */
  readonly weightDecay?: number;
}

/** FlashAdamW's options: `decoupleLr` scales the decay by `lr / initial_lr` instead of `lr`. */
export interface FlashAdamWOptions extends FlashAdamOptions {
  readonly decoupleLr?: boolean;
}

const FLASH_ADAM_OPTIONS = optionSpec<FlashAdamOptions>({
  ...FLASH_OPTIONS,
  lr: 'any',
  betas: 'any',
  eps: 'any',
  weightDecay: 'any',
});
const FLASH_ADAMW_OPTIONS = optionSpec<FlashAdamWOptions>({
  ...FLASH_ADAM_OPTIONS,
  decoupleLr: 'boolean',
});
/** Advice for keys spelled for another optimizer. */
const ADAM_HINTS: Readonly<Record<string, string>> = {
  momentum: "Adam's momentum is betas[0]",
  decoupleLr: "FlashAdam couples its decay; decoupleLr is FlashAdamW's",
};

function adamAlgorithm(name: string, algorithm: string): FlashAlgorithm<FlashAdamHyper> {
  return {
    name,
    algorithm,
    validate(h) {
      checkRange(name, 'epsilon value', numberHyper(name, 'eps', h.eps), 'eps >= 0', 0);
      if (!Array.isArray(h.betas) || h.betas.length !== 2)
        throw new MixprecError(
          `${name}: hyper-parameter 'betas' is ${JSON.stringify(h.betas)}; expected [beta1, beta2]`,
        );
      h.betas.forEach((b, i) => {
        const beta = numberHyper(name, `betas[${i}]`, b);
        // flashoptim accepts beta = 1 (torch does not).
        if (!(beta >= 0 && beta <= 1))
          throw new MixprecError(
            `${name}: Invalid beta parameter at index ${i}: ${beta}; expected 0 <= beta${i + 1} <= 1`,
          );
      });
      const wd = numberHyper(name, 'weight_decay', h.weight_decay);
      checkRange(name, 'weight_decay value', wd, 'weight_decay >= 0', 0);
    },
    hyper: (g) => ({
      lr: g.lr,
      beta1: g.betas[0],
      beta2: g.betas[1],
      eps: g.eps,
      weight_decay: g.weight_decay,
    }),
    moments: () => [
      { name: 'exp_avg', signed: true },
      { name: 'exp_avg_sq', signed: false },
    ],
    stepFactor: 0.1,
  };
}

const ADAM = adamAlgorithm('FlashAdam', 'flash-adam');
const ADAMW = adamAlgorithm('FlashAdamW', 'flash-adamw');

function defaults(o: FlashAdamOptions, weightDecay: number): FlashAdamHyper {
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weight_decay: o.weightDecay ?? weightDecay,
  };
}

/**
 * Adam with coupled L2 weight decay (added to the gradient), flashoptim's `FlashAdam`:
 * bf16/fp16 parameters with error-corrected master weights and 8-bit moments (`exp_avg` signed
 * with softsign companding, `exp_avg_sq` stored as its square root in unsigned codes).
 *
 * @example
 * castModel(model, { dtype: 'bfloat16' });
 * const opt = new FlashAdam(model.parameters(), { lr: 1e-3 });
 */
export class FlashAdam extends FlashOptimizer<FlashAdamHyper> {
  constructor(
    params: ParamsInput<FlashAdamHyper & FlashGroupKeys>,
    options: FlashAdamOptions = {},
  ) {
    options = checkOptions('FlashAdam', options, FLASH_ADAM_OPTIONS, { hints: ADAM_HINTS });
    super(params, defaults(options, 0), ADAM, options);
  }
}

/**
 * AdamW with decoupled weight decay (`θ ← θ·(1 − lr·wd)` before the step), flashoptim's
 * `FlashAdamW`; default weight decay 0.01. With bf16 parameters and 24-bit masters it keeps
 * about 7 bytes per parameter instead of fp32 AdamW's 16.
 *
 * @example
 * castModel(model, { dtype: 'bfloat16' });
 * const opt = new FlashAdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
 */
export class FlashAdamW extends FlashOptimizer<FlashAdamHyper> {
  constructor(
    params: ParamsInput<FlashAdamHyper & FlashGroupKeys>,
    options: FlashAdamWOptions = {},
  ) {
    options = checkOptions('FlashAdamW', options, FLASH_ADAMW_OPTIONS, { hints: ADAM_HINTS });
    super(params, defaults(options, 1e-2), ADAMW, options);
  }
}
