import { MixtError, markerCheck } from './mixt-error.js';

const MARKER = Symbol.for('mixt.error.CheckpointError');

/** Thrown when a checkpoint is corrupt, truncated or does not match. */
export class CheckpointError extends MixtError {
  readonly [MARKER] = true;
  override name = 'CheckpointError';
  static override isInstance = markerCheck<CheckpointError>(MARKER);
}
