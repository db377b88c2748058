import { MixprecError, markerCheck } from './mixprec-error.js';

const MARKER = Symbol.for('mixprec.error.CheckpointError');

/** Thrown when a checkpoint is corrupt, truncated or does not match. */
export class CheckpointError extends MixprecError {
  readonly [MARKER] = true;
  override name = 'CheckpointError';
  static override isInstance = markerCheck<CheckpointError>(MARKER);
}
