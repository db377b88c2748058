const MARKER = Symbol.for('mixprec.error.UsageError');

/**
 * A mistake on the command line (unknown command, unknown flag, missing value). `mixprec` prints
 * the message and exits with code 2.
 */
export class UsageError extends Error {
  readonly [MARKER] = true;
  override readonly name = 'UsageError';

  /** True for any `UsageError`, also one from another copy of this package. */
  static isInstance(value: unknown): value is UsageError {
    return typeof value === 'object' && value !== null && MARKER in value;
  }
}
