import { BasePrecision, type HalfDType, isFloatDType, MixtError, type Module } from '@mixt/core';
import { convertAudioAware } from './convert-collection.js';
import { conversionFilter, type ModuleConversionOptions } from './keep-fp32.js';

/** The canonical flash strings. */
export type FlashPrecisionString = 'fp16-flash' | 'bf16-flash';

/** Legacy NeMo spellings accepted for migration, mapped to their flash string. */
export const FLASH_ALIASES: Readonly<Record<string, FlashPrecisionString>> = Object.freeze({
  'fp16-flash': 'fp16-flash',
  'bf16-flash': 'bf16-flash',
  'fp16-automodel': 'fp16-flash',
  'bf16-automodel': 'bf16-flash',
});

/** NeMo's `normalize_flash`: the flash string for `value`, `undefined` when it is not one. */
export function normalizeFlash(value: unknown): FlashPrecisionString | undefined {
  return typeof value === 'string' && Object.hasOwn(FLASH_ALIASES, value)
    ? FLASH_ALIASES[value]
    : undefined;
}

/**
 * Whether `convertModule` must leave the model alone: it has no floating tensor, or one of
 * them is not fp32 already (the user cast it, partly or fully, on purpose). Only untouched
 * all-fp32 models are converted.
 */
export function shouldSkipModuleConversion(module: Module): boolean {
  const tensors = [...module.parameters(), ...module.namedBuffers().map(([, t]) => t)];
  const floating = tensors.filter((t) => isFloatDType(t.dtype));
  return floating.length === 0 || floating.some((t) => t.dtype !== 'float32');
}

/**
 * NeMo's FlashPrecision (for flash optimizers that keep their own master weights): casts an
 * all-fp32 model to the half dtype once, never touches autocast or the default dtype (so
 * tensors created in the forward stay fp32), and converts inputs audio-aware like
 * HalfPrecisionForAudio. Everything else is the fp32 default.
 */
export class FlashPrecision extends BasePrecision {
  override readonly precision: FlashPrecisionString;
  /** bf16 for `'bf16-flash'`, fp16 for `'fp16-flash'`. */
  readonly dtype: HalfDType;
  readonly #options: ModuleConversionOptions;

  /** @param precision a flash string or a legacy `*-automodel` alias (normalized). */
  constructor(precision = 'bf16-flash', options: ModuleConversionOptions = {}) {
    super();
    const normalized = normalizeFlash(precision);
    if (!normalized) {
      throw new MixtError(
        `Passed \`FlashPrecision(precision=${JSON.stringify(precision)})\`; expected one of ${Object.keys(
          FLASH_ALIASES,
        )
          .map((p) => `'${p}'`)
          .join(', ')}`,
      );
    }
    this.precision = normalized;
    this.dtype = normalized.startsWith('bf16') ? 'bfloat16' : 'float16';
    this.#options = options;
  }

  override convertModule(module: Module): Module {
    if (shouldSkipModuleConversion(module)) return module;
    return module.to(this.dtype, { filter: conversionFilter(this.#options.keepFp32) });
  }

  override convertInput<T>(data: T): T {
    return convertAudioAware(data, this.dtype);
  }
}
