import { castStorage } from '../../dtype/convert.js';
import { MixprecError } from '../../errors/mixprec-error.js';
import { shapeSize, stridesOf } from '../../graph/graph.js';
import { geluErf, geluTanh, pow, relu, sigmoid } from './activations.js';
import type { KernelTable } from './kernel.js';
import { gatherGrad, geluGrad, sliceGrad } from './kernels/backward.js';
import { binary, mapUnary, unary, where } from './kernels/elementwise.js';
import { gather } from './kernels/gather.js';
import { matmul } from './kernels/matmul.js';
import { max, mean, sum } from './kernels/reduce.js';
import { concat, slice } from './kernels/slice-concat.js';
import { logSoftmax, softmax } from './kernels/softmax.js';
import { writeNumbers } from './numbers.js';
import { broadcastStrides, gatherElements, stridedOffsets } from './strided.js';

/**
 * The reference backend's kernel table, one row per op of the catalogue (`satisfies
 * KernelTable`, so a new op is a compile error here until it has a kernel). Arithmetic rows
 * compute in float64 and round once to the output dtype (see `numbers.ts`); layout rows copy
 * stored bits. Integer arithmetic saturates to the dtype's range (torch wraps instead; the
 * tensor layer never relies on either). Integer division is not reachable from the tensor layer,
 * which casts to a float dtype first; a hand-built int `div` (or `pow` with a negative exponent)
 * computes the float result and truncates it toward zero (x/0 saturates, 0/0 gives 0).
 */
export const KERNELS = {
  input: (node) => {
    // Input values come from the feeds; reaching this is a bug in the interpreter.
    throw new MixprecError(
      `reference: input node of shape [${node.shape}] has no kernel; it must be fed`,
    );
  },
  full: (node) =>
    writeNumbers(new Float64Array(shapeSize(node.shape)).fill(node.attrs.value), node.dtype),
  arange: (node) => {
    const { start, step } = node.attrs;
    const values = new Float64Array(shapeSize(node.shape));
    for (let i = 0; i < values.length; i++) values[i] = start + i * step;
    return writeNumbers(values, node.dtype);
  },
  cast: (node, [x]) => castStorage(x.data, x.dtype, node.dtype),

  neg: unary((v) => -v),
  abs: unary(Math.abs),
  exp: unary(Math.exp),
  log: unary(Math.log),
  sqrt: unary(Math.sqrt),
  rsqrt: unary((v) => 1 / Math.sqrt(v)),
  relu: unary(relu),
  gelu: (node, [x]) =>
    mapUnary(x, node.dtype, node.attrs.approximate === 'tanh' ? geluTanh : geluErf),
  tanh: unary(Math.tanh),
  sigmoid: unary(sigmoid),

  add: binary((a, b) => a + b),
  sub: binary((a, b) => a - b),
  mul: binary((a, b) => a * b),
  div: binary((a, b) => a / b),
  pow: binary(pow),
  // Math.max/min propagate NaN and order −0 below +0, which is torch.maximum/minimum.
  maximum: binary(Math.max),
  minimum: binary(Math.min),

  eq: binary((a, b) => Number(a === b)),
  ne: binary((a, b) => Number(a !== b)),
  lt: binary((a, b) => Number(a < b)),
  le: binary((a, b) => Number(a <= b)),
  gt: binary((a, b) => Number(a > b)),
  ge: binary((a, b) => Number(a >= b)),
  where,

  sum,
  mean,
  max,

  reshape: (_node, [x]) => x.data.slice(),
  permute: (node, [x]) => {
    const strides = stridesOf(x.shape);
    const permuted = node.attrs.perm.map((p) => strides[p]);
    return gatherElements(x, stridedOffsets(node.shape, permuted));
  },
  expand: (node, [x]) =>
    gatherElements(x, stridedOffsets(node.shape, broadcastStrides(x.shape, node.shape))),
  slice,
  concat,
  gather,

  matmul,

  softmax,
  logSoftmax,

  geluGrad,
  gatherGrad,
  sliceGrad,
} satisfies KernelTable;
