import { allocStorage } from '../../../dtype/dtypes.js';
import { MixprecError } from '../../../errors/mixprec-error.js';
import { formatShape, shapeSize, stridesOf } from '../../../graph/graph.js';
import { erf, erfc } from '../erf.js';
import type { Kernel } from '../kernel.js';
import { readNumbers, writeNumbers } from '../numbers.js';
import { stridedOffsets } from '../strided.js';

/**
 * Kernels of the backward ops autograd records. geluGrad and gatherGrad compute in float64 and
 * round once to the output dtype (a half gradient gets one rounding, not one per step of a
 * composed formula); sliceGrad only places stored bits.
 */

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * d/dx of exact GELU: Φ(x) + x·φ(x). Φ for x < 0 is 0.5·erfc(−x/√2), which keeps its relative
 * accuracy where 0.5·(1 + erf(…)) would cancel. At ±∞ it is NaN (∞·0), as torch's formula gives.
 */
export function geluErfDerivative(x: number): number {
  const z = x * Math.SQRT1_2;
  const cdf = x >= 0 ? 0.5 * (1 + erf(z)) : 0.5 * erfc(-z);
  return cdf + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * d/dx of tanh GELU 0.5·x·(1 + tanh u), u = √(2/π)(x + 0.044715x³):
 * 0.5(1 + tanh u) + 0.5x(1 − tanh²u)·u'. With s = 0.5(1 + tanh u) = 1/(1 + e^(−2u)) and
 * 1 − tanh²u = 4s(1 − s), this is s + 2x·s(1 − s)·u', free of cancellation for x < 0.
 */
export function geluTanhDerivative(x: number): number {
  const u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
  const s = 1 / (1 + Math.exp(-2 * u));
  const du = SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x);
  return s + 2 * x * s * (1 - s) * du;
}

/** geluGrad(dy, x) = dy · gelu'(x) per element (equal shapes), rounded once. */
export const geluGrad: Kernel<'geluGrad'> = (node, [dy, x]) => {
  const d = node.attrs.approximate === 'tanh' ? geluTanhDerivative : geluErfDerivative;
  const g = readNumbers(dy.data, dy.dtype);
  const v = readNumbers(x.data, x.dtype);
  const out = new Float64Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = g[i] * d(v[i]);
  return writeNumbers(out, node.dtype);
};

/**
 * gatherGrad(dy, indices) along `axis`: the transpose of gather. Every dy element is added to
 * the data position its index picked; repeated indices accumulate. Sums run in float64 and
 * round once; untouched positions are +0.
 */
export const gatherGrad: Kernel<'gatherGrad'> = (node, [dy, indices]) => {
  const { axis, size } = node.attrs;
  const outer = shapeSize(node.shape.slice(0, axis));
  const inner = shapeSize(node.shape.slice(axis + 1));
  const idx = indices.data;
  const n = idx.length;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    if (!(i >= 0 && i < size)) {
      throw new MixprecError(
        `gatherGrad: index ${i} at position ${k} of 'indices' ${formatShape(indices.shape)} is out of range for axis ${axis} of size ${size}; expected 0 <= index < ${size}`,
      );
    }
  }
  const g = readNumbers(dy.data, dy.dtype);
  const acc = new Float64Array(outer * size * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const to = (o * size + idx[k]) * inner;
      const from = (o * n + k) * inner;
      for (let j = 0; j < inner; j++) acc[to + j] += g[from + j];
    }
  }
  return writeNumbers(acc, node.dtype);
};

/**
 * sliceGrad(dy): zeros of `shape` with dy written to the positions the forward slice read
 * (the same strided view as `slice`, used to scatter instead of gather). Bits are copied.
 */
export const sliceGrad: Kernel<'sliceGrad'> = (node, [dy]) => {
  const { begin, step } = node.attrs;
  const strides = stridesOf(node.shape);
  const offset = begin.reduce((sum, b, i) => sum + b * strides[i], 0);
  const stepped = strides.map((s, i) => s * step[i]);
  const targets = stridedOffsets(dy.shape, stepped, offset);
  // All-zero bits are +0 in every dtype mixprec has.
  const out = allocStorage(node.dtype, shapeSize(node.shape));
  const src = dy.data;
  for (let i = 0; i < targets.length; i++) out[targets[i]] = src[i];
  return out;
};
