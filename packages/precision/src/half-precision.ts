import {
  BasePrecision,
  checkOptions,
  type HalfDType,
  MixprecError,
  type Module,
  type Optimizer,
  optionSpec,
  roundToDtype,
  type StepOutcome,
  withDefaultDtype,
} from '@mixprec/core';
import { castFloating } from './convert-collection.js';
import { conversionFilter, KEEP_FP32, type ModuleConversionOptions } from './keep-fp32.js';
import { modeOfKind, type PrecisionStringOf, precisionStringsOf } from './precision-modes.js';

/** Options of `HalfPrecision` and `HalfPrecisionForAudio`. */
export interface HalfPrecisionOptions extends ModuleConversionOptions {
  /** Where the fp16 optimizer-eps warning goes (default `console.warn`). */
  readonly warn?: (message: string) => void;
}

/** The keys of `HalfPrecisionOptions` and their kinds. */
export const HALF_PRECISION_OPTIONS = optionSpec<HalfPrecisionOptions>({
  keepFp32: KEEP_FP32,
  warn: 'function',
});

/**
 * The optimizer groups whose `eps` rounds to zero in fp16 while they keep fp16 parameters with
 * fp16 state: a squared gradient below fp16's smallest subnormal (≈6e-8, so
 * |g| < ≈2.4e-4) is stored as 0 and the update divides by eps alone, which blows the weights up
 * (torch's fp16 Adam divides by zero outright).
 */
export function fp16FlushedEps(optimizer: Optimizer): { group: number; eps: number }[] {
  const out: { group: number; eps: number }[] = [];
  optimizer.paramGroups.forEach((group, i) => {
    const eps = (group as { eps?: unknown }).eps;
    if (typeof eps !== 'number' || eps === 0) return;
    // What underflows is Adam's second moment stored as fp16 values (`exp_avg_sq`); 8-bit
    // codes with per-group scales (flash optimizers) and fp32 state are not affected by eps.
    const fp16State = group.params.some(
      (p) =>
        p.dtype === 'float16' &&
        optimizer.stateLayoutOf(p).some((s) => s.name === 'exp_avg_sq' && s.dtype === 'float16'),
    );
    if (!fp16State) return;
    if (roundToDtype(eps, 'float16') === 0) out.push({ group: i, eps });
  });
  return out;
}

/**
 * A per-plugin check, run before each step, that warns once per optimizer about the groups
 * `fp16FlushedEps` finds.
 */
export function fp16EpsCheck(
  precision: string,
  warn: (message: string) => void = console.warn,
): (optimizer: Optimizer) => void {
  const checked = new WeakSet<Optimizer>();
  return (optimizer) => {
    if (checked.has(optimizer)) return;
    checked.add(optimizer);
    for (const { group, eps } of fp16FlushedEps(optimizer)) {
      warn(
        `${precision}: ${optimizer.constructor.name} parameter group ${group} has eps ${eps}, which is 0 in float16 (smallest subnormal 5.96e-8); its fp16 state stores squared gradients below that as 0 and the update then divides by eps alone, so training diverges. Expected eps >= 6e-8 (1e-4 is a common choice for fp16), or use 16-mixed, bf16-true or a flash optimizer.`,
      );
    }
  };
}

/**
 * The precision strings `HalfPrecision` implements: rows of plugin kind `'half'` and their
 * aliases (`'16-true'` is Lightning's spelling of `'fp16-true'`).
 */
export type HalfPrecisionString = PrecisionStringOf<'half'> | '16-true';

/**
 * True half precision (Lightning's HalfPrecision): parameters are cast to fp16/bf16 in place,
 * modules and tensors created inside the init contexts and the forward get the half dtype by
 * default, and floating batch tensors are cast. No loss scaling. Outputs are not cast back
 * (Trainer semantics). Unlike Lightning, an unknown precision string is an error instead of
 * silently meaning fp16.
 */
export class HalfPrecision extends BasePrecision {
  override readonly precision: HalfPrecisionString;
  /** The half dtype: bf16 for `'bf16-true'`, fp16 otherwise. */
  readonly dtype: HalfDType;
  readonly #options: HalfPrecisionOptions;
  readonly #checkEps: (optimizer: Optimizer) => void;

  constructor(precision: HalfPrecisionString = '16-true', options: HalfPrecisionOptions = {}) {
    super();
    const mode = modeOfKind('half', precision);
    if (!mode) {
      throw new MixprecError(
        `Passed \`${new.target.name}(precision=${JSON.stringify(precision)})\`; expected one of ${precisionStringsOf(
          'half',
        )
          .map((p) => `'${p}'`)
          .join(', ')}`,
      );
    }
    this.#options = checkOptions(new.target.name, options, HALF_PRECISION_OPTIONS);
    this.precision = precision;
    this.dtype = mode.paramDtype as HalfDType;
    this.#checkEps = fp16EpsCheck(precision, options.warn);
  }

  /** Casts floating parameters and buffers in place, except those `keepFp32` names. */
  override convertModule(module: Module): Module {
    return module.to(this.dtype, { filter: conversionFilter(this.#options.keepFp32) });
  }

  override convertInput<T>(data: T): T {
    return castFloating(data, this.dtype);
  }

  override moduleInitContext<T>(fn: () => T): T {
    return withDefaultDtype(this.dtype, fn);
  }

  override tensorInitContext<T>(fn: () => T): T {
    return withDefaultDtype(this.dtype, fn);
  }

  override forwardContext<T>(fn: () => T): T {
    return withDefaultDtype(this.dtype, fn);
  }

  /** The plain step; before an optimizer's first fp16 step, warns about an eps that flushes to 0. */
  override async optimizerStep(optimizer: Optimizer, outcome: StepOutcome): Promise<boolean> {
    if (this.dtype === 'float16') this.#checkEps(optimizer);
    return super.optimizerStep(optimizer, outcome);
  }
}
