import { MixtError, markerCheck } from './mixt-error.js';

const MARKER = Symbol.for('mixt.error.BackendError');

/** Thrown when a backend could not be registered, loaded or selected; the message says why and how to fix it. */
export class BackendError extends MixtError {
  readonly [MARKER] = true;
  override name = 'BackendError';
  static override isInstance = markerCheck<BackendError>(MARKER);
}
