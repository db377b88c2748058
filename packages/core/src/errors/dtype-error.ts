import { MixprecError, markerCheck } from './mixprec-error.js';

const MARKER = Symbol.for('mixprec.error.DtypeError');

/** Thrown when a dtype does not fit an op or a conversion. */
export class DtypeError extends MixprecError {
  readonly [MARKER] = true;
  override name = 'DtypeError';
  static override isInstance = markerCheck<DtypeError>(MARKER);
}
