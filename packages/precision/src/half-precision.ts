import {
  BasePrecision,
  type HalfDType,
  MixtError,
  type Module,
  withDefaultDtype,
} from '@mixt/core';
import { castFloating } from './convert-collection.js';
import { conversionFilter, type ModuleConversionOptions } from './keep-fp32.js';

/** The precision strings `HalfPrecision` implements (`'fp16-true'` is NeMo's spelling of `'16-true'`). */
export type HalfPrecisionString = '16-true' | 'fp16-true' | 'bf16-true';

const HALF: readonly HalfPrecisionString[] = ['16-true', 'fp16-true', 'bf16-true'];

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
  readonly #options: ModuleConversionOptions;

  constructor(precision: HalfPrecisionString = '16-true', options: ModuleConversionOptions = {}) {
    super();
    if (!HALF.includes(precision)) {
      throw new MixtError(
        `Passed \`${new.target.name}(precision=${JSON.stringify(precision)})\`; expected one of ${HALF.map((p) => `'${p}'`).join(', ')}`,
      );
    }
    this.precision = precision;
    this.dtype = precision === 'bf16-true' ? 'bfloat16' : 'float16';
    this.#options = options;
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
}
