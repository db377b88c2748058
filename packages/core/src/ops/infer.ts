import { checkDtype } from '../dtype/check-dtype.js';
import { DTYPES, type DType } from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape, shapeSize } from '../graph/graph.js';
import { broadcastShapes, broadcastsTo } from './broadcast.js';
import { OPS, type OpAttrs, type OpName, type ReduceAttrs } from './catalogue.js';

/** Shape and dtype of a value in a graph. */
export interface TypeInfo {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

type Infer<O extends OpName> = (attrs: OpAttrs<O>, inputs: readonly TypeInfo[], op: O) => TypeInfo;

const ARG_NAMES = ['a', 'b', 'c'];
const argName = (i: number) => ARG_NAMES[i] ?? `#${i}`;

function requireSameDtype(op: string, inputs: readonly TypeInfo[], from = 0): DType {
  const dtype = inputs[from].dtype;
  for (let i = from + 1; i < inputs.length; i++) {
    if (inputs[i].dtype !== dtype) {
      throw new DtypeError(
        `${op}: argument '${argName(i)}' has dtype ${inputs[i].dtype} but '${argName(from)}' has ${dtype}; expected equal dtypes (tensor methods insert the promotion casts; graphs built by hand must too)`,
      );
    }
  }
  return dtype;
}

function requireFloat(op: string, x: TypeInfo): DType {
  if (!DTYPES[x.dtype].isFloat) {
    throw new DtypeError(`${op}: argument 'a' has dtype ${x.dtype}; expected a floating dtype`);
  }
  return x.dtype;
}

function checkDims(op: string, shape: readonly number[], what = 'shape'): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeMismatchError(
        `${op}: ${what} ${formatShape(shape)} has dim ${d}; expected non-negative integers`,
      );
    }
  }
}

const unary: Infer<OpName> = (_a, [x]) => x;
const floatUnary: Infer<OpName> = (_a, [x], op) => ({ shape: x.shape, dtype: requireFloat(op, x) });
const binary: Infer<OpName> = (_a, inputs, op) => ({
  shape: broadcastShapes(op, inputs[0].shape, inputs[1].shape),
  dtype: requireSameDtype(op, inputs),
});
const compare: Infer<OpName> = (_a, inputs, op) => {
  requireSameDtype(op, inputs);
  return { shape: broadcastShapes(op, inputs[0].shape, inputs[1].shape), dtype: 'bool' };
};

function reduce(
  attrs: ReduceAttrs,
  [x]: readonly TypeInfo[],
  op: string,
  keepDtype: boolean,
): TypeInfo {
  const seen = new Set<number>();
  for (const axis of attrs.axes) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= x.shape.length || seen.has(axis)) {
      throw new ShapeMismatchError(
        `${op}: axes [${attrs.axes.join(',')}] do not fit shape ${formatShape(x.shape)}; expected distinct axes in [0, ${x.shape.length})`,
      );
    }
    seen.add(axis);
  }
  const shape = attrs.keepdims
    ? x.shape.map((d, i) => (seen.has(i) ? 1 : d))
    : x.shape.filter((_d, i) => !seen.has(i));
  const info = DTYPES[x.dtype];
  const dtype: DType = keepDtype || info.isFloat ? x.dtype : 'int32';
  return { shape, dtype };
}

function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new ShapeMismatchError(
      `${op}: axis ${axis} is out of range for rank ${rank}; expected 0 <= axis < ${rank}`,
    );
  }
  return axis;
}

function requireSameShape(op: string, a: readonly number[], b: readonly number[]): void {
  if (formatShape(a) !== formatShape(b)) {
    throw new ShapeMismatchError(
      `${op}: argument 'b' has shape ${formatShape(b)} but 'a' has ${formatShape(a)}; expected equal shapes`,
    );
  }
}

/** gatherGrad: dy is `pre + indices.shape + post` of a data shape `pre + [size] + post`. */
function inferGatherGrad(
  attrs: OpAttrs<'gatherGrad'>,
  dy: TypeInfo,
  indices: TypeInfo,
  op: string,
): TypeInfo {
  if (DTYPES[indices.dtype].isFloat || indices.dtype === 'bool') {
    throw new DtypeError(
      `gatherGrad: argument 'indices' has dtype ${indices.dtype}; expected an integer dtype`,
    );
  }
  checkDims(op, [attrs.size], 'size');
  const rank = dy.shape.length - indices.shape.length + 1;
  const axis = normalizeAxis(op, attrs.axis, Math.max(rank, 0));
  const middle = dy.shape.slice(axis, axis + indices.shape.length);
  if (formatShape(middle) !== formatShape(indices.shape)) {
    throw new ShapeMismatchError(
      `gatherGrad: dy ${formatShape(dy.shape)} does not hold indices ${formatShape(indices.shape)} at axis ${axis}; expected dy = data.shape[:axis] + indices.shape + data.shape[axis+1:]`,
    );
  }
  const post = dy.shape.slice(axis + indices.shape.length);
  return { shape: [...dy.shape.slice(0, axis), attrs.size, ...post], dtype: dy.dtype };
}

/** sliceGrad: dy must have the shape the forward slice of `attrs.shape` produced. */
function inferSliceGrad(attrs: OpAttrs<'sliceGrad'>, dy: TypeInfo): TypeInfo {
  checkDims('sliceGrad', attrs.shape);
  const sliced = INFER.slice(attrs, [{ shape: attrs.shape, dtype: dy.dtype }]);
  if (formatShape(sliced.shape) !== formatShape(dy.shape)) {
    throw new ShapeMismatchError(
      `sliceGrad: dy has shape ${formatShape(dy.shape)} but slicing ${formatShape(attrs.shape)} gives ${formatShape(sliced.shape)}; expected equal shapes`,
    );
  }
  return { shape: [...attrs.shape], dtype: dy.dtype };
}

/** Shape and dtype inference for every op, keyed by op name: a missing op is a compile error. */
const INFER = {
  input: () => {
    throw new ShapeMismatchError('input: an input node has no inputs to infer from');
  },
  full: () => {
    throw new ShapeMismatchError('full: a source node carries its own shape and dtype');
  },
  arange: () => {
    throw new ShapeMismatchError('arange: a source node carries its own shape and dtype');
  },
  cast: (attrs, [x]) => {
    return { shape: x.shape, dtype: checkDtype('cast', attrs.dtype) };
  },
  neg: (a, inputs, op) => {
    if (inputs[0].dtype === 'bool')
      throw new DtypeError(`${op}: argument 'a' has dtype bool; expected a numeric dtype`);
    return unary(a, inputs, op);
  },
  abs: unary,
  exp: floatUnary,
  log: floatUnary,
  sqrt: floatUnary,
  rsqrt: floatUnary,
  relu: unary,
  gelu: (attrs, inputs, op) => {
    if (attrs.approximate !== 'none' && attrs.approximate !== 'tanh') {
      throw new DtypeError(`gelu: approximate '${attrs.approximate}'; expected 'none' or 'tanh'`);
    }
    return floatUnary(attrs, inputs, op);
  },
  tanh: floatUnary,
  sigmoid: floatUnary,
  add: binary,
  sub: binary,
  mul: binary,
  div: binary,
  pow: binary,
  maximum: binary,
  minimum: binary,
  eq: compare,
  ne: compare,
  lt: compare,
  le: compare,
  gt: compare,
  ge: compare,
  where: (_a, [cond, a, b], op) => {
    if (cond.dtype !== 'bool')
      throw new DtypeError(`where: argument 'cond' has dtype ${cond.dtype}; expected bool`);
    const dtype = requireSameDtype(op, [a, b]);
    const shape = broadcastShapes(op, broadcastShapes(op, cond.shape, a.shape), b.shape);
    return { shape, dtype };
  },
  sum: (attrs, inputs, op) => reduce(attrs, inputs, op, false),
  mean: (attrs, inputs, op) => {
    requireFloat(op, inputs[0]);
    return reduce(attrs, inputs, op, true);
  },
  max: (attrs, inputs, op) => {
    for (const axis of attrs.axes) {
      if (inputs[0].shape[axis] === 0)
        throw new ShapeMismatchError(
          `max: cannot reduce over axis ${axis} of size 0 in shape ${formatShape(inputs[0].shape)}; expected a non-empty axis`,
        );
    }
    return reduce(attrs, inputs, op, true);
  },
  reshape: (attrs, [x]) => {
    checkDims('reshape', attrs.shape);
    if (shapeSize(attrs.shape) !== shapeSize(x.shape)) {
      throw new ShapeMismatchError(
        `reshape: cannot reshape ${formatShape(x.shape)} (${shapeSize(x.shape)} elements) to ${formatShape(attrs.shape)} (${shapeSize(attrs.shape)} elements); expected the same number of elements`,
      );
    }
    return { shape: [...attrs.shape], dtype: x.dtype };
  },
  permute: (attrs, [x]) => {
    const rank = x.shape.length;
    const sorted = [...attrs.perm].sort((p, q) => p - q);
    if (attrs.perm.length !== rank || sorted.some((p, i) => p !== i)) {
      throw new ShapeMismatchError(
        `permute: perm [${attrs.perm.join(',')}] does not fit shape ${formatShape(x.shape)}; expected a permutation of 0..${rank - 1}`,
      );
    }
    return { shape: attrs.perm.map((p) => x.shape[p]), dtype: x.dtype };
  },
  expand: (attrs, [x]) => {
    checkDims('expand', attrs.shape);
    if (!broadcastsTo(x.shape, attrs.shape)) {
      throw new ShapeMismatchError(
        `expand: shape ${formatShape(x.shape)} cannot be expanded to ${formatShape(attrs.shape)}; expected each dim to match or be 1`,
      );
    }
    return { shape: [...attrs.shape], dtype: x.dtype };
  },
  slice: (attrs, [x]) => {
    const rank = x.shape.length;
    if (attrs.begin.length !== rank || attrs.end.length !== rank || attrs.step.length !== rank) {
      throw new ShapeMismatchError(
        `slice: begin/end/step of length ${attrs.begin.length}/${attrs.end.length}/${attrs.step.length} for shape ${formatShape(x.shape)}; expected ${rank} each`,
      );
    }
    const shape = x.shape.map((d, i) => {
      const b = attrs.begin[i];
      const e = attrs.end[i];
      const s = attrs.step[i];
      if (!Number.isInteger(s) || s < 1 || b < 0 || e > d || b > e) {
        throw new ShapeMismatchError(
          `slice: axis ${i} range [${b}, ${e}) step ${s} does not fit dim ${d}; expected 0 <= begin <= end <= dim and step >= 1`,
        );
      }
      return Math.ceil((e - b) / s);
    });
    return { shape, dtype: x.dtype };
  },
  concat: (attrs, inputs, op) => {
    if (inputs.length === 0)
      throw new ShapeMismatchError('concat: no tensors given; expected at least one');
    const first = inputs[0].shape;
    const axis = normalizeAxis(op, attrs.axis, first.length);
    const dtype = requireSameDtype(op, inputs);
    let total = 0;
    inputs.forEach((x, k) => {
      const ok =
        x.shape.length === first.length && x.shape.every((d, i) => i === axis || d === first[i]);
      if (!ok)
        throw new ShapeMismatchError(
          `concat: tensor ${k} has shape ${formatShape(x.shape)} but tensor 0 has ${formatShape(first)}; expected equal dims except on axis ${axis}`,
        );
      total += x.shape[axis];
    });
    return { shape: first.map((d, i) => (i === axis ? total : d)), dtype };
  },
  gather: (attrs, [x, indices], op) => {
    const axis = normalizeAxis(op, attrs.axis, x.shape.length);
    if (DTYPES[indices.dtype].isFloat || indices.dtype === 'bool') {
      throw new DtypeError(
        `gather: argument 'indices' has dtype ${indices.dtype}; expected an integer dtype`,
      );
    }
    return {
      shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)],
      dtype: x.dtype,
    };
  },
  matmul: (_a, [a, b], op) => {
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new ShapeMismatchError(
        `matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}; expected rank >= 2 for both (reshape vectors to matrices)`,
      );
    }
    const dtype = requireSameDtype(op, [a, b]);
    requireFloat(op, a);
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) {
      throw new ShapeMismatchError(
        `matmul: inner dims differ: a is ${formatShape(a.shape)} and b is ${formatShape(b.shape)} (${k} vs ${k2}); expected a[..., M, K] @ b[..., K, N]`,
      );
    }
    const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
    return { shape: [...batch, m, n], dtype };
  },
  softmax: (attrs, [x], op) => {
    normalizeAxis(op, attrs.axis, x.shape.length);
    return { shape: x.shape, dtype: requireFloat(op, x) };
  },
  logSoftmax: (attrs, [x], op) => {
    normalizeAxis(op, attrs.axis, x.shape.length);
    return { shape: x.shape, dtype: requireFloat(op, x) };
  },
  geluGrad: (attrs, inputs, op) => {
    const [dy, x] = inputs;
    if (attrs.approximate !== 'none' && attrs.approximate !== 'tanh') {
      throw new DtypeError(
        `geluGrad: approximate '${attrs.approximate}'; expected 'none' or 'tanh'`,
      );
    }
    requireSameDtype(op, inputs);
    requireSameShape(op, dy.shape, x.shape);
    return { shape: x.shape, dtype: requireFloat(op, x) };
  },
  gatherGrad: (attrs, [dy, indices], op) => inferGatherGrad(attrs, dy, indices, op),
  sliceGrad: (attrs, [dy]) => inferSliceGrad(attrs, dy),
} satisfies { [O in OpName]: Infer<O> };

/**
 * Infers the output shape and dtype of an op from its inputs, or throws a
 * `ShapeMismatchError` / `DtypeError` naming the op, the argument and both shapes or dtypes.
 */
export function inferNode<O extends OpName>(
  op: O,
  attrs: OpAttrs<O>,
  inputs: readonly TypeInfo[],
): TypeInfo {
  const arity = OPS[op].arity;
  if (arity !== 'variadic' && inputs.length !== arity) {
    throw new ShapeMismatchError(`${op}: got ${inputs.length} inputs; expected ${arity}`);
  }
  return (INFER[op] as Infer<O>)(attrs, inputs, op);
}
