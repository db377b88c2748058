import { shapeSize } from '../../../graph/graph.js';
import type { Kernel } from '../kernel.js';
import { readNumbers, writeNumbers } from '../numbers.js';

/**
 * softmax and logSoftmax along one axis, max-subtracted, entirely in float64 and rounded once
 * to the output dtype. A NaN anywhere in a row makes the whole row NaN (as in torch), and a
 * row of all −∞ gives NaN (−∞ − −∞), also as in torch.
 */

function normalize(log: boolean): Kernel<'softmax' | 'logSoftmax'> {
  return (node, [x]) => {
    const { axis } = node.attrs;
    const len = x.shape[axis];
    const inner = shapeSize(x.shape.slice(axis + 1));
    const outer = shapeSize(x.shape.slice(0, axis));
    const src = readNumbers(x.data, x.dtype);
    const out = new Float64Array(src.length);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * len * inner + j;
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < len; k++) {
          const v = src[base + k * inner];
          if (v > max || Number.isNaN(v)) max = v;
          if (Number.isNaN(max)) break;
        }
        let sum = 0;
        for (let k = 0; k < len; k++) {
          const e = Math.exp(src[base + k * inner] - max);
          out[base + k * inner] = e;
          sum += e;
        }
        const logSum = Math.log(sum);
        for (let k = 0; k < len; k++) {
          const at = base + k * inner;
          out[at] = log ? src[at] - max - logSum : out[at] / sum;
        }
      }
    }
    return writeNumbers(out, node.dtype);
  };
}

/** softmax(x) = exp(x − max) / Σ exp(x − max). */
export const softmax: Kernel<'softmax'> = normalize(false);

/** logSoftmax(x) = x − max − log Σ exp(x − max): no log of a rounded softmax, so no underflow to −∞. */
export const logSoftmax: Kernel<'logSoftmax'> = normalize(true);
