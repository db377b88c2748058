import { floatDtypeFor, leastUpperDtype } from '../dtype/promotion.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { castTo } from './elementwise.js';
import { record } from './record.js';
import { normalizeAxis } from './shape-ops.js';
import type { Tensor } from './tensor.js';

/** Records sum/mean/max over `axes` (negative allowed; all axes when omitted). */
export function reduceOp(
  op: 'sum' | 'mean' | 'max',
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepdims: boolean,
): Tensor {
  const list =
    axes === undefined ? x.shape.map((_d, i) => i) : typeof axes === 'number' ? [axes] : axes;
  const normalized = [...new Set(list.map((a) => normalizeAxis(op, a, x.rank)))].sort(
    (a, b) => a - b,
  );
  if (normalized.length !== list.length) {
    throw new ShapeMismatchError(
      `${op}: axes [${list.join(',')}] repeat an axis for rank ${x.rank}; expected distinct axes`,
    );
  }
  const input = op === 'mean' ? castTo(x, floatDtypeFor(x.dtype)) : x;
  return record(op, { axes: normalized, keepdims }, [input]);
}

/** Records softmax / logSoftmax along `axis`, computing in a float dtype. */
export function normalizeOp(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  return record(op, { axis: normalizeAxis(op, axis, x.rank) }, [castTo(x, floatDtypeFor(x.dtype))]);
}

/** Records a batched matmul after promoting both operands to one float dtype. */
export function matmulOp(a: Tensor, b: Tensor): Tensor {
  const dtype = floatDtypeFor(leastUpperDtype(a.dtype, b.dtype));
  return record('matmul', {}, [castTo(a, dtype), castTo(b, dtype)]);
}

/** Records a gather along `axis`. */
export function gatherOp(x: Tensor, indices: Tensor, axis: number): Tensor {
  return record('gather', { axis: normalizeAxis('gather', axis, x.rank) }, [x, indices]);
}
