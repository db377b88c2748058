import { leastUpperDtype } from '../dtype/promotion.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape, shapeSize } from '../graph/graph.js';
import { castTo } from './elementwise.js';
import { record } from './record.js';
import type { Tensor } from './tensor.js';

/** Normalizes a possibly negative axis for a rank, or throws naming the op. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new ShapeMismatchError(
      `${op}: axis ${axis} is out of range for rank ${rank}; expected ${-rank} <= axis < ${rank}`,
    );
  }
  return a;
}

/** `reshape` with one optional `-1` dim inferred from the element count. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const free = shape.filter((d) => d === -1).length;
  if (free > 1)
    throw new ShapeMismatchError(
      `reshape: shape ${formatShape(shape)} has ${free} dims of -1; expected at most one`,
    );
  let resolved = [...shape];
  if (free === 1) {
    const known = shapeSize(shape.filter((d) => d !== -1));
    const total = shapeSize(x.shape);
    if (known === 0 || total % known !== 0) {
      throw new ShapeMismatchError(
        `reshape: cannot reshape ${formatShape(x.shape)} (${total} elements) to ${formatShape(shape)}; expected the known dims to divide ${total}`,
      );
    }
    resolved = shape.map((d) => (d === -1 ? total / known : d));
  }
  return record('reshape', { shape: resolved }, [x]);
}

/** Swaps two axes (default: the last two). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const rank = x.shape.length;
  const a = normalizeAxis('transpose', dim0, rank);
  const b = normalizeAxis('transpose', dim1, rank);
  const perm = x.shape.map((_d, i) => i);
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return record('permute', { perm }, [x]);
}

/** Broadcasts to `shape`; `-1` keeps a dim. New leading dims may be added. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const offset = shape.length - x.shape.length;
  const resolved = shape.map((d, i) => (d === -1 && i >= offset ? x.shape[i - offset] : d));
  return record('expand', { shape: resolved }, [x]);
}

/**
 * Python-style slicing per axis: `begin`/`end` may be negative (counted from the end) and
 * are clamped to the dim; missing axes are taken whole; `step` must be positive.
 */
export function slice(
  x: Tensor,
  begin: readonly number[],
  end?: readonly number[],
  step?: readonly number[],
): Tensor {
  const rank = x.shape.length;
  if (begin.length > rank || (end && end.length > rank) || (step && step.length > rank)) {
    throw new ShapeMismatchError(
      `slice: ${begin.length} begin / ${end?.length ?? 0} end / ${step?.length ?? 0} step entries for shape ${formatShape(x.shape)}; expected at most ${rank}`,
    );
  }
  const clamp = (v: number, d: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
  const b = x.shape.map((d, i) => clamp(begin[i] ?? 0, d));
  const e = x.shape.map((d, i) => Math.max(clamp(end?.[i] ?? d, d), b[i]));
  const s = x.shape.map((_d, i) => step?.[i] ?? 1);
  return record('slice', { begin: b, end: e, step: s }, [x]);
}

/** Joins tensors along `axis` (promoting their dtypes). */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0)
    throw new ShapeMismatchError('concat: no tensors given; expected at least one');
  const dtype = tensors.map((t) => t.dtype).reduce(leastUpperDtype);
  const a = normalizeAxis('concat', axis, tensors[0].shape.length);
  return record(
    'concat',
    { axis: a },
    tensors.map((t) => castTo(t, dtype)),
  );
}
