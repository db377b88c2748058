import { NumericsError } from './numerics-error.js';

/** Parameter dtypes the flash optimizers update. */
export type FlashParamDType = 'float32' | 'bfloat16' | 'float16';

const WIDTH: Readonly<Record<FlashParamDType, number>> = { float32: 4, bfloat16: 2, float16: 2 };
const EXPONENT_BITS: Readonly<Record<FlashParamDType, number>> = {
  float32: 8,
  bfloat16: 8,
  float16: 5,
};

/** Storage bytes of a parameter dtype. */
export function paramWidth(dtype: FlashParamDType): number {
  return WIDTH[dtype];
}

/**
 * Effective mantissa bits of a parameter stored as `dtype` with `masterBytewidth` bytes of
 * master weight (0 = none): `bits − 1 − exponent bits + log2(0.49)`, the log2 of the smallest
 * relative step that still rounds to the next representable master value.
 */
export function effectiveMantissaBits(dtype: FlashParamDType, masterBytewidth: number): number {
  const bits = Math.max(WIDTH[dtype], masterBytewidth) * 8;
  return bits - 1 - EXPONENT_BITS[dtype] + Math.log2(0.49);
}

/** What `checkNumerics` looks at for one parameter. */
export interface NumericsCheck {
  /** The optimizer class, for the message. */
  readonly optimizer: string;
  /** Index of the parameter across groups, for the message. */
  readonly index: number;
  readonly lr: number;
  readonly dtype: FlashParamDType;
  readonly masterBytewidth: number;
  /** The cached max |p|. */
  readonly maxabs: number;
  /** Smallest guaranteed step as a fraction of lr: 1 (SGD, Lion), 0.1 (Adam). */
  readonly stepFactor: number;
}

/**
 * flashoptim's learning-rate-too-small detector: throws `NumericsError` when
 * `floor(log2(maxabs)) − effectiveMantissaBits > log2(lr · stepFactor)`, i.e. when the
 * smallest guaranteed update cannot move the largest-magnitude element. Skipped for lr 0 and
 * for a max |p| that is 0 or not finite.
 */
export function checkNumerics(c: NumericsCheck): void {
  if (c.lr === 0 || !(c.maxabs > 0) || !Number.isFinite(c.maxabs)) return;
  const mantissa = effectiveMantissaBits(c.dtype, c.masterBytewidth);
  const needed = Math.floor(Math.log2(c.maxabs)) - mantissa;
  const have = Math.log2(c.lr * c.stepFactor);
  if (needed <= have) return;
  const masterBits = Math.max(WIDTH[c.dtype], c.masterBytewidth) * 8;
  throw new NumericsError(
    `${c.optimizer}: parameter ${c.index} (${c.dtype}, ${masterBits}-bit master weights) has max |value| ${c.maxabs}; ` +
      `lr ${c.lr} guarantees steps of ${c.lr * c.stepFactor}, below the resolution ${2 ** needed} at that magnitude, so updates would be lost. ` +
      `Expected lr >= ${2 ** needed / c.stepFactor}: raise lr, shrink the weights, raise masterWeightBits, ` +
      'disable checkNumerics, or call recomputeParamStats() if the weights changed since they were measured',
  );
}
