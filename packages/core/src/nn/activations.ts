import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { Module } from './module.js';

// Parameter-free activation layers, grouped in one file because each is a one-line forward.

/** `max(x, 0)`. */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** Options of `new GELU(...)`. */
export interface GELUOptions {
  /** `'none'` (exact erf form, default) or `'tanh'`, as in torch. */
  readonly approximate?: 'none' | 'tanh';
}

/** What `approximate` accepts. */
const GELU_APPROXIMATE = {
  expected: "'none' or 'tanh'",
  test: (v: unknown) => v === 'none' || v === 'tanh',
};

const GELU_OPTIONS = optionSpec<GELUOptions>({ approximate: GELU_APPROXIMATE });

/** Gaussian error linear unit, like `torch.nn.GELU`. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options: GELUOptions = {}) {
    super();
    options = checkOptions('GELU', options, GELU_OPTIONS);
    this.approximate = options.approximate ?? 'none';
  }

  override forward(x: Tensor): Tensor {
    return x.gelu({ approximate: this.approximate });
  }
}

/** `x · sigmoid(x)` (a.k.a. swish). */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return x.mul(x.sigmoid());
  }
}
