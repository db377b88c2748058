import { checkOptions, MixprecError, optionSpec, type PrecisionPlugin } from '@mixprec/core';
import {
  FLASH_PRECISION_OPTIONS,
  FlashPrecision,
  type FlashPrecisionOptions,
} from './flash-precision.js';
import { FullPrecision, type FullPrecisionString } from './full-precision.js';
import type { HalfPrecisionOptions, HalfPrecisionString } from './half-precision.js';
import { HalfPrecision } from './half-precision.js';
import {
  MixedPrecision,
  type MixedPrecisionOptions,
  type MixedPrecisionString,
} from './mixed-precision.js';
import {
  PRECISION_MODES,
  type PrecisionMode,
  type PrecisionPluginKind,
  type PrecisionString,
} from './precision-modes.js';

/**
 * What a table row's factory receives: the options of every plugin (module conversion, the
 * mixed-precision ones and FlashPrecision's layer options); each row passes on the ones its
 * plugin takes.
 */
export type PluginOptions = FlashPrecisionOptions & MixedPrecisionOptions;

/**
 * Options of `createPrecisionPlugin`: the union of the plugins' options. The plugin that the
 * string selects gets the ones it takes (`keepFp32`/`warn` for the true and flash modes, the
 * layer options for flash, `device`/`scaler` for the mixed modes), so one options object serves
 * every precision string; a key no plugin knows is an error.
 */
export interface CreatePrecisionOptions extends FlashPrecisionOptions, MixedPrecisionOptions {
  /** Where alias (and plugin) warnings go (default `console.warn`). */
  readonly warn?: (message: string) => void;
}

const CREATE_OPTIONS = optionSpec<CreatePrecisionOptions>({
  ...FLASH_PRECISION_OPTIONS,
  device: 'any',
  scaler: 'any',
});
const PARSE_OPTIONS = optionSpec<Pick<CreatePrecisionOptions, 'warn'>>({ warn: 'function' });

const keepOnly = (o: PluginOptions): HalfPrecisionOptions => ({ keepFp32: o.keepFp32 });
const halfOnly = (o: PluginOptions): HalfPrecisionOptions => ({
  keepFp32: o.keepFp32,
  warn: o.warn,
});
const mixedOnly = (o: PluginOptions): MixedPrecisionOptions => ({
  device: o.device,
  scaler: o.scaler,
});
const flashOnly = (o: PluginOptions): FlashPrecisionOptions => ({
  keepFp32: o.keepFp32,
  warn: o.warn,
  selective: o.selective,
  fullPrecisionLayers: o.fullPrecisionLayers,
  fullPrecisionRecastLayers: o.fullPrecisionRecastLayers,
});

/** How each plugin kind is built from the options (each gets only the options it takes). */
const PLUGIN_FACTORIES = {
  full: (name, o) => new FullPrecision(name as FullPrecisionString, keepOnly(o)),
  mixed: (name, o) => new MixedPrecision(name as MixedPrecisionString, mixedOnly(o)),
  half: (name, o) => new HalfPrecision(name as HalfPrecisionString, halfOnly(o)),
  flash: (name, o) => new FlashPrecision(name, flashOnly(o)),
} satisfies Record<
  PrecisionPluginKind,
  (name: PrecisionString, options: PluginOptions) => PrecisionPlugin
>;

/** One row of the precision table: the mode's facts and how to build its plugin. */
export interface PrecisionEntry extends PrecisionMode {
  /** Builds the plugin for this canonical string. */
  readonly create: (options: PluginOptions) => PrecisionPlugin;
}

/**
 * Every canonical precision string: its row of `PRECISION_MODES` (aliases, dtypes, autocast,
 * loss scaling, audio handling, flash, training defaults) plus the factory of its plugin.
 * Adding a mode is adding a row there; nothing else branches on the strings (Lightning's
 * `_check_and_init_precision` if-chain is the anti-example).
 */
export const PRECISIONS: Readonly<Record<PrecisionString, PrecisionEntry>> = Object.freeze(
  buildEntries(),
);

function buildEntries(): Record<PrecisionString, PrecisionEntry> {
  const entries = {} as Record<PrecisionString, PrecisionEntry>;
  for (const name of Object.keys(PRECISION_MODES) as PrecisionString[]) {
    const mode: PrecisionMode = PRECISION_MODES[name];
    const create = (o: PluginOptions) => PLUGIN_FACTORIES[mode.plugin](name, o);
    entries[name] = Object.freeze({ ...mode, create });
  }
  return entries;
}

export type { PrecisionString };

/** One alias: its canonical string and whether using it earns Lightning's discouragement warning. */
export interface PrecisionAlias {
  readonly to: PrecisionString;
  readonly warn: boolean;
}

/** Every alias of the table's rows. Numbers 32/64 are looked up by their string form. */
export const ALIASES: Readonly<Record<string, PrecisionAlias>> = Object.freeze(
  Object.fromEntries(
    (Object.entries(PRECISION_MODES) as [PrecisionString, PrecisionMode][]).flatMap(([to, mode]) =>
      Object.entries(mode.aliases).map(([alias, { warn }]) => [alias, { to, warn }] as const),
    ),
  ),
);

/** Everything `parsePrecision` accepts, for error messages and CLI help. */
export function allowedPrecisions(): (string | number)[] {
  const numbers = Object.keys(ALIASES)
    .filter((k) => /^\d+$/.test(k))
    .map(Number);
  return [...Object.keys(PRECISIONS), ...Object.keys(ALIASES), ...numbers];
}

const repr = (value: unknown): string =>
  typeof value === 'string'
    ? `'${value}'`
    : typeof value === 'number'
      ? String(value)
      : typeof value;

/**
 * Normalizes a precision value to its canonical string: canonical strings pass, aliases map
 * (with Lightning's warning where it warns), `undefined`/`null` mean `'32-true'`, only the
 * exact numbers of the alias table are accepted. Anything else throws, naming the value and
 * listing every allowed one.
 */
export function parsePrecision(
  value: unknown,
  options: Pick<CreatePrecisionOptions, 'warn'> = {},
): PrecisionString {
  options = checkOptions('parsePrecision', options, PARSE_OPTIONS);
  if (value === undefined || value === null) return '32-true';
  // Only exact integers get a string form: 16.0 is 16 in JS, but 16.5 or '16.0' are rejected.
  const key =
    typeof value === 'string' ? value : Number.isInteger(value) ? String(value) : undefined;
  if (key !== undefined && Object.hasOwn(PRECISIONS, key)) return key as PrecisionString;
  if (key !== undefined && Object.hasOwn(ALIASES, key)) {
    const alias = ALIASES[key];
    if (alias.warn) {
      (options.warn ?? console.warn)(
        `\`precision=${repr(value)}\` is supported for historical reasons but its usage is discouraged. Please set your precision to '${alias.to}' instead!`,
      );
    }
    return alias.to;
  }
  throw new MixprecError(
    `Precision ${repr(value)} is invalid; expected one of ${allowedPrecisions().map(repr).join(', ')}`,
  );
}

/** Parses `value` and builds its plugin from the `PRECISIONS` table. */
export function createPrecisionPlugin(
  value: unknown,
  options: CreatePrecisionOptions = {},
): PrecisionPlugin {
  options = checkOptions('createPrecisionPlugin', options, CREATE_OPTIONS);
  return PRECISIONS[parsePrecision(value, { warn: options.warn })].create(options);
}
