/**
 * Validation of the options objects users pass to public constructors and functions: unknown
 * keys are refused (a typo such as `precison` would otherwise fall back to the default without
 * a word), with the function's name, the accepted keys and a "did you mean" for a likely typo;
 * a non-object is refused before anything reads it; values are checked against their kind when
 * that is cheap. One helper for every package, so the messages read the same everywhere.
 */
import { OptionsError, type OptionsErrorDetails } from '../errors/options-error.js';
import { closestMatch } from './did-you-mean.js';

/** A check for one option value: `test` is true for acceptable values; `expected` says what is. */
export interface OptionCheck {
  readonly expected: string;
  test(value: unknown): boolean;
}

/**
 * What an option's value must be (`undefined` always passes: it means the default). `'any'`
 * checks nothing (the function validates the value itself).
 */
export type OptionKind =
  | 'any'
  | 'boolean'
  | 'number'
  | 'integer'
  | 'string'
  | 'function'
  | 'object'
  | 'array'
  | OptionCheck;

/**
 * Every key of the options type `T` with the kind of its value. Typed so that a key added to
 * `T` and not here (or the reverse) is a compile error: the accepted list cannot drift.
 */
export type OptionSpec<T> = { readonly [K in keyof Required<T> & string]: OptionKind };

/** Freezes and returns `spec`, checking at compile time that it covers exactly the keys of `T`. */
export function optionSpec<T extends object>(spec: OptionSpec<T>): OptionSpec<T> {
  return Object.freeze({ ...spec });
}

/** Every key of `T` (compile-time checked like `optionSpec`), for key-only checks. */
export function optionKeys<T extends object>(
  keys: {
    readonly [K in keyof Required<T> & string]: true;
  },
): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(keys) as (keyof T & string)[]);
}

/** Options of `checkOptionKeys` / `checkOptions`. */
export interface CheckOptionKeysSettings {
  /** How the message names one key (default `'option'`; e.g. `'part'`, `'key'`). */
  readonly noun?: string;
  /** How the message names the whole object when it is not one (default `'options'`). */
  readonly subject?: string;
  /** Extra advice for particular unknown keys, e.g. `{ plugins: "pass the plugin as 'precision'" }`. */
  readonly hints?: Readonly<Record<string, string>>;
  /**
   * Builds the error (default `new OptionsError(message, details)`), for callers whose
   * functions document another class, e.g. a `CheckpointError` for checkpoint parts.
   */
  readonly makeError?: (message: string, details: OptionsErrorDetails) => Error;
  /** Keys that must be present (not `undefined`); `checkOptions` only. */
  readonly required?: readonly string[];
}

const optionsError = (message: string, details: OptionsErrorDetails): Error =>
  new OptionsError(message, details);

/** A value as messages show it: strings quoted, numbers as written, objects by their kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return `a symbol (${String(value.description)})`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const ctor = (value as object).constructor?.name;
  return ctor === undefined || ctor === 'Object' ? 'an object' : `a ${ctor}`;
}

const KINDS: Readonly<Record<Exclude<OptionKind, OptionCheck>, OptionCheck>> = {
  any: { expected: 'any value', test: () => true },
  boolean: { expected: 'a boolean', test: (v) => typeof v === 'boolean' },
  number: { expected: 'a number', test: (v) => typeof v === 'number' },
  integer: { expected: 'an integer', test: (v) => Number.isInteger(v) },
  string: { expected: 'a string', test: (v) => typeof v === 'string' },
  function: { expected: 'a function', test: (v) => typeof v === 'function' },
  object: {
    expected: 'an object',
    test: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  },
  array: { expected: 'an array', test: (v) => Array.isArray(v) },
};

const checkOf = (kind: OptionKind): OptionCheck => (typeof kind === 'string' ? KINDS[kind] : kind);

const listed = (keys: readonly string[]) => (keys.length === 0 ? 'none' : keys.join(', '));

/**
 * Throws an `OptionsError` unless `options` is `undefined` or an object whose own keys are all
 * in `accepted`. The message names `where` (the function or constructor), every unknown key
 * (each with `(did you mean 'x'?)` when an accepted key is within a small edit distance, see
 * `closestMatch`) and the accepted keys:
 * `Trainer: unknown option 'precison' (did you mean 'precision'?); accepted options: precision, backend, ...`.
 * A `null`, an array, a function or a primitive is refused as not an object.
 */
export function checkOptionKeys(
  where: string,
  options: unknown,
  accepted: readonly string[],
  settings: CheckOptionKeysSettings = {},
): void {
  if (options === undefined) return;
  const noun = settings.noun ?? 'option';
  const fail = settings.makeError ?? optionsError;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw fail(
      `${where}: ${settings.subject ?? 'options'} is ${describeValue(options)}; expected an object (accepted ${noun}s: ${listed(accepted)})`,
      { where, accepted },
    );
  }
  const unknown = Object.keys(options).filter((key) => !accepted.includes(key));
  if (unknown.length === 0) return;
  const suggestions: Record<string, string> = {};
  const shown = unknown.map((key) => {
    const match = closestMatch(key, accepted);
    if (match !== undefined) suggestions[key] = match;
    const advice = [
      match === undefined ? undefined : `did you mean '${match}'?`,
      settings.hints?.[key],
    ].filter((s) => s !== undefined);
    return advice.length === 0 ? `'${key}'` : `'${key}' (${advice.join('; ')})`;
  });
  const plural = unknown.length === 1 ? '' : 's';
  throw fail(
    `${where}: unknown ${noun}${plural} ${shown.join(', ')}; accepted ${noun}s: ${listed(accepted)}`,
    { where, unknownKeys: unknown, accepted, suggestions },
  );
}

/** Throws an `OptionsError` naming `key`, its value and what was expected, unless `ok`. */
export function checkOptionValue(
  where: string,
  key: string,
  value: unknown,
  ok: boolean,
  expected: string,
  noun = 'option',
  makeError: (message: string, details: OptionsErrorDetails) => Error = optionsError,
): void {
  if (ok) return;
  throw makeError(`${where}: ${noun} '${key}' is ${describeValue(value)}; expected ${expected}`, {
    where,
  });
}

/**
 * `checkOptionKeys` over the keys of `spec`, then the kind of every value that is not
 * `undefined` (and the presence of `settings.required`). Returns the options (`{}` for
 * `undefined`), typed.
 * @throws OptionsError naming the function, the key, the value and what was expected.
 */
export function checkOptions<T extends object>(
  where: string,
  options: T | undefined,
  spec: OptionSpec<T>,
  settings: CheckOptionKeysSettings = {},
): T {
  checkOptionKeys(where, options, Object.keys(spec), settings);
  const values = (options ?? {}) as Record<string, unknown>;
  for (const [key, kind] of Object.entries(spec) as [string, OptionKind][]) {
    const value = values[key];
    const check = checkOf(kind);
    if (value === undefined) {
      if (settings.required?.includes(key)) {
        const noun = settings.noun ?? 'option';
        const fail = settings.makeError ?? optionsError;
        throw fail(`${where}: ${noun} '${key}' is missing; expected ${check.expected}`, { where });
      }
      continue;
    }
    checkOptionValue(
      where,
      key,
      value,
      check.test(value),
      check.expected,
      settings.noun,
      settings.makeError,
    );
  }
  return (options ?? {}) as T;
}
