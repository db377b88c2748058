import { MixprecError, markerCheck } from './mixprec-error.js';

const MARKER = Symbol.for('mixprec.error.UnsupportedDtypeError');

/** Thrown when a backend cannot store or compute a dtype (its capabilities say `unsupported`). */
export class UnsupportedDtypeError extends MixprecError {
  readonly [MARKER] = true;
  override name = 'UnsupportedDtypeError';
  static override isInstance = markerCheck<UnsupportedDtypeError>(MARKER);
}
