import { allocStorage } from '../../../dtype/dtypes.js';
import { shapeSize, stridesOf } from '../../../graph/graph.js';
import type { Kernel } from '../kernel.js';
import { gatherElements, stridedOffsets } from '../strided.js';

/** Layout kernels that copy stored bits: nothing here rounds. */

/**
 * slice with per-axis begin/end/step (already clamped by the tensor layer): a strided view
 * starting at Σ begin·stride with strides multiplied by the steps.
 */
export const slice: Kernel<'slice'> = (node, [x]) => {
  const { begin, step } = node.attrs;
  const strides = stridesOf(x.shape);
  const offset = begin.reduce((sum, b, i) => sum + b * strides[i], 0);
  const stepped = strides.map((s, i) => s * step[i]);
  return gatherElements(x, stridedOffsets(node.shape, stepped, offset));
};

/**
 * concat along `axis`: for each index of the dims before `axis`, the inputs' contiguous
 * blocks (their `axis` dim times everything after it) are copied one after another.
 */
export const concat: Kernel<'concat'> = (node, inputs) => {
  const { axis } = node.attrs;
  const out = allocStorage(node.dtype, shapeSize(node.shape));
  const outer = shapeSize(node.shape.slice(0, axis));
  const inner = shapeSize(node.shape.slice(axis + 1));
  const outBlock = node.shape[axis] * inner;
  let start = 0;
  for (const x of inputs) {
    const block = x.shape[axis] * inner;
    for (let o = 0; o < outer; o++) {
      out.set(x.data.subarray(o * block, (o + 1) * block), o * outBlock + start);
    }
    start += block;
  }
  return out;
};
