import {
  BasePrecision,
  checkOptions,
  describeValue,
  MixprecError,
  OptionsError,
  type PrecisionPlugin,
} from '@mixprec/core';
import { FlashPrecision } from './flash-precision.js';
import {
  HALF_PRECISION_OPTIONS,
  type HalfPrecisionOptions,
  type HalfPrecisionString,
} from './half-precision.js';
import { HalfPrecisionForAudio } from './half-precision-for-audio.js';
import { canonicalPrecision, modeOfKind } from './precision-modes.js';

/** A trainer config as read from YAML/JSON: `precision` and `plugins` are the keys we act on. */
export interface TrainerCfg {
  readonly precision?: unknown;
  readonly plugins?: readonly unknown[];
  readonly [key: string]: unknown;
}

const isPrecisionPlugin = (p: unknown): p is PrecisionPlugin =>
  p instanceof BasePrecision ||
  (typeof p === 'object' &&
    p !== null &&
    'precision' in p &&
    'optimizerStep' in p &&
    'convertModule' in p);

/**
 * NeMo's `resolve_trainer_cfg` precision rules, read from the precision table: the audio-aware
 * true modes (`'fp16-true'`, `'bf16-true'`; NeMo leaves the alias `'16-true'` to the trainer) become
 * `plugins: [HalfPrecisionForAudio]`, the flash modes (`*-flash`, `*-automodel`) become
 * `plugins: [FlashPrecision]`, and `precision` is removed; any other value is left for the
 * trainer. Better than NeMo: other
 * plugins already in `plugins` are kept (NeMo overwrote the list), and a `precision` given
 * together with a precision plugin is an error instead of one silently winning. The input is
 * not mutated.
 */
export function resolveTrainerCfg(cfg: TrainerCfg, options: HalfPrecisionOptions = {}): TrainerCfg {
  // The cfg itself is open (a NeMo trainer config has many keys this function passes on), so
  // only its shape is checked; the plugin options are closed.
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) {
    throw new OptionsError(
      `resolveTrainerCfg: cfg is ${describeValue(cfg)}; expected a trainer config object ({ precision, plugins, ... })`,
      { where: 'resolveTrainerCfg' },
    );
  }
  if (cfg.plugins !== undefined && !Array.isArray(cfg.plugins)) {
    throw new OptionsError(
      `resolveTrainerCfg: cfg.plugins is ${describeValue(cfg.plugins)}; expected an array of plugins`,
      { where: 'resolveTrainerCfg' },
    );
  }
  options = checkOptions('resolveTrainerCfg', options, HALF_PRECISION_OPTIONS);
  const { precision, ...rest } = cfg;
  const plugins = [...(cfg.plugins ?? [])];
  const existing = plugins.find(isPrecisionPlugin);
  if (precision !== undefined && precision !== null && existing) {
    throw new MixprecError(
      `resolveTrainerCfg: received both \`precision=${String(precision)}\` and \`plugins=[${existing.constructor.name}(${JSON.stringify(existing.precision)})]\`; expected one of them (remove \`precision\` or the precision plugin)`,
    );
  }
  // The audio-aware rows become a plugin of their own (true modes by their canonical names
  // only, as NeMo; flash modes also by their legacy aliases); every other value is the trainer's.
  const half = modeOfKind('half', precision, { aliases: false });
  const flash = modeOfKind('flash', precision);
  let plugin: PrecisionPlugin | undefined;
  if (half?.audioAware)
    plugin = new HalfPrecisionForAudio(precision as HalfPrecisionString, options);
  else if (flash?.audioAware) plugin = new FlashPrecision(canonicalPrecision(precision), options);
  if (!plugin) return { ...cfg };
  return { ...rest, plugins: [...plugins, plugin] };
}
