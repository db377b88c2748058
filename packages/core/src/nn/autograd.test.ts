import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../backend/default-registry.js';
import { fromArray, randn } from '../tensor/creation.js';
import { realize } from '../tensor/tensor.js';
import { manualSeed } from '../util/random.js';
import { expectClose, values } from './__fixtures__/expect-close.js';
import { Conv1d } from './conv1d.js';
import { Linear } from './linear.js';
import { crossEntropy } from './losses.js';
import { Parameter } from './parameter.js';

beforeAll(async () => {
  await setBackend('reference');
  manualSeed(99);
});

describe('parameters and autograd', () => {
  it('parameters require grad by default; the option turns it off', () => {
    expect(new Parameter([1, 2]).requiresGrad).toBe(true);
    expect(new Parameter([1, 2], { requiresGrad: false }).requiresGrad).toBe(false);
    expect(new Linear(2, 2).parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('Linear gradients: dW[o][i] = Σ_r x[r][i], db[o] = rows (loss = sum of outputs)', async () => {
    const lin = new Linear(3, 2);
    const x = randn([4, 3], { seed: 4 });
    lin.forward(x).sum().backward();
    await realize([lin.weight.grad!, lin.bias!.grad!]);
    const xv = await values(x);
    const colSums = [0, 1, 2].map((i) =>
      xv.filter((_v, k) => k % 3 === i).reduce((a, v) => a + v, 0),
    );
    expectClose(await values(lin.weight.grad!), [...colSums, ...colSums], 1e-5);
    expect(await values(lin.bias!.grad!)).toEqual([4, 4]);
  });

  it('to(bfloat16) on a fresh model keeps parameters trainable at once (host data converts)', async () => {
    const lin = new Linear(3, 2).to('bfloat16');
    expect(lin.parameters().every((p) => p.requiresGrad)).toBe(true);
    lin
      .forward(randn([2, 3], { seed: 1, dtype: 'bfloat16' }))
      .sum()
      .backward();
    expect(lin.weight.grad?.dtype).toBe('bfloat16');
    expect(await values(lin.bias!.grad!)).toEqual([2, 2]);
  });

  it('to() of realized parameters marks the new values once they are realized', async () => {
    const lin = new Linear(3, 2);
    await realize(lin.parameters());
    lin.to('float16');
    await realize(lin.parameters());
    expect(lin.parameters().every((p) => p.requiresGrad)).toBe(true);
    lin
      .forward(randn([5, 3], { seed: 2, dtype: 'float16' }))
      .sum()
      .backward();
    expect(await values(lin.bias!.grad!)).toEqual([5, 5]);
  });

  it('Conv1d weight gradient matches an f64 loop (stride 2, padding 1, dilation 2)', async () => {
    const conv = new Conv1d(2, 3, 3, { stride: 2, padding: 1, dilation: 2 });
    const x = randn([2, 2, 9], { seed: 6 });
    const y = conv.forward(x);
    const r = randn(y.shape, { seed: 7 });
    y.mul(r).sum().backward();
    const [xv, rv] = [await values(x), await values(r)];
    const tOut = y.shape[2];
    const want: number[] = [];
    for (let o = 0; o < 3; o++) {
      for (let c = 0; c < 2; c++) {
        for (let k = 0; k < 3; k++) {
          let acc = 0;
          for (let b = 0; b < 2; b++) {
            for (let t = 0; t < tOut; t++) {
              const pos = t * 2 + k * 2 - 1;
              if (pos >= 0 && pos < 9)
                acc += rv[(b * 3 + o) * tOut + t] * xv[(b * 2 + c) * 9 + pos];
            }
          }
          want.push(acc);
        }
      }
    }
    expectClose(await values(conv.weight.grad!), want, 1e-5);
  });

  it('crossEntropy gradient is (softmax - onehot) / count over non-ignored rows', async () => {
    const logits = randn([3, 4], { seed: 8 });
    await logits.realize();
    logits.requiresGrad_();
    crossEntropy(logits, fromArray(new Int32Array([1, -100, 3]))).backward();
    const lv = await values(logits);
    const want = [0, 1, 2].flatMap((r) => {
      const row = lv.slice(r * 4, r * 4 + 4);
      const z = row.reduce((a, v) => a + Math.exp(v), 0);
      const label = [1, -100, 3][r];
      if (label < 0) return [0, 0, 0, 0];
      return row.map((v, c) => (Math.exp(v) / z - (c === label ? 1 : 0)) / 2);
    });
    expectClose(await values(logits.grad!), want, 1e-5);
  });
});
