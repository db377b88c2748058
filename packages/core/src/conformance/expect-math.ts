/**
 * Float64 reference functions for the suite's expectations. Written here rather than imported
 * from the reference backend so that the backend under test and the oracle never share code.
 * Accuracy target: relative error far below half an fp32 ulp (about 1e-12 or better), so that
 * "rounded once to the output dtype" is meaningful for every half and fp32 output.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)) for |x| < 3: every term is
 * positive, so the series has no cancellation.
 */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** erfc(x) for x ≥ 3 by its continued fraction, evaluated from the tail (converges fast there). */
function erfcFraction(x: number): number {
  let f = x;
  for (let n = 60; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** The error function. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  if (Math.abs(x) < 3) return erfSeries(x);
  const tail = erfcFraction(Math.abs(x));
  return x > 0 ? 1 - tail : tail - 1;
}

/** 1 − erf(x) without cancellation for large x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x >= 3) return erfcFraction(x);
  return 1 - erf(x);
}

/** Exact GELU: x·Φ(x); the negative side uses erfc so 1 + erf(…) does not cancel. */
export function geluExact(x: number): number {
  const z = x * Math.SQRT1_2;
  return x >= 0 ? 0.5 * x * (1 + erf(z)) : 0.5 * x * erfc(-z);
}

/** tanh GELU: 0.5·x·(1 + tanh(√(2/π)(x + 0.044715 x³))). */
export function geluTanhForm(x: number): number {
  const u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
  // 0.5(1 + tanh u) = 1/(1 + e^(−2u)), which stays accurate when tanh u is near −1.
  return x / (1 + Math.exp(-2 * u));
}

/** The logistic function, with the branch that keeps relative accuracy on each side. */
export function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** C99 pow (torch / ONNX semantics); JS `**` differs only at pow(1, y) and pow(−1, ±∞). */
export function powC(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  return x ** y;
}

/** softmax (or logSoftmax) of one row in float64, max-subtracted. */
export function softmaxRow(row: readonly number[], log: boolean): number[] {
  if (row.some(Number.isNaN)) return row.map(() => Number.NaN);
  const max = Math.max(...row);
  const shifted = row.map((v) => v - max);
  const sum = shifted.reduce((acc, v) => acc + Math.exp(v), 0);
  return shifted.map((v) => (log ? v - Math.log(sum) : Math.exp(v) / sum));
}
