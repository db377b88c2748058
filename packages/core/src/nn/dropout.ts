import { MixprecError } from '../errors/mixprec-error.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { defaultGenerator, Random } from '../util/random.js';
import { Module } from './module.js';

/** Options of `new Dropout(...)`. */
export interface DropoutOptions {
  /** Seed of this layer's own mask stream (default: drawn from the default generator). */
  readonly seed?: number;
}

const DROPOUT_OPTIONS = optionSpec<DropoutOptions>({ seed: 'integer' });

/**
 * Zeroes each element with probability `p` in training and scales the rest by `1/(1-p)`;
 * identity in eval mode. Masks come from the layer's own seeded stream, generated on the
 * host, so a run is reproducible on every backend and the stream can be checkpointed with
 * `getState()` / `setState()`.
 */
export class Dropout extends Module {
  #rng: Random;

  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    options = checkOptions('Dropout', options, DROPOUT_OPTIONS);
    if (!(typeof p === 'number' && p >= 0 && p <= 1)) {
      throw new MixprecError(`Passed \`Dropout(${p})\`; expected a probability 0 <= p <= 1`);
    }
    this.#rng = new Random(options.seed ?? defaultGenerator().nextUint32());
  }

  /** A fresh mask per training call; returns `x` itself in eval mode or for `p = 0`. */
  override forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = this.p === 1 ? 0 : 1 / (1 - this.p);
    const mask = new Float64Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.#rng.uniform() < this.p ? 0 : keep;
    return x.mul(fromArray(mask, { dtype: x.dtype, shape: x.shape }));
  }

  /** The mask stream's state, for checkpoints. */
  getState(): number[] {
    return this.#rng.getState();
  }

  /** Restores a state from `getState()`: later masks repeat those after the snapshot. */
  setState(state: readonly number[]): void {
    this.#rng.setState(state);
  }
}
