import type { DType } from '@mixprec/core';

/** The plugin class that implements a mode (the factory table in `precision-strings.ts`). */
export type PrecisionPluginKind = 'full' | 'mixed' | 'half' | 'flash';

/** Another spelling of a mode, and whether using it earns Lightning's discouragement warning. */
export interface PrecisionAliasFacts {
  readonly warn: boolean;
}

/**
 * Everything mixprec knows about one precision mode. Plugins, `resolveTrainerCfg` and the CLI
 * read these fields; nothing compares precision strings (docs/precision.md, "Precision
 * strings").
 */
export interface PrecisionMode {
  /** The plugin class that implements it. */
  readonly plugin: PrecisionPluginKind;
  /** Legacy, NeMo and Lightning spellings that mean this mode. */
  readonly aliases: Readonly<Record<string, PrecisionAliasFacts>>;
  /** Dtype the parameters are stored in. */
  readonly paramDtype: DType;
  /** Dtype the matmuls compute in. */
  readonly computeDtype: DType;
  /** The dtype the forward is autocast to; `undefined`: no autocast. */
  readonly autocastDtype: DType | undefined;
  /** Whether the loss is scaled (a GradScaler); gradient release is refused with it. */
  readonly lossScaling: boolean;
  /**
   * NeMo's audio handling: batch keys containing "audio" stay fp32 while other floating inputs
   * are cast, and `resolveTrainerCfg` turns the mode into a plugin of its own.
   */
  readonly audioAware: boolean;
  /** Parameters are half with FlashOptim error-correction bits kept by the optimizer. */
  readonly flash: boolean;
  /**
   * Changes to a training run's defaults for plain AdamW: in fp16 modes the optimizer state is
   * fp16, where eps 1e-8 is 0 and the run diverges (measured on the built-in task), so 1e-4.
   */
  readonly trainDefaults: { readonly eps?: number };
}

/**
 * The precision modes, one row each. Adding a mode is adding a row (with an existing plugin
 * kind, or a new kind and its factory).
 */
export const PRECISION_MODES = Object.freeze({
  '32-true': {
    plugin: 'full',
    aliases: { '32': { warn: false } },
    paramDtype: 'float32',
    computeDtype: 'float32',
    autocastDtype: undefined,
    lossScaling: false,
    audioAware: false,
    flash: false,
    trainDefaults: {},
  },
  '64-true': {
    plugin: 'full',
    aliases: { '64': { warn: false } },
    paramDtype: 'float64',
    computeDtype: 'float64',
    autocastDtype: undefined,
    lossScaling: false,
    audioAware: false,
    flash: false,
    trainDefaults: {},
  },
  '16-mixed': {
    plugin: 'mixed',
    aliases: { '16': { warn: true } },
    paramDtype: 'float32',
    computeDtype: 'float16',
    autocastDtype: 'float16',
    lossScaling: true,
    audioAware: false,
    flash: false,
    trainDefaults: {},
  },
  'bf16-mixed': {
    plugin: 'mixed',
    aliases: { bf16: { warn: true } },
    paramDtype: 'float32',
    computeDtype: 'bfloat16',
    autocastDtype: 'bfloat16',
    lossScaling: false,
    audioAware: false,
    flash: false,
    trainDefaults: {},
  },
  'fp16-true': {
    plugin: 'half',
    aliases: { '16-true': { warn: false } },
    paramDtype: 'float16',
    computeDtype: 'float16',
    autocastDtype: undefined,
    lossScaling: false,
    audioAware: true,
    flash: false,
    trainDefaults: { eps: 1e-4 },
  },
  'bf16-true': {
    plugin: 'half',
    aliases: {},
    paramDtype: 'bfloat16',
    computeDtype: 'bfloat16',
    autocastDtype: undefined,
    lossScaling: false,
    audioAware: true,
    flash: false,
    trainDefaults: {},
  },
  'fp16-flash': {
    plugin: 'flash',
    aliases: { 'fp16-automodel': { warn: false } },
    paramDtype: 'float16',
    computeDtype: 'float16',
    autocastDtype: undefined,
    lossScaling: false,
    audioAware: true,
    flash: true,
    trainDefaults: { eps: 1e-4 },
  },
  'bf16-flash': {
    plugin: 'flash',
    aliases: { 'bf16-automodel': { warn: false } },
    paramDtype: 'bfloat16',
    computeDtype: 'bfloat16',
    autocastDtype: undefined,
    lossScaling: false,
    audioAware: true,
    flash: true,
    trainDefaults: {},
  },
} as const satisfies Record<string, PrecisionMode>);

/** A canonical precision string. */
export type PrecisionString = keyof typeof PRECISION_MODES;

/** The canonical strings of the modes a plugin kind implements. */
export type PrecisionStringOf<K extends PrecisionPluginKind> = {
  [P in PrecisionString]: (typeof PRECISION_MODES)[P]['plugin'] extends K ? P : never;
}[PrecisionString];

/** A canonical string or an alias, resolved to its canonical string; `undefined` otherwise. */
export function canonicalPrecision(value: unknown): PrecisionString | undefined {
  const key = typeof value === 'string' ? value : undefined;
  if (key === undefined) return undefined;
  if (Object.hasOwn(PRECISION_MODES, key)) return key as PrecisionString;
  for (const [name, mode] of Object.entries(PRECISION_MODES) as [PrecisionString, PrecisionMode][])
    if (Object.hasOwn(mode.aliases, key)) return name;
  return undefined;
}

/** The row of a canonical string or alias; `undefined` when it is neither. */
export function precisionMode(value: unknown): PrecisionMode | undefined {
  const name = canonicalPrecision(value);
  return name === undefined ? undefined : PRECISION_MODES[name];
}

/** Whether aliases count, in the lookups by plugin kind. */
export interface AliasSetting {
  /** Accept (list) alias spellings too (default true). */
  readonly aliases?: boolean;
}

/**
 * The row of `value` when a plugin of `kind` implements it: a canonical string, or an alias
 * unless `aliases` is false. `undefined` otherwise.
 */
export function modeOfKind(
  kind: PrecisionPluginKind,
  value: unknown,
  { aliases = true }: AliasSetting = {},
): PrecisionMode | undefined {
  if (!aliases && !(typeof value === 'string' && Object.hasOwn(PRECISION_MODES, value)))
    return undefined;
  const mode = precisionMode(value);
  return mode?.plugin === kind ? mode : undefined;
}

/** The strings (canonical, then aliases unless `aliases` is false) of a plugin kind's modes. */
export function precisionStringsOf(
  kind: PrecisionPluginKind,
  { aliases = true }: AliasSetting = {},
): string[] {
  const rows = (Object.entries(PRECISION_MODES) as [PrecisionString, PrecisionMode][]).filter(
    ([, mode]) => mode.plugin === kind,
  );
  const names = rows.map(([name]) => name as string);
  return aliases ? [...names, ...rows.flatMap(([, mode]) => Object.keys(mode.aliases))] : names;
}
