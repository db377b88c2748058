import type { DType, OpName } from '@mixprec/core';
import { OnnxType } from './onnx-proto.js';

/**
 * How the ORT backend runs each op of the catalogue: the ONNX ops it lowers to, whether that
 * is one ONNX op (`native`) or a composition (`emulated`), and the precision it computes in.
 * `scripts/gen-ops.mjs` reads this table for the `ort` column of docs/ops.md.
 *
 * `compute`:
 * - `exact`: copies or selects stored values, nothing is rounded;
 * - `once`: rounds once from the exact value (core's cast semantics);
 * - `fp32`: float32 inside for float32 and half nodes (half outputs then rounded by an explicit
 *   Cast pair), float64 inside for float64 nodes;
 * - `f64`: float64 inside for every float dtype (cast in, op in double, cast out), chosen where
 *   ORT's float32 kernel is not accurate enough to match the reference backend.
 */
export interface OrtOpSupport {
  readonly support: 'native' | 'emulated';
  readonly onnx: string;
  readonly compute: 'exact' | 'once' | 'fp32' | 'f64';
}

const n = (onnx: string, compute: OrtOpSupport['compute'] = 'fp32'): OrtOpSupport => ({
  support: 'native',
  onnx,
  compute,
});
const e = (onnx: string, compute: OrtOpSupport['compute'] = 'fp32'): OrtOpSupport => ({
  support: 'emulated',
  onnx,
  compute,
});

/** One row per op of the catalogue (a new op is a compile error until it has one). */
export const ORT_OP_SUPPORT = {
  input: n('graph input (+ Cast from float16)', 'exact'),
  full: n('ConstantOfShape (value rounded at compile time)', 'once'),
  arange: e('initializer computed at compile time', 'once'),
  cast: e('Cast (halves: Cast to half then back to float); integers: IsNaN/Where + Clip', 'once'),
  neg: n('Neg', 'exact'),
  abs: n('Abs', 'exact'),
  exp: n('Exp'),
  log: n('Log'),
  sqrt: n('Sqrt'),
  rsqrt: e('Reciprocal(Sqrt)'),
  relu: e('Where(Less(x, 0), 0, x)', 'exact'),
  gelu: e('Erf (float) or an Erf series (double) / exp composition'),
  tanh: n('Tanh'),
  sigmoid: e('Reciprocal(1 + Exp(−x)): ORT Sigmoid flushes tiny results'),
  add: n('Add'),
  sub: n('Sub'),
  mul: n('Mul'),
  div: n('Div'),
  pow: n('Pow'),
  maximum: e('Max + IsNaN/Where (NaN propagates)', 'exact'),
  minimum: e('Min + IsNaN/Where (NaN propagates)', 'exact'),
  eq: n('Equal', 'exact'),
  ne: e('Not(Equal)', 'exact'),
  lt: n('Less', 'exact'),
  le: n('LessOrEqual', 'exact'),
  gt: n('Greater', 'exact'),
  ge: n('GreaterOrEqual', 'exact'),
  where: e(
    'GatherElements over the stacked branches (ORT Where drops a selected −0, lacks int8/int16/bool)',
    'exact',
  ),
  sum: n('ReduceSum', 'f64'),
  mean: n('ReduceMean', 'f64'),
  max: e('ReduceMax + IsNaN (ReduceMax skips NaN)', 'exact'),
  reshape: n('Reshape', 'exact'),
  permute: n('Transpose', 'exact'),
  expand: n('Expand', 'exact'),
  slice: n('Slice', 'exact'),
  concat: n('Concat', 'exact'),
  gather: n('Gather', 'exact'),
  matmul: n('MatMul'),
  softmax: n('Softmax'),
  logSoftmax: n('LogSoftmax'),
  geluGrad: e('Erf (float) or an Erf series (double) / exp composition'),
  gatherGrad: e('ScatterElements(reduction=add)', 'f64'),
  sliceGrad: e('ScatterND into zeros', 'exact'),
} as const satisfies Record<OpName, OrtOpSupport>;

/**
 * The ONNX type an op computes in for its node: double for float64 nodes or inputs, for
 * integer or bool outputs (so the saturating conversion sees exact values) and for the `f64`
 * rows; float otherwise.
 */
export function computeOf(
  op: OpName,
  dtype: DType,
  inputs: readonly DType[],
): typeof OnnxType.FLOAT | typeof OnnxType.DOUBLE {
  if (ORT_OP_SUPPORT[op].compute === 'f64') return OnnxType.DOUBLE;
  const float32Like = (d: DType) => d === 'float32' || d === 'float16' || d === 'bfloat16';
  if (!float32Like(dtype)) return OnnxType.DOUBLE;
  return inputs.every(
    (d) => float32Like(d) || d === 'bool' || d === 'int8' || d === 'uint8' || d === 'int16',
  )
    ? OnnxType.FLOAT
    : OnnxType.DOUBLE;
}
