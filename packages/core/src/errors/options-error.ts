import { MixprecError, markerCheck } from './mixprec-error.js';

const MARKER = Symbol.for('mixprec.error.OptionsError');

/** What an `OptionsError` knows besides its message (for tools that fix or list options). */
export interface OptionsErrorDetails {
  /** The function or constructor whose options were refused, e.g. `'Trainer'`. */
  readonly where?: string;
  /** The unknown keys, in the order they were given. */
  readonly unknownKeys?: readonly string[];
  /** Every key the options object accepts. */
  readonly accepted?: readonly string[];
  /** The closest accepted key of each unknown key that has one (`{ precison: 'precision' }`). */
  readonly suggestions?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * Thrown when an options object (or another object argument) has a key its function does not
 * know, is not an object at all, or holds a value of the wrong kind. The message names the key,
 * the function and the accepted keys, with a "did you mean" for a likely typo.
 */
export class OptionsError extends MixprecError {
  readonly [MARKER] = true;
  override name = 'OptionsError';
  static override isInstance = markerCheck<OptionsError>(MARKER);
  readonly where: string | undefined;
  readonly unknownKeys: readonly string[];
  readonly accepted: readonly string[];
  readonly suggestions: Readonly<Record<string, string>>;

  constructor(message: string, details: OptionsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.where = details.where;
    this.unknownKeys = details.unknownKeys ?? [];
    this.accepted = details.accepted ?? [];
    this.suggestions = details.suggestions ?? {};
  }
}
