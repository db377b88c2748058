import { checkDtype } from '../dtype/check-dtype.js';
import type { DType } from '../dtype/dtypes.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';
import { fromArray, zeros } from '../tensor/creation.js';
import { concat } from '../tensor/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { uniformParameter } from './init.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';

/** Options of `new Conv1d(...)`. */
export interface Conv1dOptions {
  readonly stride?: number;
  /** Zeros added at both ends of the time axis. */
  readonly padding?: number;
  readonly dilation?: number;
  readonly bias?: boolean;
  /** Parameter dtype (default `getDefaultDtype()`). */
  readonly dtype?: DType;
}

const CONV1D_OPTIONS = optionSpec<Conv1dOptions>({
  stride: 'any',
  padding: 'any',
  dilation: 'any',
  bias: 'boolean',
  dtype: 'any',
});

/**
 * 1-D convolution over `[B, C, T]`, like `torch.nn.Conv1d` (no groups): weight
 * `[outC, inC, K]`, bias `[outC]`, both from U(-1/√(inC·K), 1/√(inC·K)). Built from existing
 * ops (im2col by `gather`, then one matmul), so every backend and autograd get it for free.
 */
export class Conv1d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  // The im2col index depends only on the input length; reuse it across steps.
  #indexCache = new Map<number, Tensor>();

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv1dOptions = {},
  ) {
    super();
    options = checkOptions('Conv1d', options, CONV1D_OPTIONS);
    if (options.dtype !== undefined) checkDtype('Conv1d', options.dtype, { floating: true });
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    const ok = (v: number, min: number) => Number.isInteger(v) && v >= min;
    if (
      !ok(inChannels, 1) ||
      !ok(outChannels, 1) ||
      !ok(kernelSize, 1) ||
      !ok(this.stride, 1) ||
      !ok(this.padding, 0) ||
      !ok(this.dilation, 1)
    ) {
      throw new ShapeMismatchError(
        `Passed \`Conv1d(${inChannels}, ${outChannels}, ${kernelSize}, { stride: ${this.stride}, padding: ${this.padding}, dilation: ${this.dilation} })\`; expected positive integer sizes, stride and dilation and a non-negative integer padding`,
      );
    }
    const bound = 1 / Math.sqrt(inChannels * kernelSize);
    this.weight = uniformParameter([outChannels, inChannels, kernelSize], bound, options.dtype);
    this.bias =
      (options.bias ?? true) ? uniformParameter([outChannels], bound, options.dtype) : undefined;
  }

  /** Output length for an input of length `t` (torch's formula). */
  outputLength(t: number): number {
    const span = this.dilation * (this.kernelSize - 1) + 1;
    return Math.floor((t + 2 * this.padding - span) / this.stride) + 1;
  }

  /** `[B, inC, T]` → `[B, outC, T_out]`. */
  override forward(x: Tensor): Tensor {
    if (x.rank !== 3 || x.shape[1] !== this.inChannels) {
      throw new ShapeMismatchError(
        `Conv1d.forward: argument 'x' has shape ${formatShape(x.shape)}; expected [B, ${this.inChannels}, T]`,
      );
    }
    const [b, c, t] = x.shape;
    const tOut = this.outputLength(t);
    if (tOut < 1) {
      throw new ShapeMismatchError(
        `Conv1d.forward: input length ${t} is shorter than the dilated kernel (${this.dilation * (this.kernelSize - 1) + 1}) plus padding; expected a longer input`,
      );
    }
    let padded = x;
    if (this.padding > 0) {
      const pad = zeros([b, c, this.padding], { dtype: x.dtype });
      padded = concat([pad, x, pad], 2);
    }
    const k = this.kernelSize;
    // [B, C, T_out, K] → [B, T_out, C·K]: channel-major, matching the weight's [outC, inC·K].
    const cols = padded
      .gather(this.#index(t, tOut), 2)
      .permute([0, 2, 1, 3])
      .reshape([b, tOut, c * k]);
    let y = cols.matmul(this.weight.reshape([this.outChannels, c * k]).transpose());
    if (this.bias) y = y.add(this.bias);
    return y.permute([0, 2, 1]);
  }

  /** `[T_out, K]` int32: input position of kernel tap `j` for output step `i`. */
  #index(t: number, tOut: number): Tensor {
    const cached = this.#indexCache.get(t);
    if (cached) return cached;
    const k = this.kernelSize;
    const idx = new Int32Array(tOut * k);
    for (let i = 0; i < tOut; i++) {
      for (let j = 0; j < k; j++) idx[i * k + j] = i * this.stride + j * this.dilation;
    }
    const tensor = fromArray(idx, { shape: [tOut, k] });
    this.#indexCache.set(t, tensor);
    return tensor;
  }
}
