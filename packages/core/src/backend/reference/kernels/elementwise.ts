import { allocStorage, type StorageArray } from '../../../dtype/dtypes.js';
import { shapeSize } from '../../../graph/graph.js';
import type { Kernel, Value } from '../kernel.js';
import { readNumbers, writeNumbers } from '../numbers.js';
import { broadcastData } from '../strided.js';

/**
 * Builders of the elementwise rows of the kernel table. Each element is computed in float64
 * from the (exactly decoded) input values and rounded once to the output dtype by
 * `writeNumbers`: for half inputs that is "computed in fp32 and rounded once", with f64 as the
 * wider intermediate; for integer dtypes results saturate to the dtype's range.
 */

/** Maps every element of `x` through `fn` and rounds once to `dtype`. */
export function mapUnary(x: Value, dtype: Value['dtype'], fn: (v: number) => number): StorageArray {
  const src = readNumbers(x.data, x.dtype);
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = fn(src[i]);
  return writeNumbers(out, dtype);
}

/** A one-input kernel computing `fn` per element. */
export function unary(fn: (v: number) => number): Kernel {
  return (node, [x]) => mapUnary(x, node.dtype, fn);
}

/**
 * A two-input kernel computing `fn` per element with numpy broadcasting. Also serves the
 * comparisons: `fn` returns 0 or 1 and the bool output stores it as is.
 */
export function binary(fn: (a: number, b: number) => number): Kernel {
  return (node, [a, b]) => {
    const x = readNumbers(broadcastData(a, node.shape), a.dtype);
    const y = readNumbers(broadcastData(b, node.shape), b.dtype);
    const out = new Float64Array(shapeSize(node.shape));
    for (let i = 0; i < out.length; i++) out[i] = fn(x[i], y[i]);
    return writeNumbers(out, node.dtype);
  };
}

/** where(cond, a, b): selects stored elements (bits are copied, nothing is rounded). */
export const where: Kernel<'where'> = (node, [cond, a, b]) => {
  const c = broadcastData(cond, node.shape);
  const x = broadcastData(a, node.shape);
  const y = broadcastData(b, node.shape);
  const out = allocStorage(node.dtype, c.length);
  for (let i = 0; i < out.length; i++) out[i] = c[i] !== 0 ? x[i] : y[i];
  return out;
};
