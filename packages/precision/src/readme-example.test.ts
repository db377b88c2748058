import {
  AdamW,
  crossEntropy,
  fromArray,
  Linear,
  type Module,
  Sequential,
  setBackend,
  Trainer,
} from '@mixprec/core';
import { expect, it } from 'vitest';
import { createPrecisionPlugin } from './precision-strings.js';

// The README's example, kept runnable.
it('README example trains with bf16-true and an fp32 front end', async () => {
  await setBackend('reference');
  const precision = createPrecisionPlugin('bf16-true', { keepFp32: ['0.*'] });
  const model = new Sequential(new Linear(4, 8), new Linear(8, 2));
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  const x = fromArray([
    [1, 0, 0, 1],
    [0, 1, 1, 0],
  ]);
  const batch = { x, y: fromArray(new Int32Array([0, 1])) };
  const step = (m: Module, b: typeof batch) => ({
    loss: crossEntropy(m.forward(b.x).cast('float32'), b.y),
    count: 2,
  });
  const trainer = new Trainer({ precision, maxSteps: 20 });
  const summary = await trainer.fit({ model, optimizer, step, trainData: () => [batch] });
  expect(summary.lastTrain?.loss).toBeLessThan(0.5);
  expect(model.parameters().map((p) => p.dtype)).toEqual([
    'float32',
    'float32',
    'bfloat16',
    'bfloat16',
  ]);
});
