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

/** Lion's per-group hyper-parameters under torch-style names. */
export type FlashLionHyper = {
  lr: number;
  betas: readonly [number, number];
  weight_decay: number;
};

/** Constructor options of `FlashLion`. */
export interface FlashLionOptions extends FlashOptions {
  readonly lr?: number;
  /** β1 mixes the update's sign, β2 drives the stored average (default [0.9, 0.99]). */
  readonly betas?: readonly [number, number];
  /** Decoupled weight decay (default 0). */
  readonly weightDecay?: number;
  readonly decoupleLr?: boolean;
}

const FLASH_LION_OPTIONS = optionSpec<FlashLionOptions>({
  ...FLASH_OPTIONS,
  lr: 'any',
  betas: 'any',
  weightDecay: 'any',
  decoupleLr: 'boolean',
});

const LION: FlashAlgorithm<FlashLionHyper> = {
  name: 'FlashLion',
  algorithm: 'flash-lion',
  validate(h) {
    if (!Array.isArray(h.betas) || h.betas.length !== 2)
      throw new MixprecError(
        `FlashLion: hyper-parameter 'betas' is ${JSON.stringify(h.betas)}; expected [beta1, beta2]`,
      );
    h.betas.forEach((b, i) => {
      const beta = numberHyper('FlashLion', `betas[${i}]`, b);
      if (!(beta >= 0 && beta <= 1))
        throw new MixprecError(
          `FlashLion: Invalid beta parameter at index ${i}: ${beta}; expected 0 <= beta${i + 1} <= 1`,
        );
    });
    const wd = numberHyper('FlashLion', 'weight_decay', h.weight_decay);
    checkRange('FlashLion', 'weight_decay value', wd, 'weight_decay >= 0', 0);
  },
  hyper: (g) => ({ lr: g.lr, beta1: g.betas[0], beta2: g.betas[1], weight_decay: g.weight_decay }),
  moments: () => [{ name: 'exp_avg', signed: true }],
  stepFactor: 1,
};

/**
 * Lion (sign of an interpolated momentum; always decoupled weight decay), flashoptim's
 * `FlashLion`: one 8-bit moment, about 6 bytes per bf16 parameter with 24-bit masters.
 *
 * @example
 * const opt = new FlashLion(model.parameters(), { lr: 1e-4, weightDecay: 0.1 });
 */
export class FlashLion extends FlashOptimizer<FlashLionHyper> {
  constructor(
    params: ParamsInput<FlashLionHyper & FlashGroupKeys>,
    options: FlashLionOptions = {},
  ) {
    options = checkOptions('FlashLion', options, FLASH_LION_OPTIONS);
    super(
      params,
      {
        lr: options.lr ?? 1e-3,
        betas: options.betas ?? [0.9, 0.99],
        weight_decay: options.weightDecay ?? 0,
      },
      LION,
      options,
    );
  }
}
