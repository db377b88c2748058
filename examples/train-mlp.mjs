// A complete training loop with @mixprec/core: a small MLP on a toy problem, on the reference
// backend. Run from the repo root after `pnpm build`: node examples/train-mlp.mjs
import {
  AdamW,
  crossEntropy,
  fromArray,
  GELU,
  Linear,
  manualSeed,
  randn,
  Sequential,
  setBackend,
  Trainer,
} from '@mixprec/core';

await setBackend('reference');
manualSeed(0);
const model = new Sequential(new Linear(4, 32), new GELU(), new Linear(32, 2));
const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });

// Label: is the sum of the features positive? Fixed batches, so every epoch is the same.
const batches = Array.from({ length: 8 }, (_v, i) => {
  const x = randn([32, 4], { seed: i });
  return { x, y: x.sum(1).gt(0).cast('int32') };
});
const step = (m, b) => ({ loss: crossEntropy(m.forward(b.x), b.y), count: 32 });

const trainer = new Trainer({ maxEpochs: 20 });
const summary = await trainer.fit({ model, optimizer, step, trainData: () => batches });
console.log(`loss after ${summary.steps} steps: ${summary.lastTrain.loss.toFixed(4)}`);
console.log('logits of [1, 1, 1, 1]:', await model.forward(fromArray([[1, 1, 1, 1]])).data());
