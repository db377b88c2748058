import { MixtError, markerCheck } from './mixt-error.js';

const MARKER = Symbol.for('mixt.error.UnsupportedDtypeError');

/** Thrown when a backend cannot store or compute a dtype (its capabilities say `unsupported`). */
export class UnsupportedDtypeError extends MixtError {
  readonly [MARKER] = true;
  override name = 'UnsupportedDtypeError';
  static override isInstance = markerCheck<UnsupportedDtypeError>(MARKER);
}
