import { castModel, crossEntropy, fromArray, Linear, Sequential, setBackend } from '@mixprec/core';
import { expect, it } from 'vitest';
import { FlashAdamW } from './index.js';

// The README's example, kept runnable.
it('README example: a bf16 model with an fp32 head learns with FlashAdamW', async () => {
  await setBackend('reference');
  const model = castModel(new Sequential(new Linear(4, 16), new Linear(16, 2)), {
    dtype: 'bfloat16',
    fullPrecisionLayers: ['1'], // the head keeps fp32 weights and output
  });
  const opt = new FlashAdamW(model.parameters(), { lr: 1e-2 });
  const x = fromArray([
    [1, 0, 0, 1],
    [0, 1, 1, 0],
  ]).cast('bfloat16');
  const y = fromArray(new Int32Array([0, 1]));
  const losses: number[] = [];
  for (let step = 0; step < 50; step++) {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x), y);
    loss.backward();
    losses.push(await loss.item());
    await opt.step();
  }
  const master = await opt.getFp32ModelStateDict(model);
  expect(losses.at(-1)).toBeLessThan(losses[0] / 4);
  expect(model.parameters().map((p) => p.dtype)).toEqual([
    'bfloat16',
    'bfloat16',
    'float32',
    'float32',
  ]);
  expect(Object.values(master).every((t) => t.dtype === 'float32')).toBe(true);
});
