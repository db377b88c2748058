import { erf, erfc } from './erf.js';

/** Scalar float64 activation functions of the reference kernels. */

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Exact GELU, 0.5·x·(1 + erf(x/√2)). For x < 0 it is evaluated as 0.5·x·erfc(−x/√2), which
 * is the same function without the cancellation of 1 + erf(…) → 0. gelu(−∞) is NaN, as in torch.
 */
export function geluErf(x: number): number {
  return x >= 0 ? 0.5 * x * (1 + erf(x * Math.SQRT1_2)) : 0.5 * x * erfc(-x * Math.SQRT1_2);
}

/**
 * tanh-approximated GELU, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), evaluated through the
 * identity 0.5·(1 + tanh u) = 1 / (1 + e^(−2u)), which avoids the cancellation for x < 0.
 */
export function geluTanh(x: number): number {
  const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
  return x / (1 + Math.exp(-2 * u));
}

/** The logistic function 1 / (1 + e^(−x)); e^(−x) overflowing to ∞ gives the right limit 0. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * C99/IEEE pow, the semantics of torch and ONNX: JS `**` agrees except that pow(1, y) and
 * pow(−1, ±∞) are 1 in C (JS gives NaN).
 */
export function pow(x: number, y: number): number {
  if (x === 1 || (x === -1 && !Number.isFinite(y) && !Number.isNaN(y))) return 1;
  return x ** y;
}

/** relu as torch's clamp_min(x, 0): negatives become 0; −0 stays −0 and NaN stays NaN. */
export function relu(x: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Math.max(-0, 0) is +0; clamp_min keeps -0.
  return x < 0 ? 0 : x;
}
