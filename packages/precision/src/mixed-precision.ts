import {
  type AutocastDevice,
  autocast,
  BasePrecision,
  checkOptions,
  describeValue,
  type ForwardContext,
  type HalfDType,
  MixprecError,
  type Optimizer,
  OptionsError,
  optionSpec,
  type Parameter,
  type StepOutcome,
  type Tensor,
} from '@mixprec/core';
import { GradScaler, type GradScalerOptions } from './grad-scaler.js';
import { modeOfKind, type PrecisionStringOf, precisionStringsOf } from './precision-modes.js';

/** The precision strings `MixedPrecision` implements (rows of plugin kind `'mixed'`). */
export type MixedPrecisionString = PrecisionStringOf<'mixed'>;

/** Options of `new MixedPrecision(...)`. */
export interface MixedPrecisionOptions {
  /** Which autocast op lists to follow (default `'cuda'`; fp16 works on CPU here, no bf16 fallback). */
  readonly device?: AutocastDevice;
  /**
   * 16-mixed only: a scaler, or the options of the default one (so the scale schedule is
   * settable from a config, Lightning#17272). Passing one to bf16-mixed is an error.
   */
  readonly scaler?: GradScaler | GradScalerOptions;
}

const MIXED_OPTIONS = optionSpec<MixedPrecisionOptions>({
  device: 'any',
  scaler: {
    expected: 'a GradScaler or GradScaler options',
    test: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  },
});

/**
 * Automatic mixed precision (Lightning's MixedPrecision, Trainer semantics): fp32 parameters
 * and batches, the forward recorded under core's `autocast`, and for 16-mixed a `GradScaler`:
 * the loss is scaled before backward, gradients are unscaled once before clipping (so clipping
 * always sees real gradients), the step is skipped on inf/NaN and the scale updated. A skipped
 * step resolves `optimizerStep` to false, which the trainer uses to hold the LR scheduler.
 */
export class MixedPrecision extends BasePrecision {
  override readonly precision: MixedPrecisionString;
  /** The autocast dtype: fp16 for 16-mixed, bf16 for bf16-mixed. */
  readonly dtype: HalfDType;
  readonly device: AutocastDevice;
  /** The loss scaler (16-mixed only). */
  readonly scaler: GradScaler | undefined;
  /** True with a GradScaler (16-mixed): gradient release refuses loss scaling. */
  override get scalesLoss(): boolean {
    return this.scaler !== undefined;
  }
  /** The scaler's current scale (16-mixed); `undefined` without loss scaling. */
  override get lossScale(): number | undefined {
    return this.scaler?.getScale();
  }

  constructor(precision: MixedPrecisionString, options: MixedPrecisionOptions = {}) {
    super();
    const mode = modeOfKind('mixed', precision, { aliases: false });
    if (!mode?.autocastDtype) {
      const got = typeof precision === 'string' ? `'${precision}'` : String(precision);
      throw new MixprecError(
        `Passed \`MixedPrecision(precision=${got})\`. Precision must be ${precisionStringsOf(
          'mixed',
          { aliases: false },
        )
          .map((p) => `'${p}'`)
          .join(' or ')}.`,
      );
    }
    options = checkOptions('MixedPrecision', options, MIXED_OPTIONS);
    if (options.device !== undefined && options.device !== 'cuda' && options.device !== 'cpu') {
      throw new OptionsError(
        `MixedPrecision: option 'device' is ${describeValue(options.device)}; expected 'cuda' or 'cpu'`,
        { where: 'MixedPrecision' },
      );
    }
    if (!mode.lossScaling && options.scaler !== undefined) {
      const found =
        options.scaler instanceof GradScaler ? 'GradScaler' : JSON.stringify(options.scaler);
      throw new MixprecError(
        `\`precision='${precision}'\` does not use a scaler, found ${found}; expected no scaler (${mode.autocastDtype} has fp32's range; remove \`scaler\` or use a mode with loss scaling)`,
      );
    }
    this.precision = precision;
    this.dtype = mode.autocastDtype as HalfDType;
    this.device = options.device ?? 'cuda';
    const s = options.scaler;
    this.scaler = !mode.lossScaling ? undefined : s instanceof GradScaler ? s : new GradScaler(s);
  }

  /** Autocast to the mode's dtype; the step's backend (from the Trainer) adds its overrides. */
  override forwardContext<T>(fn: () => T, context?: ForwardContext): T {
    return autocast(this.dtype, fn, {
      device: this.device,
      ...(context?.backend ? { backend: context.backend } : {}),
    });
  }

  override backward(loss: Tensor, params: readonly Parameter[]): void {
    super.backward(this.scaler ? this.scaler.scale(loss) : loss, params);
  }

  /** Unscales once per step: a second call in the same step is a no-op, not an error. */
  override unscaleGradients(optimizer: Optimizer): void {
    if (this.scaler && this.scaler.stage(optimizer) === 'READY') this.scaler.unscale_(optimizer);
  }

  override async optimizerStep(optimizer: Optimizer, outcome: StepOutcome): Promise<boolean> {
    if (!this.scaler) return super.optimizerStep(optimizer, outcome);
    const stepped = await this.scaler.step(optimizer, outcome);
    this.scaler.update();
    return stepped;
  }

  override stateDict(): Record<string, unknown> {
    return this.scaler ? { ...this.scaler.stateDict() } : {};
  }

  override loadStateDict(state: Record<string, unknown>): void {
    if (this.scaler && Object.keys(state).length > 0) this.scaler.loadStateDict(state);
  }
}
