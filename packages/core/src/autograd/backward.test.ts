import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { fromArray } from '../tensor/creation.js';
import { realize, type Tensor } from '../tensor/tensor.js';

const f32 = (values: number[], shape?: number[]) =>
  fromArray(Float32Array.from(values), { shape: shape ?? [values.length] });
const values = async (t: Tensor | undefined) => {
  if (t === undefined) throw new Error('no gradient');
  await realize([t]);
  return Array.from(await t.data());
};

describe('requiresGrad_', () => {
  it('marks leaves; results of marked tensors require grad too', () => {
    const w = f32([1, 2]);
    const x = f32([3, 4]);
    expect(w.requiresGrad).toBe(false);
    expect(w.requiresGrad_()).toBe(w);
    expect(w.requiresGrad).toBe(true);
    expect(x.mul(w).sum().requiresGrad).toBe(true);
    expect(x.mul(2).requiresGrad).toBe(false);
    expect(w.gt(0).requiresGrad).toBe(false);
    w.requiresGrad_(false);
    expect(w.requiresGrad).toBe(false);
  });

  it('refuses computed tensors and non-floating leaves', async () => {
    const y = f32([1]).mul(2);
    expect(() => y.requiresGrad_()).toThrow(
      /requiresGrad_: a float32\[1\] tensor computed by 'mul' is not a leaf; expected an input or realized tensor/,
    );
    expect(() => fromArray(Int32Array.from([1])).requiresGrad_()).toThrow(
      /tensor has dtype int32; expected a floating dtype/,
    );
    // A realized value is a leaf: marking it is allowed (torch's detach().requires_grad_()).
    await realize([y]);
    expect(y.requiresGrad_().requiresGrad).toBe(true);
  });
});

describe('backward()', () => {
  it('writes .grad of every marked leaf, lazily and in the leaf dtype', async () => {
    const w = f32([1, 2, 3, 4], [2, 2]).requiresGrad_();
    const b = f32([0.5, -0.5]).requiresGrad_();
    const x = f32([1, -1, 2, 0.5], [2, 2]);
    x.cast('bfloat16').matmul(w.cast('bfloat16')).add(b.cast('bfloat16')).sum().backward();
    expect(w.grad?.dtype).toBe('float32');
    expect(w.grad?.isRealized).toBe(false);
    expect(x.grad).toBeUndefined();
    expect(await values(w.grad)).toEqual([3, 3, -0.5, -0.5]);
    expect(await values(b.grad)).toEqual([2, 2]);
  });

  it('accumulates into .grad across calls', async () => {
    const w = f32([2, 3]).requiresGrad_();
    w.mul(w).sum().backward();
    w.mul(5).sum().backward();
    expect(await values(w.grad)).toEqual([2 * 2 + 5, 2 * 3 + 5]);
    w.grad = undefined;
    w.sum().backward();
    expect(await values(w.grad)).toEqual([1, 1]);
  });

  it('takes gradOutput for non-scalar outputs', async () => {
    const w = f32([1, 2]).requiresGrad_();
    expect(() => w.mul(3).backward()).toThrow(/backward: output of shape \[2\] is not a scalar/);
    w.mul(3).backward(f32([1, -1]));
    expect(await values(w.grad)).toEqual([3, -3]);
  });

  it('throws when nothing the output depends on requires grad', () => {
    expect(() => f32([1, 2]).sum().backward()).toThrow(
      /does not depend on any tensor marked with requiresGrad_\(\)/,
    );
  });

  it('stops at marked leaves: a marked realized intermediate takes the gradient', async () => {
    const w = f32([1, 2]).requiresGrad_();
    const h = w.mul(3);
    await realize([h]);
    h.requiresGrad_();
    h.mul(h).sum().backward();
    expect(await values(h.grad)).toEqual([6, 12]);
    expect(w.grad).toBeUndefined();
  });

  it('realizes forward and backward of an MLP step in one backend run', async () => {
    const backend = createReferenceBackend();
    const x = f32([0.5, -1, 2, 0.25, 1, -0.5], [3, 2]);
    const w1 = f32([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [2, 3]).requiresGrad_();
    const w2 = f32([0.7, -0.8, 0.9], [3, 1]).requiresGrad_();
    const loss = x.matmul(w1).gelu().matmul(w2).pow(2).mean();
    loss.backward();
    await realize([loss, w1.grad as Tensor, w2.grad as Tensor], backend);
    expect(backend.stats.runs).toBe(1);
    expect(w1.grad?.isRealized).toBe(true);
    await backend.dispose();
  });
});
