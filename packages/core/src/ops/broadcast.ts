import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';

/**
 * numpy broadcasting: shapes are aligned on the right; each pair of dims must be equal or one
 * of them 1. Throws naming the op and both shapes.
 */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeMismatchError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (dim ${i - rank} is ${da} vs ${db}); expected equal dims or 1`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Whether `from` broadcasts to `to` (numpy rules, one way): used by `expand` and by autograd
 * to sum gradients back to an input's shape.
 */
export function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  for (let i = 1; i <= from.length; i++) {
    const f = from[from.length - i];
    if (f !== 1 && f !== to[to.length - i]) return false;
  }
  return true;
}
