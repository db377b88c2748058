import { MixprecError, markerCheck } from './mixprec-error.js';

const MARKER = Symbol.for('mixprec.error.BackendError');

/** Thrown when a backend could not be registered, loaded or selected; the message says why and how to fix it. */
export class BackendError extends MixprecError {
  readonly [MARKER] = true;
  override name = 'BackendError';
  static override isInstance = markerCheck<BackendError>(MARKER);
}
