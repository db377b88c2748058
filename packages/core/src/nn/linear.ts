import { linear } from '../autocast/linear.js';
import { checkDtype } from '../dtype/check-dtype.js';
import type { DType } from '../dtype/dtypes.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { uniformParameter } from './init.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';

/** Options of `new Linear(...)`. */
export interface LinearOptions {
  /** Adds a learned bias (default true). */
  readonly bias?: boolean;
  /** Parameter dtype (default `getDefaultDtype()`, so `withDefaultDtype` builds half models). */
  readonly dtype?: DType;
}

const LINEAR_OPTIONS = optionSpec<LinearOptions>({ bias: 'boolean', dtype: 'any' });

/**
 * `y = x @ Wᵀ + b` over the last axis, like `torch.nn.Linear`: weight `[out, in]`, bias
 * `[out]`, both initialized from U(-1/√in, 1/√in) with the default generator.
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    options = checkOptions('Linear', options, LINEAR_OPTIONS);
    if (options.dtype !== undefined) checkDtype('Linear', options.dtype, { floating: true });
    // torch's kaiming_uniform_(a=√5) reduces to this bound; the bias uses the same one.
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = uniformParameter([outFeatures, inFeatures], bound, options.dtype);
    this.bias =
      (options.bias ?? true) ? uniformParameter([outFeatures], bound, options.dtype) : undefined;
  }

  /** `x[..., in]` → `[..., out]`. */
  /** `x @ Wᵀ + b`; under autocast one low-precision op rounded once, as torch's `linear`. */
  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
