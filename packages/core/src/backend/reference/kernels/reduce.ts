import { shapeSize, stridesOf } from '../../../graph/graph.js';
import type { Kernel } from '../kernel.js';
import { readNumbers, writeNumbers } from '../numbers.js';
import { stridedOffsets } from '../strided.js';

/**
 * sum / mean / max over normalized axes. Accumulation is in float64 and the result is rounded
 * once to the output dtype: at least as accurate as the fp32 accumulation every backend must do
 * (docs/precision.md#numeric-ground-rules)
 * (a sum of 4096 bf16 ones is exactly 4096, which a bf16 running sum could not reach).
 */

interface Reduction {
  readonly init: number;
  readonly step: (acc: number, v: number) => number;
  /** Turns the accumulator into the result, given how many elements went into it. */
  readonly finish?: (acc: number, count: number) => number;
}

/** A reduce kernel built from an accumulator rule. */
export function reduce(rule: Reduction): Kernel<'sum' | 'mean' | 'max'> {
  return (node, [x]) => {
    const { axes } = node.attrs;
    // Output index of every input element: the keepdims layout (same flat order as the
    // squeezed one) with stride 0 on the reduced axes.
    const keepShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const outStrides = stridesOf(keepShape).map((s, i) => (axes.includes(i) ? 0 : s));
    const target = stridedOffsets(x.shape, outStrides);
    const src = readNumbers(x.data, x.dtype);
    const acc = new Float64Array(shapeSize(keepShape)).fill(rule.init);
    for (let i = 0; i < src.length; i++) acc[target[i]] = rule.step(acc[target[i]], src[i]);
    if (rule.finish) {
      const count = axes.reduce((n, axis) => n * x.shape[axis], 1);
      for (let j = 0; j < acc.length; j++) acc[j] = rule.finish(acc[j], count);
    }
    return writeNumbers(acc, node.dtype);
  };
}

const add = (acc: number, v: number) => acc + v;

/** Sum (integer and bool inputs sum to int32, saturating). */
export const sum: Kernel<'sum'> = reduce({ init: 0, step: add });

/** Mean: the f64 sum divided by the element count, rounded once (0 elements give NaN). */
export const mean: Kernel<'mean'> = reduce({
  init: 0,
  step: add,
  finish: (acc, count) => acc / count,
});

/** Max, propagating NaN like torch: once the accumulator is NaN it stays NaN. */
export const max: Kernel<'max'> = reduce({
  init: Number.NEGATIVE_INFINITY,
  step: (acc, v) => (v > acc || Number.isNaN(v) ? v : acc),
});
