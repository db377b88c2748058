import { MixprecError } from '../errors/mixprec-error.js';
import { full } from '../tensor/creation.js';
import { binaryOp } from '../tensor/elementwise.js';
import { concat } from '../tensor/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';

/**
 * Gradient clipping as lazy graph ops (torch's `clip_grad_norm_` / `clip_grad_value_`). Nothing
 * runs here: the norm and the clipped gradients are recorded, so a trainer realizes the loss,
 * the gradients, the norm and the clipped gradients in one backend run.
 */

/** Options of `clipGradNorm`. */
export interface ClipGradNormOptions {
  /** The p of the p-norm: any p > 0, or `Infinity` for the max-abs norm (default 2). */
  readonly normType?: number;
}

const CLIP_GRAD_NORM_OPTIONS = optionSpec<ClipGradNormOptions>({ normType: 'number' });

/** torch's guard against dividing by a zero norm. */
const EPS = 1e-6;

/** Float64 when any gradient is float64, else float32: norms accumulate at least in fp32. */
function accumulationDtype(grads: readonly Tensor[]): 'float32' | 'float64' {
  return grads.some((g) => g.dtype === 'float64') ? 'float64' : 'float32';
}

/** The p-norm of one tensor over all its elements, as a `[1]` tensor. */
function norm(x: Tensor, p: number): Tensor {
  const a = x.abs();
  let n: Tensor;
  if (p === Number.POSITIVE_INFINITY) n = a.max();
  else if (p === 1) n = a.sum();
  else if (p === 2) n = a.mul(a).sum().sqrt();
  else
    n = a
      .pow(p)
      .sum()
      .pow(1 / p);
  return n.reshape([1]);
}

/**
 * Scales every gradient so that their joint p-norm is at most `maxNorm`, lazily:
 * `total = norm([norm(g1), norm(g2), ...])` (torch's order: a norm per gradient, then the norm
 * of those), `coef = min(1, maxNorm / (total + 1e-6))`, and each `p.grad` is replaced by
 * `g * coef`, computed in fp32 (fp64 for fp64 gradients) and rounded once to the gradient's
 * dtype, like torch's in-place `g.mul_(coef)` on a half gradient. Returns the total norm (a
 * lazy 0-d tensor in fp32, or fp64); parameters without a gradient are left out, and with none
 * at all the norm is 0.
 *
 * Non-finite norms follow torch's `error_if_nonfinite=False`: nothing throws (a throw would need
 * the value now, breaking the single run). An infinite norm gives `coef = 0`, so finite entries
 * become 0 and infinite ones NaN; a NaN norm makes every gradient NaN. Callers that must not
 * step on such gradients check the returned norm (or the scaler's inf check) before stepping.
 */
export function clipGradNorm(
  params: Iterable<Tensor>,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): Tensor {
  const p = checkOptions('clipGradNorm', options, CLIP_GRAD_NORM_OPTIONS).normType ?? 2;
  if (!(p > 0)) {
    throw new MixprecError(
      `clipGradNorm: normType ${p}; expected a number > 0 or Infinity (the max-abs norm)`,
    );
  }
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) {
    throw new MixprecError(`clipGradNorm: maxNorm is ${String(maxNorm)}; expected a number`);
  }
  const withGrad = [...params].filter((q) => q.grad !== undefined);
  const grads = withGrad.map((q) => q.grad!);
  if (grads.length === 0) return full([], 0, { dtype: 'float32' });
  const acc = accumulationDtype(grads);
  const perGrad = grads.map((g) => norm(g.cast(acc), p));
  const total = norm(concat(perGrad), p).reshape([]);
  const coef = binaryOp('div', maxNorm, total.add(EPS)).minimum(1);
  withGrad.forEach((q, i) => {
    const g = grads[i];
    q.grad = g.cast(acc).mul(coef).cast(g.dtype);
  });
  return total;
}

/**
 * Clamps every gradient to `[-clipValue, clipValue]`, lazily (torch's `clip_grad_value_`):
 * each `p.grad` is replaced by `g.maximum(-clipValue).minimum(clipValue)` in its own dtype.
 * NaN entries stay NaN (torch's clamp propagates them).
 */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) {
    throw new MixprecError(`clipGradValue: clipValue ${clipValue}; expected a number >= 0`);
  }
  for (const q of params) {
    const g = q.grad;
    if (g !== undefined) q.grad = g.maximum(-clipValue).minimum(clipValue);
  }
}
