import {
  bf16ToF32,
  castStorage,
  type DType,
  f16ToF32,
  type Graph,
  type GraphNode,
  shapeSize,
  stridedOffsets,
  stridesOf,
} from '@mixprec/core';
import {
  AttrType,
  encodeModel,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
  OnnxType,
  type OnnxTypeId,
  valueInfo,
} from './onnx-proto.js';
import { computeOf } from './support.js';

/**
 * The compiler from core's graph to one ONNX model. Every value lives inside the model in an
 * "internal" type: float32 for float32 and both half dtypes (an fp32 tensor holding exactly
 * representable half values), double for float64, the integer type itself for integers, bool
 * for bool. Every op whose output dtype is a half ends with an explicit
 * Cast(to half) → Cast(to float) pair, so the model rounds exactly where core's semantics do:
 * ORT's CPU provider would otherwise run the half graph in fp32 and drop the rounding.
 */

/** ONNX opset of the default domain; IR version 10 goes with opset 21. */
export const OPSET = 21;
export const IR_VERSION = 10;

/** Element type of a dtype inside the model. */
export function internalType(dtype: DType): OnnxTypeId {
  switch (dtype) {
    case 'float32':
    case 'float16':
    case 'bfloat16':
      return OnnxType.FLOAT;
    case 'float64':
      return OnnxType.DOUBLE;
    case 'int8':
      return OnnxType.INT8;
    case 'uint8':
      return OnnxType.UINT8;
    case 'int16':
      return OnnxType.INT16;
    case 'int32':
      return OnnxType.INT32;
    case 'bool':
      return OnnxType.BOOL;
  }
}

/** Element type of a dtype at the model's inputs and outputs (bf16 crosses as float32). */
export function boundaryType(dtype: DType): OnnxTypeId {
  return dtype === 'float16' ? OnnxType.FLOAT16 : internalType(dtype);
}

/** The ORT JS tensor type name of a boundary type. */
export function ortTypeName(
  dtype: DType,
): 'float32' | 'float16' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'bool' {
  switch (dtype) {
    case 'float32':
    case 'bfloat16':
      return 'float32';
    default:
      return dtype;
  }
}

const isFloat = (d: DType) =>
  d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** Bytes of a typed array (a view on its own memory). */
function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function dataArray(type: OnnxTypeId, values: ArrayLike<number>): ArrayBufferView {
  switch (type) {
    case OnnxType.FLOAT:
      return Float32Array.from(values);
    case OnnxType.DOUBLE:
      return Float64Array.from(values);
    case OnnxType.INT64:
      return BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    case OnnxType.INT32:
      return Int32Array.from(values);
    case OnnxType.INT16:
      return Int16Array.from(values);
    case OnnxType.INT8:
      return Int8Array.from(values);
    case OnnxType.UINT8:
    case OnnxType.BOOL:
      return Uint8Array.from(values);
    default:
      throw new Error(`ort compiler: no constant data for ONNX type ${type}`);
  }
}

/** A compiled graph: the model bytes and the boundary dtypes of its inputs and outputs. */
export interface CompiledModel {
  readonly bytes: Uint8Array;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Core dtypes of the inputs / outputs (in `graph.inputs` / outputs-then-releases order). */
  readonly inputDtypes: readonly DType[];
  readonly outputDtypes: readonly DType[];
  readonly outputShapes: readonly (readonly number[])[];
}

/** Accumulates the nodes and initializers of one model. */
class ModelBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private count = 0;
  private readonly constants = new Map<string, string>();

  fresh(prefix = 't'): string {
    return `${prefix}${this.count++}`;
  }

  op(
    opType: string,
    inputs: readonly string[],
    attribute: OnnxAttribute[] = [],
    out?: string,
  ): string {
    const name = out ?? this.fresh();
    this.nodes.push({
      opType,
      input: [...inputs],
      output: [name],
      attribute,
      name: `n${this.nodes.length}`,
    });
    return name;
  }

  /** A constant initializer (deduplicated by content). */
  constant(type: OnnxTypeId, dims: readonly number[], values: ArrayLike<number>): string {
    const key = `${type}|${dims.join(',')}|${values.length <= 64 ? Array.from(values).join(',') : this.count}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.fresh('c');
    this.initializers.push({
      name,
      dataType: type,
      dims: [...dims],
      rawData: bytesOf(dataArray(type, values)),
    });
    this.constants.set(key, name);
    return name;
  }

  scalar(type: OnnxTypeId, value: number): string {
    return this.constant(type, [], [value]);
  }

  i64(values: readonly number[]): string {
    return this.constant(OnnxType.INT64, [values.length], values);
  }

  cast(x: string, from: OnnxTypeId, to: OnnxTypeId): string {
    return from === to ? x : this.op('Cast', [x], [attrI('to', to)]);
  }
}

const attrI = (name: string, i: number): OnnxAttribute => ({ name, type: AttrType.INT, i });
const attrInts = (name: string, ints: readonly number[]): OnnxAttribute => ({
  name,
  type: AttrType.INTS,
  ints: [...ints],
});
const attrS = (name: string, s: string): OnnxAttribute => ({
  name,
  type: AttrType.STRING,
  s: new TextEncoder().encode(s),
});
const attrT = (name: string, t: OnnxTensor): OnnxAttribute => ({ name, type: AttrType.TENSOR, t });

/** A value of the model: its name and core dtype (held in `internalType(dtype)`). */
interface Val {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

type Compute = typeof OnnxType.FLOAT | typeof OnnxType.DOUBLE;

/** Lowers one core graph; `extraOutputs` are node ids returned after `graph.outputs` (early releases). */
export function compileGraph(graph: Graph, extraOutputs: readonly number[] = []): CompiledModel {
  const b = new ModelBuilder();
  const vals: Val[] = [];

  /** `x` (internal type of its dtype) as compute type `c`. */
  const toC = (x: Val, c: Compute) => b.cast(x.name, internalType(x.dtype), c);

  /** A value computed in `c` stored as `dtype` (one rounding, core's cast semantics). */
  const fromC = (x: string, c: Compute, dtype: DType): string => {
    switch (dtype) {
      case 'float32':
      case 'float64':
        return b.cast(x, c, internalType(dtype));
      case 'float16':
      case 'bfloat16':
        return c === OnnxType.FLOAT ? roundHalf(x, dtype) : doubleToHalf(x, dtype);
      case 'bool':
        return b.op('Not', [b.op('Equal', [x, b.scalar(c, 0)])]);
      default: {
        const [lo, hi] = INT_RANGE[dtype] as [number, number];
        const d = b.cast(x, c, OnnxType.DOUBLE);
        const zero = b.scalar(OnnxType.DOUBLE, 0);
        const clean = b.op('Where', [b.op('IsNaN', [d]), zero, d]);
        const clipped = b.op('Clip', [
          clean,
          b.scalar(OnnxType.DOUBLE, lo),
          b.scalar(OnnxType.DOUBLE, hi),
        ]);
        return b.cast(clipped, OnnxType.DOUBLE, internalType(dtype));
      }
    }
  };

  /** Rounds float32 values to a half dtype (RNE), held as float32: an explicit Cast pair. */
  const roundHalf = (f: string, dtype: 'float16' | 'bfloat16'): string => {
    const half = dtype === 'float16' ? OnnxType.FLOAT16 : OnnxType.BFLOAT16;
    return b.cast(b.cast(f, OnnxType.FLOAT, half), half, OnnxType.FLOAT);
  };

  /**
   * Rounds double values ONCE to a half dtype. ORT's double → half Cast goes through float32
   * and can round twice; so: y = float32(x) and h1 = half(y). Only when y is exactly halfway
   * between two halves (a tie created by the first rounding) can h1 be wrong; then the sign of
   * the remainder x − y picks the neighbour h2 = 2y − h1 on x's side.
   */
  const doubleToHalf = (x: string, dtype: 'float16' | 'bfloat16'): string => {
    const y = b.cast(x, OnnxType.DOUBLE, OnnxType.FLOAT);
    const r = b.op('Sub', [x, b.cast(y, OnnxType.FLOAT, OnnxType.DOUBLE)]);
    const side = b.cast(b.op('Sign', [r]), OnnxType.DOUBLE, OnnxType.FLOAT);
    const h1 = roundHalf(y, dtype);
    const h2 = b.op('Sub', [b.op('Mul', [y, b.scalar(OnnxType.FLOAT, 2)]), h1]);
    const tie = b.op('And', [
      b.op('And', [
        b.op('Equal', [roundHalf(h2, dtype), h2]),
        b.op('Not', [b.op('Equal', [h1, y])]),
      ]),
      b.op('Not', [b.op('IsInf', [h1])]),
    ]);
    const wrongSide = b.op('Less', [
      b.op('Mul', [b.op('Sub', [h1, y]), side]),
      b.scalar(OnnxType.FLOAT, 0),
    ]);
    return b.op('Where', [b.op('And', [tie, wrongSide]), h2, h1]);
  };

  /** Core's cast of a value to `dtype`. */
  const castVal = (x: Val, dtype: DType): string => {
    if (x.dtype === dtype) return x.name;
    if (x.dtype === 'bool' && dtype !== 'float64' && !isFloat(dtype)) {
      return b.cast(x.name, OnnxType.BOOL, internalType(dtype));
    }
    const c: Compute =
      x.dtype === 'float64' || x.dtype === 'int32' || !isFloat(dtype)
        ? OnnxType.DOUBLE
        : OnnxType.FLOAT;
    return fromC(toC(x, c), c, dtype);
  };

  const shapeConst = (shape: readonly number[]) => b.i64(shape);

  const lower = (node: GraphNode, index: number): string => {
    const ins = node.inputs.map((i) => vals[i]);
    const c: Compute = computeOf(
      node.op,
      node.dtype,
      ins.map((v) => v.dtype),
    );
    const same = ins.length > 0 && ins.every((v) => v.dtype === node.dtype);
    /** Rounds a result of `c` to the node dtype. */
    const out = (x: string) => fromC(x, c, node.dtype);
    /** Result of an op that picks one of its (same-dtype) inputs: no rounding needed. */
    const pick = (x: string) => (same && c === internalType(node.dtype) ? x : out(x));
    const x0 = () => toC(ins[0], c);
    const x1 = () => toC(ins[1], c);
    const k = (v: number) => b.scalar(c, v);
    switch (node.op) {
      case 'input':
        throw new Error(`ort compiler: input node ${index} is not in graph.inputs`);
      case 'full': {
        const value = castStorage(new Float64Array([node.attrs.value]), 'float64', node.dtype);
        const internal = internalValues(value, node.dtype);
        const t: OnnxTensor = {
          dims: [1],
          dataType: internalType(node.dtype),
          rawData: bytesOf(dataArray(internalType(node.dtype), internal)),
        };
        return b.op('ConstantOfShape', [shapeConst(node.shape)], [attrT('value', t)]);
      }
      case 'arange': {
        const n = shapeSize(node.shape);
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) v[i] = node.attrs.start + i * node.attrs.step;
        const data = internalValues(castStorage(v, 'float64', node.dtype), node.dtype);
        return b.constant(internalType(node.dtype), node.shape, data);
      }
      case 'cast':
        return castVal(ins[0], node.dtype);
      case 'neg':
        return pick(b.op('Neg', [x0()]));
      case 'abs':
        return pick(b.op('Abs', [x0()]));
      case 'exp':
        return out(b.op('Exp', [x0()]));
      case 'log':
        return out(b.op('Log', [x0()]));
      case 'sqrt':
        return out(b.op('Sqrt', [x0()]));
      case 'rsqrt':
        return out(b.op('Reciprocal', [b.op('Sqrt', [x0()])]));
      case 'relu': {
        const x = x0();
        return pick(b.op('Where', [b.op('Less', [x, k(0)]), k(0), x]));
      }
      case 'gelu':
        return out(
          node.attrs.approximate === 'tanh' ? geluTanh(b, x0(), k) : geluErf(b, x0(), k, c),
        );
      case 'tanh':
        return out(b.op('Tanh', [x0()]));
      case 'sigmoid':
        return out(logistic(b, x0(), k));
      case 'add':
        return out(b.op('Add', [x0(), x1()]));
      case 'sub':
        return out(b.op('Sub', [x0(), x1()]));
      case 'mul':
        return out(b.op('Mul', [x0(), x1()]));
      case 'div':
        return out(b.op('Div', [x0(), x1()]));
      case 'pow':
        return out(b.op('Pow', [x0(), x1()]));
      case 'maximum':
      case 'minimum': {
        const x = x0();
        const y = x1();
        const m = b.op(node.op === 'maximum' ? 'Max' : 'Min', [x, y]);
        // NaN propagates, as torch.maximum / minimum: a NaN operand wins.
        const r = b.op('Where', [b.op('IsNaN', [x]), x, b.op('Where', [b.op('IsNaN', [y]), y, m])]);
        return pick(r);
      }
      case 'eq':
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        const ct: Compute = ins.every((v) => internalType(v.dtype) === OnnxType.FLOAT)
          ? OnnxType.FLOAT
          : OnnxType.DOUBLE;
        const x = toC(ins[0], ct);
        const y = toC(ins[1], ct);
        const name = {
          eq: 'Equal',
          ne: 'Equal',
          lt: 'Less',
          le: 'LessOrEqual',
          gt: 'Greater',
          ge: 'GreaterOrEqual',
        }[node.op];
        const r = b.op(name, [x, y]);
        const bool = node.op === 'ne' ? b.op('Not', [r]) : r;
        return node.dtype === 'bool'
          ? bool
          : castVal({ name: bool, dtype: 'bool', shape: node.shape }, node.dtype);
      }
      case 'where': {
        const cond = castVal(ins[0], 'bool');
        const x = castVal(ins[1], node.dtype);
        const y = castVal(ins[2], node.dtype);
        // ORT's Where turns a selected −0 of its first branch into +0 (and has no int8, int16
        // or bool kernel); GatherElements copies the stored bits of any type instead: stack
        // [y, x] on a new axis and pick by the condition.
        const shape = shapeConst(node.shape);
        const lifted = shapeConst([1, ...node.shape]);
        const up = (v: string) => b.op('Reshape', [b.op('Expand', [v, shape]), lifted]);
        const stacked = b.op('Concat', [up(y), up(x)], [attrI('axis', 0)]);
        const idx = up(b.cast(cond, OnnxType.BOOL, OnnxType.INT64));
        const picked = b.op('GatherElements', [stacked, idx], [attrI('axis', 0)]);
        return b.op('Reshape', [picked, shape]);
      }
      case 'sum':
      case 'mean':
      case 'max': {
        const { axes, keepdims } = node.attrs;
        if (axes.length === 0) return castVal(ins[0], node.dtype);
        const opType = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax' }[node.op];
        const x = x0();
        const keep = [attrI('keepdims', keepdims ? 1 : 0)];
        const r = b.op(opType, [x, b.i64(axes)], keep);
        if (node.op !== 'max') return out(r);
        if (c !== OnnxType.FLOAT && c !== OnnxType.DOUBLE) return pick(r);
        // ReduceMax skips NaN; torch's max (and the reference) propagate it.
        const nan = b.op(
          'ReduceMax',
          [b.cast(b.op('IsNaN', [x]), OnnxType.BOOL, OnnxType.UINT8), b.i64(axes)],
          keep,
        );
        const hasNaN = b.cast(nan, OnnxType.UINT8, OnnxType.BOOL);
        return pick(b.op('Where', [hasNaN, k(Number.NaN), r]));
      }
      case 'reshape':
        return b.op('Reshape', [ins[0].name, shapeConst(node.shape)], [attrI('allowzero', 1)]);
      case 'permute':
        return b.op('Transpose', [ins[0].name], [attrInts('perm', node.attrs.perm)]);
      case 'expand':
        return b.op('Expand', [ins[0].name, shapeConst(node.shape)]);
      case 'slice': {
        const { begin, end, step } = node.attrs;
        const axes = begin.map((_v, i) => i);
        return b.op('Slice', [ins[0].name, b.i64(begin), b.i64(end), b.i64(axes), b.i64(step)]);
      }
      case 'concat':
        if (ins.length === 1) return castVal(ins[0], node.dtype);
        return b.op(
          'Concat',
          ins.map((v) => castVal(v, node.dtype)),
          [attrI('axis', node.attrs.axis)],
        );
      case 'gather':
        return b.op('Gather', [ins[0].name, ins[1].name], [attrI('axis', node.attrs.axis)]);
      case 'matmul':
        return out(b.op('MatMul', [x0(), x1()]));
      case 'softmax':
        return out(b.op('Softmax', [x0()], [attrI('axis', node.attrs.axis)]));
      case 'logSoftmax':
        return out(b.op('LogSoftmax', [x0()], [attrI('axis', node.attrs.axis)]));
      case 'geluGrad': {
        const x = x1();
        const d =
          node.attrs.approximate === 'tanh' ? geluTanhGrad(b, x, k) : geluErfGrad(b, x, k, c);
        return out(b.op('Mul', [x0(), d]));
      }
      case 'gatherGrad': {
        const { axis, size } = node.attrs;
        const outer = shapeSize(node.shape.slice(0, axis));
        const inner = shapeSize(node.shape.slice(axis + 1));
        const n = shapeSize(ins[1].shape);
        const idxShape = [outer, n, inner];
        const dy = b.op('Reshape', [x0(), shapeConst(idxShape)]);
        const idx64 = b.cast(ins[1].name, internalType(ins[1].dtype), OnnxType.INT64);
        const idx = b.op('Expand', [
          b.op('Reshape', [idx64, shapeConst([1, n, 1])]),
          shapeConst(idxShape),
        ]);
        const zeros = b.op(
          'ConstantOfShape',
          [shapeConst([outer, size, inner])],
          [attrT('value', { dims: [1], dataType: c, rawData: bytesOf(dataArray(c, [0])) })],
        );
        const acc = b.op(
          'ScatterElements',
          [zeros, idx, dy],
          [attrI('axis', 1), attrS('reduction', 'add')],
        );
        return out(b.op('Reshape', [acc, shapeConst(node.shape)]));
      }
      case 'sliceGrad': {
        const { begin, step } = node.attrs;
        const strides = stridesOf(node.shape);
        const dyShape = ins[0].shape;
        const offset = begin.reduce((s, v, i) => s + v * strides[i], 0);
        const targets = stridedOffsets(
          dyShape,
          strides.map((s, i) => s * step[i]),
          offset,
        );
        const t = internalType(node.dtype);
        const total = shapeSize(node.shape);
        const zeros = b.op(
          'ConstantOfShape',
          [shapeConst([total])],
          [attrT('value', { dims: [1], dataType: t, rawData: bytesOf(dataArray(t, [0])) })],
        );
        if (targets.length === 0) return b.op('Reshape', [zeros, shapeConst(node.shape)]);
        const flat = b.op('Reshape', [castVal(ins[0], node.dtype), shapeConst([targets.length])]);
        const idx = b.constant(OnnxType.INT64, [targets.length, 1], targets);
        const placed = b.op('ScatterND', [zeros, idx, flat]);
        return b.op('Reshape', [placed, shapeConst(node.shape)]);
      }
    }
  };

  const inputNames: string[] = [];
  const inputDtypes: DType[] = [];
  const inputs = graph.inputs.map((nodeIndex, k) => {
    const node = graph.nodes[nodeIndex];
    const name = `in${k}`;
    inputNames.push(name);
    inputDtypes.push(node.dtype);
    return valueInfo(name, boundaryType(node.dtype), node.shape);
  });
  const inputPos = new Map(graph.inputs.map((n, k) => [n, k]));
  graph.nodes.forEach((node, i) => {
    let name: string;
    if (node.op === 'input') {
      const k = inputPos.get(i);
      if (k === undefined) throw new Error(`ort compiler: input node ${i} is not in graph.inputs`);
      name = b.cast(`in${k}`, boundaryType(node.dtype), internalType(node.dtype));
    } else {
      name = lower(node, i);
    }
    vals.push({ name, dtype: node.dtype, shape: node.shape });
  });

  const outputNames: string[] = [];
  const outputDtypes: DType[] = [];
  const outputShapes: (readonly number[])[] = [];
  const outputs = [...graph.outputs, ...extraOutputs].map((nodeIndex, k) => {
    const node = graph.nodes[nodeIndex];
    const name = `out${k}`;
    const v = vals[nodeIndex];
    if (node.dtype === 'float16') b.op('Cast', [v.name], [attrI('to', OnnxType.FLOAT16)], name);
    else b.op('Identity', [v.name], [], name);
    outputNames.push(name);
    outputDtypes.push(node.dtype);
    outputShapes.push(node.shape);
    return valueInfo(name, boundaryType(node.dtype), node.shape);
  });

  const bytes = encodeModel({
    irVersion: IR_VERSION,
    producerName: 'mixprec',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'mixprec',
      node: b.nodes,
      initializer: b.initializers,
      input: inputs,
      output: outputs,
    },
  });
  return { bytes, inputNames, outputNames, inputDtypes, outputDtypes, outputShapes };
}

/** Element values of a storage array as the model holds them (halves decoded to fp32). */
function internalValues(data: ArrayLike<number>, dtype: DType): ArrayLike<number> {
  if (dtype === 'bfloat16') return bf16ToF32(data as Uint16Array);
  if (dtype === 'float16') return f16ToF32(data as Uint16Array);
  return data;
}

type K = (v: number) => string;
const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_C = 0.044715;

/** 1 / (1 + e^(−x)): ORT's own Sigmoid flushes small results (e.g. sigmoid(−18) to 0). */
function logistic(b: ModelBuilder, x: string, k: K): string {
  return b.op('Reciprocal', [b.op('Add', [b.op('Exp', [b.op('Neg', [x])]), k(1)])]);
}

/** Terms of the erf series in double: enough for |z| ≤ 6 (erf(6) is 1 in double). */
const ERF_TERMS = 140;

/**
 * erf in the compute type. ORT has a float Erf only; in double it is built from the positive
 * series erf(z) = (2/√π)·z·e^(−z²)·Σ (2z²)ⁿ / (1·3·…·(2n+1)) in Horner form, with |z| clamped
 * to 6 (where erf is 1 in double).
 */
function erfOf(b: ModelBuilder, z: string, k: K, c: number): string {
  if (c === OnnxType.FLOAT) return b.op('Erf', [z]);
  const a = b.op('Min', [b.op('Abs', [z]), k(6)]);
  const a2 = b.op('Mul', [a, a]);
  const q = b.op('Mul', [a2, k(2)]);
  let s = k(1);
  for (let n = ERF_TERMS; n >= 1; n--) {
    s = b.op('Add', [b.op('Mul', [b.op('Mul', [s, q]), k(1 / (2 * n + 1))]), k(1)]);
  }
  const mag = b.op('Mul', [
    b.op('Mul', [b.op('Mul', [a, b.op('Exp', [b.op('Neg', [a2])])]), s]),
    k(2 / Math.sqrt(Math.PI)),
  ]);
  return b.op('Mul', [mag, b.op('Sign', [z])]);
}

/** 0.5·x·(1 + erf(x/√2)). */
function geluErf(b: ModelBuilder, x: string, k: K, c: number): string {
  const e = erfOf(b, b.op('Mul', [x, k(SQRT1_2)]), k, c);
  return b.op('Mul', [b.op('Mul', [x, k(0.5)]), b.op('Add', [e, k(1)])]);
}

/** x / (1 + e^(−2u)), u = √(2/π)(x + 0.044715x³). */
function geluTanh(b: ModelBuilder, x: string, k: K): string {
  const u = geluU(b, x, k);
  const s = logistic(b, b.op('Mul', [u, k(2)]), k);
  return b.op('Mul', [x, s]);
}

function geluU(b: ModelBuilder, x: string, k: K): string {
  const x3 = b.op('Mul', [b.op('Mul', [x, x]), x]);
  return b.op('Mul', [b.op('Add', [x, b.op('Mul', [x3, k(GELU_C)])]), k(SQRT_2_OVER_PI)]);
}

/** Φ(x) + x·φ(x). */
function geluErfGrad(b: ModelBuilder, x: string, k: K, c: number): string {
  const cdf = b.op('Mul', [
    b.op('Add', [erfOf(b, b.op('Mul', [x, k(SQRT1_2)]), k, c), k(1)]),
    k(0.5),
  ]);
  const pdf = b.op('Mul', [
    b.op('Exp', [b.op('Mul', [b.op('Mul', [x, x]), k(-0.5)])]),
    k(INV_SQRT_2PI),
  ]);
  return b.op('Add', [cdf, b.op('Mul', [x, pdf])]);
}

/** s + 2x·s(1 − s)·u' with s = sigmoid(2u). */
function geluTanhGrad(b: ModelBuilder, x: string, k: K): string {
  const s = logistic(b, b.op('Mul', [geluU(b, x, k), k(2)]), k);
  const du = b.op('Mul', [
    b.op('Add', [b.op('Mul', [b.op('Mul', [x, x]), k(3 * GELU_C)]), k(1)]),
    k(SQRT_2_OVER_PI),
  ]);
  const oneMinus = b.op('Sub', [k(1), s]);
  const t = b.op('Mul', [b.op('Mul', [b.op('Mul', [x, k(2)]), s]), b.op('Mul', [oneMinus, du])]);
  return b.op('Add', [s, t]);
}
