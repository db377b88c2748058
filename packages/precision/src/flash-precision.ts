import {
  BasePrecision,
  type CastModelOptions,
  castModel,
  checkOptions,
  type HalfDType,
  isFloatDType,
  MixprecError,
  type Module,
  type Optimizer,
  optionSpec,
  type StepOutcome,
} from '@mixprec/core';
import { convertAudioAware } from './convert-collection.js';
import {
  fp16EpsCheck,
  HALF_PRECISION_OPTIONS,
  type HalfPrecisionOptions,
} from './half-precision.js';
import { keepFp32Predicate } from './keep-fp32.js';
import {
  canonicalPrecision,
  modeOfKind,
  PRECISION_MODES,
  type PrecisionStringOf,
  precisionStringsOf,
} from './precision-modes.js';

/** The canonical flash strings (rows of plugin kind `'flash'`). */
export type FlashPrecisionString = PrecisionStringOf<'flash'>;

/**
 * Every flash spelling (the canonical strings and the legacy NeMo `*-automodel` aliases of
 * their rows) mapped to its flash string.
 */
export const FLASH_ALIASES: Readonly<Record<string, FlashPrecisionString>> = Object.freeze(
  Object.fromEntries(
    precisionStringsOf('flash').map((s) => [s, canonicalPrecision(s) as FlashPrecisionString]),
  ),
);

/** NeMo's `normalize_flash`: the flash string for `value`, `undefined` when it is not one. */
export function normalizeFlash(value: unknown): FlashPrecisionString | undefined {
  return modeOfKind('flash', value)
    ? (canonicalPrecision(value) as FlashPrecisionString)
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

/** Options of `FlashPrecision`: `keepFp32` tensor patterns plus `castModel`'s layer options. */
export interface FlashPrecisionOptions
  extends HalfPrecisionOptions,
    Pick<CastModelOptions, 'selective' | 'fullPrecisionLayers' | 'fullPrecisionRecastLayers'> {}

/** The keys of `FlashPrecisionOptions` and their kinds. */
export const FLASH_PRECISION_OPTIONS = optionSpec<FlashPrecisionOptions>({
  ...HALF_PRECISION_OPTIONS,
  selective: 'boolean',
  fullPrecisionLayers: 'array',
  fullPrecisionRecastLayers: 'array',
});

/**
 * NeMo's FlashPrecision (for flash optimizers that keep their own master weights): casts an
 * all-fp32 model to the half dtype once with core's `castModel` (flashoptim's `cast_model`:
 * full-precision layers and batch-statistics norms stay fp32), never touches autocast or the default dtype (so
 * tensors created in the forward stay fp32), and converts inputs audio-aware like
 * HalfPrecisionForAudio. Everything else is the fp32 default.
 */
export class FlashPrecision extends BasePrecision {
  override readonly precision: FlashPrecisionString;
  /** bf16 for `'bf16-flash'`, fp16 for `'fp16-flash'`. */
  readonly dtype: HalfDType;
  readonly #options: FlashPrecisionOptions;
  readonly #checkEps: (optimizer: Optimizer) => void;

  /** @param precision a flash string or a legacy `*-automodel` alias (normalized). */
  constructor(precision = 'bf16-flash', options: FlashPrecisionOptions = {}) {
    super();
    const normalized = normalizeFlash(precision);
    if (!normalized) {
      throw new MixprecError(
        `Passed \`FlashPrecision(precision=${JSON.stringify(precision)})\`; expected one of ${Object.keys(
          FLASH_ALIASES,
        )
          .map((p) => `'${p}'`)
          .join(', ')}`,
      );
    }
    this.#options = checkOptions('FlashPrecision', options, FLASH_PRECISION_OPTIONS);
    this.precision = normalized;
    this.dtype = PRECISION_MODES[normalized].paramDtype;
    this.#checkEps = fp16EpsCheck(this.precision, options.warn);
  }

  override convertModule(module: Module): Module {
    if (shouldSkipModuleConversion(module)) return module;
    const { keepFp32, warn: _warn, ...layers } = this.#options;
    return castModel(module, {
      ...layers,
      dtype: this.dtype,
      keepTensor: keepFp32Predicate(keepFp32),
    });
  }

  override convertInput<T>(data: T): T {
    return convertAudioAware(data, this.dtype);
  }

  /**
   * The plain step. With fp16 parameters, a plain optimizer keeps fp16 state, so an eps that
   * flushes to 0 in fp16 is warned about once (as in `HalfPrecision`).
   */
  override async optimizerStep(optimizer: Optimizer, outcome: StepOutcome): Promise<boolean> {
    if (this.dtype === 'float16') this.#checkEps(optimizer);
    return super.optimizerStep(optimizer, outcome);
  }
}
