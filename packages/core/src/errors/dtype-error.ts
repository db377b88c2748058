import { MixtError, markerCheck } from './mixt-error.js';

const MARKER = Symbol.for('mixt.error.DtypeError');

/** Thrown when a dtype does not fit an op or a conversion. */
export class DtypeError extends MixtError {
  readonly [MARKER] = true;
  override name = 'DtypeError';
  static override isInstance = markerCheck<DtypeError>(MARKER);
}
