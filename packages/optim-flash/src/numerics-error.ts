import { MixprecError, markerCheck } from '@mixprec/core';

const MARKER = Symbol.for('mixprec.error.NumericsError');

/**
 * Raised by `checkNumerics` when the learning rate is too small to change the largest-magnitude
 * element of a parameter at its storage precision (flashoptim's `NumericsError`).
 */
export class NumericsError extends MixprecError {
  readonly [MARKER] = true;
  override name = 'NumericsError';
  static override isInstance = markerCheck<NumericsError>(MARKER);
}
