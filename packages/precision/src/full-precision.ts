import {
  BasePrecision,
  checkOptions,
  MixprecError,
  type Module,
  optionSpec,
  withDefaultDtype,
} from '@mixprec/core';
import { castFloating } from './convert-collection.js';
import { conversionFilter, KEEP_FP32, type ModuleConversionOptions } from './keep-fp32.js';
import { modeOfKind, type PrecisionStringOf, precisionStringsOf } from './precision-modes.js';

/** The precision strings `FullPrecision` implements (rows of plugin kind `'full'`). */
export type FullPrecisionString = PrecisionStringOf<'full'>;

const FULL_OPTIONS = optionSpec<ModuleConversionOptions>({ keepFp32: KEEP_FP32 });

/**
 * Full precision: `'32-true'` is core's plain fp32 training (every hook is the default, and
 * batches keep their dtypes, as Lightning's base `Precision`); `'64-true'` is Lightning's
 * DoublePrecision: fp64 parameters, fp64 batches, and fp64 as the default dtype while modules
 * and tensors are created and during the forward. Outputs are not cast back (Trainer
 * semantics: the loss stays fp64).
 */
export class FullPrecision extends BasePrecision {
  override readonly precision: FullPrecisionString;
  /** The dtype the plugin imposes, `undefined` for `'32-true'` (nothing to impose). */
  readonly #dtype: 'float64' | undefined;
  readonly #options: ModuleConversionOptions;

  constructor(precision: FullPrecisionString = '32-true', options: ModuleConversionOptions = {}) {
    super();
    const mode = modeOfKind('full', precision, { aliases: false });
    if (!mode) {
      throw new MixprecError(
        `Passed \`FullPrecision(precision=${JSON.stringify(precision)})\`; expected one of ${precisionStringsOf(
          'full',
          { aliases: false },
        )
          .map((p) => `'${p}'`)
          .join(', ')}`,
      );
    }
    this.#options = checkOptions('FullPrecision', options, FULL_OPTIONS);
    this.precision = precision;
    // fp32 is every tensor's default already: nothing to impose.
    this.#dtype = mode.paramDtype === 'float32' ? undefined : (mode.paramDtype as 'float64');
  }

  /** The dtype of parameters and batches under this plugin. */
  get dtype(): 'float32' | 'float64' {
    return this.#dtype ?? 'float32';
  }

  override convertModule(module: Module): Module {
    if (!this.#dtype) return module;
    return module.to(this.#dtype, { filter: conversionFilter(this.#options.keepFp32) });
  }

  override convertInput<T>(data: T): T {
    return this.#dtype ? castFloating(data, this.#dtype) : data;
  }

  override moduleInitContext<T>(fn: () => T): T {
    return this.#dtype ? withDefaultDtype(this.#dtype, fn) : fn();
  }

  override tensorInitContext<T>(fn: () => T): T {
    return this.moduleInitContext(fn);
  }

  override forwardContext<T>(fn: () => T): T {
    return this.moduleInitContext(fn);
  }
}
