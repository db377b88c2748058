/**
 * @mixprec/precision — Lightning/NeMo precision plugins for mixprec's `Trainer`, the precision
 * string table, torch's `GradScaler` and NeMo's `resolveTrainerCfg`. Barrel: re-exports only.
 */

export {
  castFloating,
  convertAudioAware,
  convertAudioPreserving,
  isAudioKey,
  isPlainObject,
} from './convert-collection.js';
export type { FlashPrecisionOptions, FlashPrecisionString } from './flash-precision.js';
export {
  FLASH_ALIASES,
  FlashPrecision,
  normalizeFlash,
  shouldSkipModuleConversion,
} from './flash-precision.js';
export type { FullPrecisionString } from './full-precision.js';
export { FullPrecision } from './full-precision.js';
export type {
  GradScalerOptions,
  GradScalerState,
  ScalerStage,
} from './grad-scaler.js';
export { GradScaler } from './grad-scaler.js';
export type { HalfPrecisionOptions, HalfPrecisionString } from './half-precision.js';
export { fp16FlushedEps, HalfPrecision } from './half-precision.js';
export { HalfPrecisionForAudio } from './half-precision-for-audio.js';
export type { KeepFp32, ModuleConversionOptions } from './keep-fp32.js';
export { conversionFilter, keepFp32Predicate } from './keep-fp32.js';
export type { MixedPrecisionOptions, MixedPrecisionString } from './mixed-precision.js';
export { MixedPrecision } from './mixed-precision.js';
export type {
  AliasSetting,
  PrecisionAliasFacts,
  PrecisionMode,
  PrecisionPluginKind,
  PrecisionStringOf,
} from './precision-modes.js';
export {
  canonicalPrecision,
  modeOfKind,
  PRECISION_MODES,
  precisionMode,
  precisionStringsOf,
} from './precision-modes.js';
export type {
  CreatePrecisionOptions,
  PluginOptions,
  PrecisionAlias,
  PrecisionEntry,
  PrecisionString,
} from './precision-strings.js';
export {
  ALIASES,
  allowedPrecisions,
  createPrecisionPlugin,
  PRECISIONS,
  parsePrecision,
} from './precision-strings.js';
export type { TrainerCfg } from './resolve-trainer-cfg.js';
export { resolveTrainerCfg } from './resolve-trainer-cfg.js';
