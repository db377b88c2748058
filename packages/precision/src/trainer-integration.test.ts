import {
  AdamW,
  createReferenceBackend,
  crossEntropy,
  fromArray,
  GELU,
  Linear,
  type Module,
  manualSeed,
  Random,
  Sequential,
  type StepOutput,
  type Tensor,
  Trainer,
} from '@mixprec/core';
import { describe, expect, it } from 'vitest';
import { createPrecisionPlugin } from './precision-strings.js';

interface Batch {
  readonly x: Tensor;
  readonly y: Tensor;
}

/** Three Gaussian blobs in 8-d, fixed per seed. */
function makeBatches(seed: number, count: number, size = 16): Batch[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(size * 8);
    const y = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      y[i] = rng.nextUint32() % 3;
      for (let j = 0; j < 8; j++) x[i * 8 + j] = rng.normal() * 0.7 + (j % 3 === y[i] ? 1.5 : 0);
    }
    return { x: fromArray(x, { shape: [size, 8] }), y: fromArray(y) };
  });
}

const step = (model: Module, batch: Batch): StepOutput => {
  const logits = model.forward(batch.x).cast('float32');
  const predicted = logits.max(1, true).eq(logits).cast('float32');
  const target = batch.y
    .reshape([-1, 1])
    .eq(fromArray(new Int32Array([0, 1, 2])))
    .cast('float32');
  return {
    loss: crossEntropy(logits, batch.y),
    correct: predicted.mul(target).sum(),
    count: batch.y.size,
  };
};

describe('plugins drive the core Trainer', () => {
  it.each([
    ['32-true', 4],
    ['64-true', 8],
    ['16-mixed', 4],
    ['bf16-mixed', 4],
    ['bf16-true', 2],
    ['bf16-flash', 2],
  ] as const)('%s learns; parameters take %d bytes each', async (precision, bytes) => {
    manualSeed(7);
    // Fresh batches per case: realized tensors stay on the backend that ran them.
    const train = makeBatches(1, 6);
    const val = makeBatches(2, 2);
    const plugin = createPrecisionPlugin(precision, { device: 'cpu' });
    const model = plugin.moduleInitContext(
      () => new Sequential(new Linear(8, 16), new GELU(), new Linear(16, 3)),
    );
    const optimizer = new AdamW(model.parameters(), { lr: 2e-2 });
    const trainer = new Trainer({
      backend: createReferenceBackend(),
      maxEpochs: 6,
      precision: plugin,
    });
    const summary = await trainer.fit({
      model,
      optimizer,
      step,
      trainData: () => train,
      valData: () => val,
    });
    expect(trainer.precision).toBe(precision);
    expect(summary.lastValidation?.accuracy).toBeGreaterThan(0.8);
    expect(summary.lastTrain?.memory.params).toBe(model.numParameters() * bytes);
  });
});
