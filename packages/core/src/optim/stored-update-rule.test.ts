import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { DtypeError } from '../errors/dtype-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { fromArray, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { registerUpdateRule, type StoredUpdateContext } from './host-optimizer-step.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

/**
 * A toy optimizer whose state is not parameter-shaped: an int8 count per element and one
 * float16 "scale" per pair of elements. The rule sees the stored arrays as they are.
 */
const seen: StoredUpdateContext[] = [];
registerUpdateRule('toy-stored', {
  hyper: { lr: undefined },
  updateStored(ctx) {
    seen.push(ctx);
    const p = ctx.param.data as Float32Array;
    const g = ctx.grad.data as Float32Array;
    const counts = ctx.state.counts.data as Int8Array;
    for (let i = 0; i < p.length; i++) {
      p[i] -= ctx.num('lr') * g[i];
      counts[i] += 1;
    }
  },
});

class Toy extends Optimizer<{ lr: number }> {
  constructor(params: Tensor[]) {
    super(
      params,
      { lr: 0.5 },
      {
        name: 'Toy',
        algorithm: 'toy-stored',
        validate: () => {},
        hyper: (g: ParamGroup<{ lr: number }>) => ({ lr: g.lr }),
        stateNames: () => [],
        stateLayout: (_g, p) => [
          { name: 'counts', dtype: 'int8', shape: p.shape },
          { name: 'scales', dtype: 'float16', shape: [Math.ceil(p.size / 2)] },
        ],
      },
    );
  }
}

describe('optimizer state layouts and stored update rules', () => {
  it('creates zero state of the layout dtypes and shapes and hands the rule the stored arrays', async () => {
    const backend = createReferenceBackend();
    const p = await fromArray([1, 2, 3]).realize(backend);
    p.grad = fromArray([1, 1, 1]);
    const opt = new Toy([p]);
    await opt.step();
    await opt.step();
    const state = opt.stateOf(p)!;
    expect([state.counts.dtype, state.counts.shape]).toEqual(['int8', [3]]);
    expect([state.scales.dtype, state.scales.shape]).toEqual(['float16', [2]]);
    expect(Array.from(await state.counts.raw())).toEqual([2, 2, 2]);
    expect(Array.from(await p.data())).toEqual([0, 1, 2]);
    expect(seen.at(-1)?.state.scales.data).toBeInstanceOf(Uint16Array);
    expect(seen.at(-1)?.step).toBe(2);
  });

  it('checks loaded state against the layout, naming the entry and the expectation', async () => {
    const p = fromArray([1, 2, 3]);
    const opt = new Toy([p]);
    const sd = (tensors: Record<string, Tensor>) => ({
      state: { 0: { step: 1, ...tensors } },
      param_groups: [{ lr: 0.5, params: [0] }],
    });
    const counts = zeros([3], { dtype: 'int8' });
    await expect(
      opt.loadStateDict(sd({ counts, scales: zeros([3], { dtype: 'float16' }) })),
    ).rejects.toThrow(ShapeMismatchError);
    await expect(
      opt.loadStateDict(sd({ counts, scales: zeros([2], { dtype: 'float32' }) })),
    ).rejects.toThrow(
      new DtypeError('Toy.loadStateDict: state[0].scales is float32; expected float16'),
    );
    await opt.loadStateDict(sd({ counts, scales: zeros([2], { dtype: 'float16' }) }));
    expect(opt.paramStep(p)).toBe(1);
  });
});
