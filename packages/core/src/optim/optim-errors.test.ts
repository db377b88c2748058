import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { BackendError } from '../errors/backend-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { fromArray, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import { SGD } from './sgd.js';

const p = () => zeros([2]);

describe('constructor validation (torch messages)', () => {
  it.each([
    [() => new SGD([p()], { lr: -1 }), 'SGD: Invalid learning rate: -1; expected lr >= 0'],
    [() => new SGD([p()], { lr: Number.NaN }), 'SGD: Invalid learning rate: NaN'],
    [() => new SGD([p()], { momentum: -0.5 }), 'SGD: Invalid momentum value: -0.5'],
    [() => new SGD([p()], { weight_decay: -1 }), 'SGD: Invalid weight_decay value: -1'],
    [
      () => new SGD([p()], { nesterov: true }),
      'SGD: Nesterov momentum requires a momentum and zero dampening; got momentum 0, dampening 0',
    ],
    [
      () => new SGD([p()], { nesterov: true, momentum: 0.9, dampening: 0.1 }),
      'Nesterov momentum requires a momentum and zero dampening',
    ],
    [() => new Adam([p()], { lr: -1 }), 'Adam: Invalid learning rate: -1'],
    [() => new Adam([p()], { eps: -1e-8 }), 'Adam: Invalid epsilon value: -1e-8'],
    [
      () => new Adam([p()], { betas: [1, 0.999] }),
      'Adam: Invalid beta parameter at index 0: 1; expected 0 <= beta1 < 1',
    ],
    [() => new AdamW([p()], { betas: [0.9, -0.1] }), 'AdamW: Invalid beta parameter at index 1'],
    [() => new AdamW([p()], { weight_decay: -0.01 }), 'AdamW: Invalid weight_decay value: -0.01'],
    [
      () => new Adam([p()], { amsgrad: true }),
      'Adam: amsgrad=true is not supported; expected amsgrad false',
    ],
    [
      () => new SGD([p()], { lr: '0.1' as unknown as number }),
      `SGD: hyper-parameter 'lr' is "0.1"; expected a number`,
    ],
    [() => new SGD([]), 'SGD: got an empty parameter list'],
    [() => new SGD(p() as unknown as Tensor[]), 'SGD: params is a Tensor; expected an iterable'],
    [
      () => {
        const a = p();
        return new SGD([{ params: [a] }, { params: [a], lr: 1 }]);
      },
      'some parameters appear in more than one parameter group',
    ],
    [
      () => {
        const a = p();
        return new SGD([a, a]);
      },
      'parameter group 0 lists a parameter twice',
    ],
    [() => new SGD([{ params: [p()], lr: -2 }]), 'SGD: Invalid learning rate: -2'],
  ])('%#: throws %s', (make, message) => {
    expect(make).toThrow(MixprecError);
    expect(make).toThrow(message);
  });

  it('AdamW defaults weight_decay to 0.01 and Adam to 0', () => {
    expect(new AdamW([p()]).defaults.weight_decay).toBe(0.01);
    expect(new Adam([p()]).defaults.weight_decay).toBe(0);
    expect(new Adam([p()], { weight_decay: undefined }).defaults.weight_decay).toBe(0);
  });
});

describe('step and zeroGrad errors and edge cases', () => {
  it('rejects a gradient of another shape', async () => {
    const opt = new SGD([p()]);
    opt.paramGroups[0].params[0].grad = fromArray([1, 2, 3]);
    await expect(opt.step()).rejects.toThrow(ShapeMismatchError);
    await expect(opt.step()).rejects.toThrow(
      "grad of parameter 0 has shape [3]; expected the parameter's [2]",
    );
  });

  it('rejects a parameter and a gradient on different backends', async () => {
    const a = await p().realize(createReferenceBackend({ name: 'left' }));
    a.grad = await fromArray([1, 1]).realize(createReferenceBackend({ name: 'right' }));
    await expect(new SGD([a]).step()).rejects.toThrow(BackendError);
    await expect(new SGD([a]).step()).rejects.toThrow(
      "parameter 0 lives on backend 'left' but its grad on 'right'",
    );
  });

  it('zeroGrad drops and frees gradients, but never a parameter and a shared grad once', async () => {
    const backend = createReferenceBackend();
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => p().realize(backend)));
    const shared = await fromArray([1, 1]).realize(backend);
    a.grad = shared;
    b.grad = shared;
    c.grad = a; // pathological: a parameter used as a gradient
    const opt = new SGD([a, b, c]);
    const live = backend.memory().storages;
    opt.zeroGrad();
    expect([a.grad, b.grad, c.grad]).toEqual([undefined, undefined, undefined]);
    expect(backend.memory().storages).toBe(live - 1);
    expect(Array.from(await a.data())).toEqual([0, 0]);
  });

  it('zeroGrad({ dispose: false }) only drops the references', async () => {
    const backend = createReferenceBackend();
    const a = await p().realize(backend);
    const g = await fromArray([1, 1]).realize(backend);
    a.grad = g;
    new SGD([a]).zeroGrad({ dispose: false });
    expect(a.grad).toBeUndefined();
    expect(Array.from(await g.data())).toEqual([1, 1]);
  });

  it('step(closure) runs the closure first and returns its value', async () => {
    const opt = new SGD([p()]);
    await expect(opt.step(() => 42)).resolves.toBe(42);
    expect(opt.stepCount).toBe(1);
  });
});
