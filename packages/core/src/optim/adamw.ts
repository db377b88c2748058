import { type AdamHyper, type AdamOptions, adamSpec, refuseAmsgrad } from './adam.js';
import { Optimizer, type ParamsInput } from './optimizer.js';

/** torch's AdamW defaults: Adam's, with weight decay 0.01. */
export const ADAMW_DEFAULTS: Readonly<AdamHyper> = Object.freeze({
  lr: 1e-3,
  betas: [0.9, 0.999] as const,
  eps: 1e-8,
  weight_decay: 1e-2,
});

const SPEC = adamSpec('AdamW', 'adamw');

/**
 * AdamW with torch's `torch.optim.AdamW` semantics: decoupled weight decay (`p *= 1 − lr·wd`
 * before the moment update), otherwise Adam. Updates run as `optimizerStep('adamw')`.
 *
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 3e-4 });
 */
export class AdamW extends Optimizer<AdamHyper> {
  constructor(params: ParamsInput<AdamHyper>, options: AdamOptions = {}) {
    super(params, { ...ADAMW_DEFAULTS, ...refuseAmsgrad('AdamW', options) }, SPEC);
  }
}
