import { describe, expect, it } from 'vitest';
import { gradients } from '../autograd/gradients.js';
import type { LazyNode } from '../graph/node.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { linear } from './linear.js';
import { autocast, getAutocastDtype, isAutocastEnabled, withoutAutocast } from './state.js';

const f32 = (values: number[], shape: number[]) => fromArray(Float32Array.from(values), { shape });
const f64 = (values: number[], shape: number[]) => fromArray(Float64Array.from(values), { shape });
const floats = async (t: Tensor) => Array.from(await t.cast('float64').data());
/** bf16 round-to-nearest-even of a double, computed independently of mixprec's converters. */
const bf16 = (v: number) => {
  const u = new Uint32Array(Float32Array.of(v).buffer)[0];
  const r = (u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000;
  return new Float32Array(Uint32Array.of(r >>> 0).buffer)[0];
};
/** Every node reachable from `t`. */
function nodesOf(t: Tensor): LazyNode[] {
  const seen = new Set<LazyNode>();
  const stack = [t.node];
  while (stack.length > 0) {
    const n = stack.pop() as LazyNode;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.inputs);
  }
  return [...seen];
}

describe('autocast', () => {
  it('runs matmul and linear in bf16: fp32 inputs cast, output bf16, one rounding', async () => {
    const x = f32([1.001, 2, 3, 4], [2, 2]);
    const w = f32([0.5, 0.25, -1, 3.0001], [2, 2]);
    const b = f32([0.1, -0.2], [2]);
    const [mm, lin] = autocast('bfloat16', () => [x.matmul(w), linear(x, w, b)]);
    expect(mm.dtype).toBe('bfloat16');
    expect(lin.dtype).toBe('bfloat16');
    // y[i][j] = Σ bf16(x[i][k]) bf16(w[j][k]) + bf16(b[j]), rounded once to bf16.
    const xs = [1.001, 2, 3, 4].map(bf16);
    const ws = [0.5, 0.25, -1, 3.0001].map(bf16);
    const bs = [0.1, -0.2].map(bf16);
    const expected = [0, 1].flatMap((i) =>
      [0, 1].map((j) => bf16(xs[2 * i] * ws[2 * j] + xs[2 * i + 1] * ws[2 * j + 1] + bs[j])),
    );
    expect(await floats(lin)).toEqual(expected);
  });

  it('runs softmax / log / exp / sum of a bf16 tensor in fp32 (cuda lists), not on the cpu list', () => {
    const h = f32([0.5, 1.5], [2]).cast('bfloat16');
    const outs = autocast('bfloat16', () => [h.softmax(0), h.log(), h.exp(), h.sum()]);
    for (const t of outs) expect(t.dtype).toBe('float32');
    const cpu = autocast('bfloat16', () => [h.softmax(0), h.exp()], { device: 'cpu' });
    for (const t of cpu) expect(t.dtype).toBe('bfloat16');
  });

  it('promotes mixed inputs of add to the widest dtype', () => {
    const a = f32([1, 2], [2]).cast('bfloat16');
    const b = f32([3, 4], [2]);
    expect(autocast('bfloat16', () => a.add(b)).dtype).toBe('float32');
    expect(autocast('float16', () => a.add(b.cast('float16'))).dtype).toBe('float32');
  });

  it('nests: an inner region overrides, a disabled inner region turns casting off, state is restored', () => {
    const a = f32([1, 2, 3, 4], [2, 2]);
    expect(isAutocastEnabled()).toBe(false);
    autocast('bfloat16', () => {
      expect(getAutocastDtype()).toBe('bfloat16');
      expect(autocast('float16', () => a.matmul(a)).dtype).toBe('float16');
      expect(autocast('bfloat16', () => a.matmul(a), { enabled: false }).dtype).toBe('float32');
      expect(withoutAutocast(() => a.matmul(a)).dtype).toBe('float32');
      expect(a.matmul(a).dtype).toBe('bfloat16');
    });
    expect(isAutocastEnabled()).toBe(false);
    expect(getAutocastDtype()).toBeUndefined();
    expect(a.matmul(a).dtype).toBe('float32');
  });

  it('restores the previous state when fn throws, and rethrows', () => {
    expect(() =>
      autocast('bfloat16', () => {
        autocast('float16', () => {
          throw new Error('boom');
        });
      }),
    ).toThrow('boom');
    expect(isAutocastEnabled()).toBe(false);
    autocast('bfloat16', () => {
      expect(() => autocast('float16', () => f32([1], [1]).reshape([2]))).toThrow();
      expect(getAutocastDtype()).toBe('bfloat16');
    });
  });

  it('rejects a dtype that is not bf16/fp16, naming it', () => {
    expect(() => autocast('float32' as 'bfloat16', () => 0)).toThrow(/'float32'/);
  });

  it('shares one cast node per fp32 leaf and dtype within a region; cleared at outermost exit', () => {
    const w = f32([1, 2, 3, 4], [2, 2]);
    const [y1, y2] = autocast('bfloat16', () => {
      const first = f32([1, 0, 0, 1], [2, 2]).matmul(w);
      const second = autocast('bfloat16', () => f32([2, 0, 0, 2], [2, 2]).matmul(w));
      return [first, second];
    });
    const c1 = y1.node.inputs[1];
    expect(c1.op).toBe('cast');
    expect(c1.inputs[0]).toBe(w.node);
    expect(y2.node.inputs[1]).toBe(c1);
    const y3 = autocast('bfloat16', () => f32([1, 0, 0, 1], [2, 2]).matmul(w));
    expect(y3.node.inputs[1]).not.toBe(c1);
    const y4 = autocast('bfloat16', () => f32([1, 0, 0, 1], [2, 2]).matmul(w), {
      cacheEnabled: false,
    });
    expect(y4.node.inputs[1]).not.toBe(y3.node.inputs[1]);
  });

  it('never autocasts fp64 or integer inputs, and never rewrites explicit casts', () => {
    const d = f64([1, 2, 3, 4], [2, 2]);
    const [mm, sm] = autocast('bfloat16', () => [d.matmul(d), d.softmax(1)]);
    expect(mm.dtype).toBe('float64');
    expect(sm.dtype).toBe('float64');
    expect(nodesOf(mm).some((n) => n.op === 'cast')).toBe(false);
    const h = autocast('bfloat16', () => f32([1.5], [1]).cast('float16'));
    expect(h.dtype).toBe('float16');
    expect(h.node.op).toBe('cast');
  });

  it('gives fp32 gradients for fp32 leaves; the backward graph gets no autocast casts', async () => {
    const xv = [0.3, -1.7, 2.2, 0.9];
    const wv = [1.1, -0.4, 0.7, 2.05];
    const x = f32(xv, [2, 2]);
    const w = f32(wv, [2, 2]);
    const out = autocast('bfloat16', () => x.matmul(w));
    const loss = out.cast('float32').sum();
    const forward = new Set(nodesOf(loss));
    const [gw] = gradients(loss, [w]);
    expect(gw.dtype).toBe('float32');
    const backwardNodes = nodesOf(gw).filter((n) => !forward.has(n));
    // The only casts are the vjp rules' own (seed and grads back to leaf dtype), so no
    // backward cast takes an fp32 value to bf16 except the output's gradient seed.
    const narrowing = backwardNodes.filter(
      (n) => n.op === 'cast' && n.dtype === 'bfloat16' && n.inputs[0].dtype === 'float32',
    );
    expect(narrowing.length).toBe(1);
    // dL/dw[k][j] = Σ_i bf16(x[i][k]), rounded once to bf16 (the bf16 matmul of ones and x).
    const xs = xv.map(bf16);
    expect(await floats(gw)).toEqual([
      bf16(xs[0] + xs[2]),
      bf16(xs[0] + xs[2]),
      bf16(xs[1] + xs[3]),
      bf16(xs[1] + xs[3]),
    ]);
  });

  it('gradients() called inside a region records the backward pass without autocast', () => {
    const x = f32([0.3, -1.7, 2.2, 0.9], [2, 2]);
    const w = f32([1.1, -0.4, 0.7, 2.05], [2, 2]);
    const loss = x.matmul(w).sum(); // fp32 forward, outside any region
    const forward = new Set(nodesOf(loss));
    const [gw] = autocast('bfloat16', () => gradients(loss, [w]));
    expect(gw.dtype).toBe('float32');
    const added = nodesOf(gw).filter((n) => !forward.has(n));
    expect(added.some((n) => n.dtype === 'bfloat16')).toBe(false);
  });
});
