import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { Parameter } from '../nn/parameter.js';
import { fromArray } from '../tensor/creation.js';
import { SGD } from './sgd.js';

describe('Optimizer with Parameter and backward()', () => {
  it('steps on gradients from loss.backward(), realizing the gradient in one backend run', async () => {
    const backend = createReferenceBackend();
    const w = new Parameter([1, -2, 3]);
    await w.realize(backend);
    const x = fromArray([0.5, 0.25, -1]);
    const opt = new SGD([w], { lr: 0.5 });
    // loss = Σ (w·x)²  →  dloss/dw = 2·w·x²
    const loss = w.mul(x).mul(w.mul(x)).sum();
    loss.backward();
    const before = backend.stats.runs;
    await opt.step();
    expect(backend.stats.runs - before).toBe(1);
    const expected = [1, -2, 3].map((v, i) => v - 0.5 * 2 * v * [0.5, 0.25, -1][i] ** 2);
    expect(Array.from(await w.data())).toEqual(expected);
    opt.zeroGrad();
    expect(w.grad).toBeUndefined();
  });
});
