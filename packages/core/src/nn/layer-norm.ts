import { checkDtype } from '../dtype/check-dtype.js';
import type { DType } from '../dtype/dtypes.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { constantParameter } from './init.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';

/** Options of `new LayerNorm(...)`. */
export interface LayerNormOptions {
  readonly eps?: number;
  /** Learned scale (ones) and shift (zeros) of `normalizedShape` (default true). */
  readonly elementwiseAffine?: boolean;
  /** Parameter dtype (default `getDefaultDtype()`). */
  readonly dtype?: DType;
}

const LAYER_NORM_OPTIONS = optionSpec<LayerNormOptions>({
  eps: 'number',
  elementwiseAffine: 'boolean',
  dtype: 'any',
});

/**
 * Normalizes over the trailing `normalizedShape` dims with the biased variance, like
 * `torch.nn.LayerNorm`: `(x - mean) / √(var + eps) · weight + bias`.
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly weight: Parameter | undefined;
  readonly bias: Parameter | undefined;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    options = checkOptions('LayerNorm', options, LAYER_NORM_OPTIONS);
    if (options.dtype !== undefined) checkDtype('LayerNorm', options.dtype, { floating: true });
    this.normalizedShape =
      typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? constantParameter(this.normalizedShape, 1, options.dtype) : undefined;
    this.bias = affine ? constantParameter(this.normalizedShape, 0, options.dtype) : undefined;
  }

  /** `x[..., *normalizedShape]` → same shape. */
  override forward(x: Tensor): Tensor {
    const n = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - n);
    if (x.rank < n || formatShape(tail) !== formatShape(this.normalizedShape)) {
      throw new ShapeMismatchError(
        `LayerNorm.forward: argument 'x' has shape ${formatShape(x.shape)}; expected trailing dims ${formatShape(this.normalizedShape)}`,
      );
    }
    const axes = this.normalizedShape.map((_d, i) => x.rank - n + i);
    const centered = x.sub(x.mean(axes, true));
    const variance = centered.mul(centered).mean(axes, true);
    let y = centered.mul(variance.add(this.eps).rsqrt());
    if (this.weight) y = y.mul(this.weight);
    if (this.bias) y = y.add(this.bias);
    return y;
  }
}
