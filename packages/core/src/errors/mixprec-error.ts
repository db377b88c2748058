const MARKER = Symbol.for('mixprec.error');

/**
 * Base class of every error mixprec throws. `isInstance` works across duplicated copies of core
 * (a marker symbol instead of `instanceof`).
 */
export class MixprecError extends Error {
  readonly [MARKER] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MixprecError';
  }

  static isInstance(error: unknown): error is MixprecError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}

/** Builds the `isInstance` of a subclass from its own marker symbol. */
export function markerCheck<T>(marker: symbol): (error: unknown) => error is T {
  return (error: unknown): error is T =>
    typeof error === 'object' && error !== null && marker in error;
}
