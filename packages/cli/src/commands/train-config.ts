import { didYouMean } from '@mixprec/core';
import { allowedPrecisions, PRECISIONS, parsePrecision } from '@mixprec/precision';
import { UsageError } from '../usage-error.js';
import { TRAIN_OPTIMIZERS } from './train-optimizers.js';

/** Everything that defines a `mixprec train` run; stored in the checkpoint and metrics. */
export interface TrainConfig {
  readonly task: 'builtin-audio';
  readonly precision: string;
  /** A `TRAIN_OPTIMIZERS` name. */
  readonly optimizer: string;
  readonly backend: string;
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  /** AdamW's eps (added to sqrt(v) in the update's denominator). */
  readonly eps: number;
  readonly weightDecay: number;
  readonly warmupSteps: number;
  readonly seed: number;
  readonly trainSize: number;
  readonly valSize: number;
  readonly valInterval: number;
  /** Update each parameter during the backward run and free its gradient at once. */
  readonly gradientRelease: boolean;
}

/** The defaults: reach >= 90% validation accuracy on the built-in task in a few CPU minutes. */
export const TRAIN_DEFAULTS: TrainConfig = {
  task: 'builtin-audio',
  precision: '32-true',
  optimizer: 'adamw',
  backend: 'auto',
  steps: 450,
  batchSize: 32,
  lr: 3e-3,
  eps: 1e-8,
  weightDecay: 0.01,
  warmupSteps: 20,
  seed: 0,
  trainSize: 4096,
  valSize: 576,
  valInterval: 100,
  gradientRelease: false,
};

/**
 * Per-precision changes to `TRAIN_DEFAULTS` for the plain `adamw` optimizer, used when the flag
 * is not given: each precision row's `trainDefaults` (`@mixprec/precision`). In fp16 modes the
 * AdamW state is fp16, where the default eps 1e-8 is 0 and squared gradients below ≈6e-8
 * underflow: the run diverges to NaN within 50 steps (measured), while eps 1e-4 trains. bf16
 * has fp32's exponent range and needs no change; the flash optimizers keep their moments in
 * 8-bit codes with fp32 math and need none either.
 */
export const PRECISION_TRAIN_DEFAULTS: Readonly<
  Record<string, Partial<Pick<TrainConfig, 'lr' | 'eps'>>>
> = Object.freeze(
  Object.fromEntries(
    Object.entries(PRECISIONS)
      .filter(([, mode]) => Object.keys(mode.trainDefaults).length > 0)
      .map(([name, mode]) => [name, { ...mode.trainDefaults }]),
  ),
);

/** `TRAIN_DEFAULTS` with the overrides of `precision` and `optimizer` applied. */
export function trainDefaultsFor(
  precision: string,
  optimizer = TRAIN_DEFAULTS.optimizer,
): TrainConfig {
  const byPrecision = optimizer === 'adamw' ? PRECISION_TRAIN_DEFAULTS[precision] : undefined;
  return {
    ...TRAIN_DEFAULTS,
    ...TRAIN_OPTIMIZERS[optimizer]?.defaults,
    ...byPrecision,
    precision,
    optimizer,
  };
}

/** Parses `--optimizer`: a `TRAIN_OPTIMIZERS` name, or a usage error listing them. */
export function parseOptimizerFlag(value: string): string {
  if (Object.hasOwn(TRAIN_OPTIMIZERS, value)) return value;
  throw new UsageError(
    `mixprec train: --optimizer '${value}'; expected one of ${Object.keys(TRAIN_OPTIMIZERS).join(', ')}${didYouMean(value, Object.keys(TRAIN_OPTIMIZERS))}`,
  );
}

/**
 * Parses `--precision` with `@mixprec/precision`'s table (aliases included; an alias that
 * Lightning discourages is announced through `warn`); a bad value is a usage error listing the
 * allowed values.
 */
export function parsePrecisionFlag(value: string, warn: (message: string) => void): string {
  try {
    return parsePrecision(value, { warn });
  } catch (error) {
    const suggestion = didYouMean(value, allowedPrecisions().map(String));
    throw new UsageError(`mixprec train: --precision: ${(error as Error).message}${suggestion}`);
  }
}

/** Parses a flag value as a number within bounds, or throws a `UsageError` naming flag and value. */
export function parseNumberFlag(
  flag: string,
  value: string,
  options: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean },
): number {
  const n = Number(value);
  const {
    integer = false,
    min = Number.NEGATIVE_INFINITY,
    max = Number.POSITIVE_INFINITY,
  } = options;
  const tooSmall = options.exclusiveMin ? n <= min : n < min;
  if (
    value.trim() === '' ||
    !Number.isFinite(n) ||
    (integer && !Number.isInteger(n)) ||
    tooSmall ||
    n > max
  ) {
    const kind = integer ? 'an integer' : 'a number';
    const range = `${options.exclusiveMin ? '>' : '>='} ${min}${max < Number.POSITIVE_INFINITY ? ` and <= ${max}` : ''}`;
    throw new UsageError(`mixprec train: --${flag} '${value}'; expected ${kind} ${range}`);
  }
  return n;
}
