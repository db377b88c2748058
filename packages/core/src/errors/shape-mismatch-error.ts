import { MixprecError, markerCheck } from './mixprec-error.js';

const MARKER = Symbol.for('mixprec.error.ShapeMismatchError');

/** Thrown when a tensor shape does not fit an op (both shapes are in the message). */
export class ShapeMismatchError extends MixprecError {
  readonly [MARKER] = true;
  override name = 'ShapeMismatchError';
  static override isInstance = markerCheck<ShapeMismatchError>(MARKER);
}
