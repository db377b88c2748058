import { parseArgs } from 'node:util';
import { didYouMean } from '@mixprec/core';
import { UsageError } from './usage-error.js';

/** A flag of a command: a boolean switch or a flag taking a string value. */
export interface FlagSpec {
  readonly type: 'boolean' | 'string';
  /** Placeholder of the value in help text, e.g. `NAME`. */
  readonly value?: string;
  /** One line of help. */
  readonly help: string;
}

/** Flags of a command by long name (without `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Parsed flags: booleans are true when given, strings hold their value. */
export type ParsedFlags = Record<string, string | boolean | undefined>;

/** `--name VALUE` or `--name`, for help text and error messages. */
export function flagUsage(name: string, spec: FlagSpec): string {
  return spec.type === 'string' ? `--${name} ${spec.value ?? 'VALUE'}` : `--${name}`;
}

/**
 * Parses the arguments after the command name with `node:util` `parseArgs`, checking every token
 * against `specs` (plus `--help`/`-h`). An unknown flag, a missing value, a value given to a
 * switch or a stray positional throws a `UsageError` that lists the valid flags.
 */
export function parseCommandArgs(
  command: string,
  args: readonly string[],
  specs: FlagSpecs,
): ParsedFlags {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(specs)) options[name] = { type: spec.type };
  const valid = [...Object.entries(specs).map(([n, s]) => flagUsage(n, s)), '--help'].join(', ');
  const fail = (what: string, suggestion = ''): never => {
    throw new UsageError(`mixprec ${command}: ${what}; valid options: ${valid}${suggestion}`);
  };

  // strict: false so every problem is reported here, in one style, with the valid flags.
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags: ParsedFlags = {};
  for (const token of tokens) {
    if (token.kind === 'positional') fail(`unexpected argument '${token.value}'`);
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec) {
      const names = Object.keys(options).map((n) => `--${n}`);
      fail(`unknown option '${token.rawName}'`, didYouMean(token.rawName, names));
    }
    if (spec.type === 'boolean' && token.value !== undefined) {
      fail(`option '${token.rawName}' takes no value (got '${token.value}')`);
    }
    // Non-strict parseArgs leaves a missing value undefined, or takes the next flag as the value.
    const missing =
      token.value === undefined ||
      token.value === '' ||
      (!token.inlineValue && token.value.startsWith('-'));
    if (spec.type === 'string' && missing) fail(`option '${token.rawName}' needs a value`);
    flags[token.name] = spec.type === 'boolean' ? true : token.value;
  }
  return flags;
}

/** `batch-size` → `batchSize`, at the type level. */
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/**
 * The flags of `S` as a command function takes them: camelCase names, string flags as their
 * text, switches as `true` when given. Derived from the one flag table, so a flag is declared
 * once.
 */
export type CamelFlags<S extends FlagSpecs> = {
  readonly [K in keyof S & string as CamelCase<K>]?: S[K]['type'] extends 'boolean' ? true : string;
};

/** Parsed flags renamed to camelCase per `specs` (see `CamelFlags`); unset flags are absent. */
export function camelCaseFlags<S extends FlagSpecs>(flags: ParsedFlags, specs: S): CamelFlags<S> {
  const out: Record<string, string | true> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const value = flags[name];
    const key = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (spec.type === 'boolean' ? value === true : typeof value === 'string')
      out[key] = value as string | true;
  }
  return out as CamelFlags<S>;
}
