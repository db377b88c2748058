import { DTYPES, type DType } from '../dtype/dtypes.js';
import { dtypeWithScalar, floatDtypeFor, leastUpperDtype } from '../dtype/promotion.js';
import { LazyNode } from '../graph/node.js';
import type { OpName } from '../ops/catalogue.js';
import { record } from './record.js';
import { Tensor } from './tensor.js';

/** A tensor or a JS number (numbers are weak scalars: they take the tensor's dtype). */
export type TensorLike = Tensor | number;

type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
type FloatUnaryOp = 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'sigmoid';

/** A 0-d tensor holding `value` in `dtype`. */
export function scalar(value: number, dtype: DType): Tensor {
  return new Tensor(new LazyNode('full', [], { value }, [], dtype));
}

/** Casts unless the dtype already matches (a cast to the same dtype records nothing). */
export function castTo(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : record('cast', { dtype }, [x]);
}

/** Brings two operands to one dtype: tensors by `leastUpperDtype`, numbers weakly. */
export function promotePair(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new TypeError('promotePair: both operands are numbers; expected at least one tensor');
  }
  if (typeof b === 'number') {
    const ta = a as Tensor;
    const dtype = dtypeWithScalar(ta.dtype, b);
    return [castTo(ta, dtype), scalar(b, dtype)];
  }
  if (typeof a === 'number') {
    const dtype = dtypeWithScalar(b.dtype, a);
    return [scalar(a, dtype), castTo(b, dtype)];
  }
  const dtype = leastUpperDtype(a.dtype, b.dtype);
  return [castTo(a, dtype), castTo(b, dtype)];
}

/** Records a binary arithmetic op with promotion; `div` and `pow` of integers compute in float32. */
export function binaryOp(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = promotePair(a, b);
  if ((op === 'div' || op === 'pow') && !DTYPES[x.dtype].isFloat) {
    x = castTo(x, 'float32');
    y = castTo(y, 'float32');
  }
  return record(op, {}, [x, y]);
}

/** Records a comparison (bool result) after promotion. */
export function compareOp(op: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = promotePair(a, b);
  return record(op, {}, [x, y]);
}

/** Records a float-only unary op; integer inputs are first cast to float32. */
export function floatUnaryOp(op: FloatUnaryOp, x: Tensor): Tensor {
  return record(op, {}, [castTo(x, floatDtypeFor(x.dtype))]);
}

/** Records a unary op that keeps the dtype. */
export function unaryOp(op: Extract<OpName, 'neg' | 'abs' | 'relu'>, x: Tensor): Tensor {
  return record(op, {}, [x]);
}

/** `cond ? a : b` element-wise with broadcasting; `cond` must be bool. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = promotePair(a, b);
  return record('where', {}, [cond, x, y]);
}
