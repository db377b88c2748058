import {
  checkOptions,
  type DType,
  MixprecError,
  optionSpec,
  type PrecisionPlugin,
} from '@mixprec/core';
import {
  FLASH_PRECISION_OPTIONS,
  FlashPrecision,
  type FlashPrecisionOptions,
} from './flash-precision.js';
import { FullPrecision } from './full-precision.js';
import type { HalfPrecisionOptions } from './half-precision.js';
import { HalfPrecision } from './half-precision.js';
import { MixedPrecision, type MixedPrecisionOptions } from './mixed-precision.js';

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

/** One row of the precision table: how to build the plugin and what it does, as data. */
export interface PrecisionEntry {
  /** Builds the plugin for this canonical string. */
  readonly create: (options: PluginOptions) => PrecisionPlugin;
  /** Dtype the parameters are stored in. */
  readonly paramDtype: DType;
  /** Dtype the matmuls compute in. */
  readonly computeDtype: DType;
  /** Whether the loss is scaled (a GradScaler is involved). */
  readonly lossScaling: boolean;
}

/**
 * Every canonical precision string and its plugin. Adding a mode is adding a row; nothing
 * else branches on the strings (Lightning's `_check_and_init_precision` if-chain is the
 * anti-example).
 */
export const PRECISIONS = Object.freeze({
  '32-true': {
    create: (o) => new FullPrecision('32-true', keepOnly(o)),
    paramDtype: 'float32',
    computeDtype: 'float32',
    lossScaling: false,
  },
  '64-true': {
    create: (o) => new FullPrecision('64-true', keepOnly(o)),
    paramDtype: 'float64',
    computeDtype: 'float64',
    lossScaling: false,
  },
  '16-mixed': {
    create: (o) => new MixedPrecision('16-mixed', mixedOnly(o)),
    paramDtype: 'float32',
    computeDtype: 'float16',
    lossScaling: true,
  },
  'bf16-mixed': {
    create: (o) => new MixedPrecision('bf16-mixed', mixedOnly(o)),
    paramDtype: 'float32',
    computeDtype: 'bfloat16',
    lossScaling: false,
  },
  'fp16-true': {
    create: (o) => new HalfPrecision('fp16-true', halfOnly(o)),
    paramDtype: 'float16',
    computeDtype: 'float16',
    lossScaling: false,
  },
  'bf16-true': {
    create: (o) => new HalfPrecision('bf16-true', halfOnly(o)),
    paramDtype: 'bfloat16',
    computeDtype: 'bfloat16',
    lossScaling: false,
  },
  'fp16-flash': {
    create: (o) => new FlashPrecision('fp16-flash', flashOnly(o)),
    paramDtype: 'float16',
    computeDtype: 'float16',
    lossScaling: false,
  },
  'bf16-flash': {
    create: (o) => new FlashPrecision('bf16-flash', flashOnly(o)),
    paramDtype: 'bfloat16',
    computeDtype: 'bfloat16',
    lossScaling: false,
  },
} satisfies Record<string, PrecisionEntry>);

/** A canonical precision string. */
export type PrecisionString = keyof typeof PRECISIONS;

/** One alias: its canonical string and whether using it earns Lightning's discouragement warning. */
export interface PrecisionAlias {
  readonly to: PrecisionString;
  readonly warn: boolean;
}

/** Legacy and NeMo spellings. Numbers 32/64 are looked up by their string form. */
export const ALIASES: Readonly<Record<string, PrecisionAlias>> = Object.freeze({
  '32': { to: '32-true', warn: false },
  '64': { to: '64-true', warn: false },
  '16': { to: '16-mixed', warn: true },
  bf16: { to: 'bf16-mixed', warn: true },
  '16-true': { to: 'fp16-true', warn: false },
  'fp16-automodel': { to: 'fp16-flash', warn: false },
  'bf16-automodel': { to: 'bf16-flash', warn: false },
});

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
