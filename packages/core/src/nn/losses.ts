import { DTYPES } from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';
import { arange } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';

/** How a per-element loss is reduced: mean (default), sum, or kept per element. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions {
  /** Targets equal to this contribute nothing and are left out of the mean (default -100). */
  readonly ignoreIndex?: number;
  /** ε in `(1-ε)·nll + ε·mean_c(-log p_c)` (default 0). */
  readonly labelSmoothing?: number;
  readonly reduction?: Reduction;
}

/** Options of `mse`. */
export interface MseOptions {
  readonly reduction?: Reduction;
}

/** Options of `bceWithLogits`. */
export interface BceWithLogitsOptions {
  readonly reduction?: Reduction;
  /** Weight of the positive term, broadcast against the logits (torch's `pos_weight`). */
  readonly posWeight?: Tensor;
}

const REDUCTION = {
  expected: "'mean', 'sum' or 'none'",
  test: (v: unknown) => v === 'mean' || v === 'sum' || v === 'none',
};

const CROSS_ENTROPY_OPTIONS = optionSpec<CrossEntropyOptions>({
  ignoreIndex: 'integer',
  labelSmoothing: 'number',
  reduction: REDUCTION,
});
const MSE_OPTIONS = optionSpec<MseOptions>({ reduction: REDUCTION });
const BCE_WITH_LOGITS_OPTIONS = optionSpec<BceWithLogitsOptions>({
  reduction: REDUCTION,
  posWeight: { expected: 'a Tensor', test: (v) => v instanceof Tensor },
});

// Shapes must match exactly: silently broadcasting [N, 1] against [N] is a classic bug.
function sameShape(fn: string, name: string, input: Tensor, target: Tensor): void {
  if (formatShape(input.shape) !== formatShape(target.shape)) {
    throw new ShapeMismatchError(
      `${fn}: argument '${name}' has shape ${formatShape(target.shape)}; expected the input's shape ${formatShape(input.shape)}`,
    );
  }
}

function reduce(fn: string, loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return loss.sum();
  if (reduction === 'mean') return loss.mean();
  throw new MixprecError(`${fn}: reduction '${reduction}'; expected 'mean', 'sum' or 'none'`);
}

/**
 * Cross entropy of `logits [N, C]` against integer class `labels [N]`, with torch's
 * semantics: the mean runs over non-ignored targets only (all ignored gives NaN, as in
 * torch), ignored rows are 0 under `'none'`, and label smoothing mixes in the mean over
 * classes of `-log p`. Computed through `logSoftmax` in the logits' dtype.
 */
export function crossEntropy(
  logits: Tensor,
  labels: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  options = checkOptions('crossEntropy', options, CROSS_ENTROPY_OPTIONS);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const eps = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  if (logits.rank !== 2 || labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new ShapeMismatchError(
      `crossEntropy: logits ${formatShape(logits.shape)} and labels ${formatShape(labels.shape)}; expected logits [N, C] and labels [N]`,
    );
  }
  if (DTYPES[labels.dtype].isFloat || labels.dtype === 'bool') {
    throw new DtypeError(
      `crossEntropy: argument 'labels' has dtype ${labels.dtype}; expected integer class indices (int32)`,
    );
  }
  if (!(eps >= 0 && eps <= 1)) {
    throw new MixprecError(
      `crossEntropy: labelSmoothing ${eps}; expected 0 <= labelSmoothing <= 1`,
    );
  }
  const [n, c] = logits.shape;
  const logp = logits.logSoftmax(1);
  // One-hot by comparison; an ignored label matches no class, so its nll is already 0.
  const oneHot = labels.reshape([n, 1]).eq(arange(c));
  let loss = logp.where(oneHot, 0).sum(1).neg();
  if (eps > 0) {
    const smooth = logp.mean(1).neg();
    loss = loss.mul(1 - eps).add(smooth.mul(eps));
  }
  const valid = labels.ne(ignoreIndex);
  loss = loss.where(valid, 0);
  if (reduction === 'mean') {
    // Count in float32: a half dtype cannot hold every count exactly (bf16 stops at 256).
    const count = valid.cast('float32').sum();
    return loss.sum().cast('float32').div(count).cast(loss.dtype);
  }
  return reduce('crossEntropy', loss, reduction);
}

/** Mean squared error `(input - target)²`, reduced. */
export function mse(input: Tensor, target: Tensor, options: MseOptions = {}): Tensor {
  options = checkOptions('mse', options, MSE_OPTIONS);
  sameShape('mse', 'target', input, target);
  const d = input.sub(target);
  return reduce('mse', d.mul(d), options.reduction ?? 'mean');
}

/**
 * Binary cross entropy on logits `x` against targets `y` in [0, 1], in the stable form
 * `max(x, 0) - x·y + log(1 + exp(-|x|))` (never exponentiates a large positive number).
 * With `posWeight` p it is torch's `(1-y)·x + (1 + (p-1)·y)·(log(1 + exp(-|x|)) + max(-x, 0))`.
 */
export function bceWithLogits(
  logits: Tensor,
  targets: Tensor,
  options: BceWithLogitsOptions = {},
): Tensor {
  options = checkOptions('bceWithLogits', options, BCE_WITH_LOGITS_OPTIONS);
  sameShape('bceWithLogits', 'targets', logits, targets);
  const x = logits;
  const y = targets;
  const softplusNegAbs = x.abs().neg().exp().add(1).log();
  let loss: Tensor;
  if (options.posWeight) {
    const weight = options.posWeight.sub(1).mul(y).add(1);
    const logSigmoidNeg = softplusNegAbs.add(x.neg().maximum(0));
    loss = y.neg().add(1).mul(x).add(weight.mul(logSigmoidNeg));
  } else {
    loss = x.maximum(0).sub(x.mul(y)).add(softplusNegAbs);
  }
  return reduce('bceWithLogits', loss, options.reduction ?? 'mean');
}
