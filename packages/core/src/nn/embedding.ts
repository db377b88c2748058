import { checkDtype } from '../dtype/check-dtype.js';
import type { DType } from '../dtype/dtypes.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { normalParameter } from './init.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';

/** Options of `new Embedding(...)`. */
export interface EmbeddingOptions {
  /** Parameter dtype (default `getDefaultDtype()`). */
  readonly dtype?: DType;
}

const EMBEDDING_OPTIONS = optionSpec<EmbeddingOptions>({ dtype: 'any' });

/** A lookup table `[num, dim]` initialized from N(0, 1), like `torch.nn.Embedding`. */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    options = checkOptions('Embedding', options, EMBEDDING_OPTIONS);
    if (options.dtype !== undefined) checkDtype('Embedding', options.dtype, { floating: true });
    this.weight = normalParameter([numEmbeddings, embeddingDim], options.dtype);
  }

  /** Integer `indices` of any shape → `[...indices.shape, dim]`. */
  override forward(indices: Tensor): Tensor {
    return this.weight.gather(indices, 0);
  }
}
