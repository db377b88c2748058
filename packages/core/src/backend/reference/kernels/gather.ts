import { allocStorage } from '../../../dtype/dtypes.js';
import { MixprecError } from '../../../errors/mixprec-error.js';
import { formatShape, shapeSize } from '../../../graph/graph.js';
import type { Kernel } from '../kernel.js';

/**
 * gather(data, indices) along `axis`: out[pre, idx…, post] = data[pre, indices[idx…], post],
 * so out.shape = data.shape[:axis] + indices.shape + data.shape[axis+1:]. Elements are copied
 * as stored bits. Indices must lie in [0, dim): negative indices are not wrapped (the tensor
 * layer normalizes them), and an index out of range throws naming the index and the dim.
 */
export const gather: Kernel<'gather'> = (node, [x, indices]) => {
  const { axis } = node.attrs;
  const dim = x.shape[axis];
  const outer = shapeSize(x.shape.slice(0, axis));
  const inner = shapeSize(x.shape.slice(axis + 1));
  const idx = indices.data;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (!(i >= 0 && i < dim)) {
      throw new MixprecError(
        `gather: index ${i} at position ${k} of 'indices' ${formatShape(indices.shape)} is out of range for axis ${axis} of size ${dim} in data ${formatShape(x.shape)}; expected 0 <= index < ${dim}`,
      );
    }
  }
  const out = allocStorage(node.dtype, outer * idx.length * inner);
  const src = x.data;
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < idx.length; k++) {
      const from = (o * dim + idx[k]) * inner;
      for (let j = 0; j < inner; j++) out[at++] = src[from + j];
    }
  }
  return out;
};
