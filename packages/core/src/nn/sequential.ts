import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** Chains modules; children are named `'0'`, `'1'`, … as in torch (`'0.weight'`). */
export class Sequential extends Module {
  readonly #modules: readonly Module[];

  constructor(...modules: Module[]) {
    super();
    this.#modules = modules;
    // Index-named own fields so field discovery names the children '0', '1', ….
    for (const [i, m] of modules.entries()) {
      Object.defineProperty(this, String(i), { value: m, enumerable: true });
    }
  }

  /** Number of modules. */
  get length(): number {
    return this.#modules.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module | undefined {
    return this.#modules.at(index);
  }

  /** Iterates the modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.#modules[Symbol.iterator]();
  }

  /** Feeds `x` through every module in order. */
  override forward(x: Tensor): Tensor {
    return this.#modules.reduce((h, m) => m.forward(h), x);
  }
}
