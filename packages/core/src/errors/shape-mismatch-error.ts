import { MixtError, markerCheck } from './mixt-error.js';

const MARKER = Symbol.for('mixt.error.ShapeMismatchError');

/** Thrown when a tensor shape does not fit an op (both shapes are in the message). */
export class ShapeMismatchError extends MixtError {
  readonly [MARKER] = true;
  override name = 'ShapeMismatchError';
  static override isInstance = markerCheck<ShapeMismatchError>(MARKER);
}
