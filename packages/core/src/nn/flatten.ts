import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** Merges dims `startDim..endDim` into one (default: all but the batch dim), like torch. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  override forward(x: Tensor): Tensor {
    const start = this.startDim < 0 ? this.startDim + x.rank : this.startDim;
    const end = this.endDim < 0 ? this.endDim + x.rank : this.endDim;
    const merged = x.shape.slice(start, end + 1).reduce((a, d) => a * d, 1);
    return x.reshape([...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
  }
}
