import { fromArray, setBackend } from '@mixt/core';
import { it } from 'vitest';
import { crossEntropy } from '../../../core/src/nn/losses.js';
import { AdamW } from '../../../core/src/optim/adamw.js';
import { createAudioDataset } from './audio-dataset.js';
import { createDefaultModel } from './scratch-model.js';

it('train', async () => {
  await setBackend('reference');
  const model = createDefaultModel({ seed: 1 });
  const train = createAudioDataset({ seed: 1, size: Number(process.env.NTRAIN ?? 1800), split: 'train' });
  const val = createAudioDataset({ seed: 1, size: 450, split: 'val' });
  // forward cost
  const b0 = train.batches(32, { shuffle: false }).next().value!;
  await b0.audio.data();
  for (let r = 0; r < 2; r++) {
    let t = performance.now();
    await model.forward(b0.audio).data();
    console.log('full forward ms/32', (performance.now() - t).toFixed(0));
    t = performance.now();
    await model.frontEnd.forward(b0.audio).data();
    console.log('front end ms/32', (performance.now() - t).toFixed(0));
  }
  // cache features
  const feats = async (ds: typeof train) => {
    const out: { x: Float32Array; y: Int32Array }[] = [];
    for (const b of ds.batches(64, { shuffle: false })) {
      out.push({ x: (await model.frontEnd.forward(b.audio).data()) as Float32Array, y: (await b.labels.data()) as Int32Array });
    }
    return out;
  };
  let t = performance.now();
  const tr = await feats(train);
  const va = await feats(val);
  console.log('features s', ((performance.now() - t) / 1000).toFixed(1));
  const [bands, frames] = [model.frontEnd.bands, model.frontEnd.numFrames];
  const classifier = (x: ReturnType<typeof fromArray>) => model.classify(x);
  const params = [...model.conv1.parameters(), ...model.conv2.parameters(), ...model.head.parameters()];
  const opt = new AdamW(params, { lr: 3e-3, weight_decay: 0.01 });
  // flatten cached into examples
  const X: Float32Array[] = []; const Y: number[] = [];
  for (const b of tr) for (let i = 0; i < b.y.length; i++) { X.push(b.x.subarray(i * bands * frames, (i + 1) * bands * frames)); Y.push(b.y[i]); }
  const evalAcc = async () => {
    let c = 0, n = 0;
    for (const b of va) {
      const logits = (await classifier(fromArray(b.x, { shape: [b.y.length, bands, frames] })).data()) as Float32Array;
      const C = logits.length / b.y.length;
      b.y.forEach((y, i) => { let best = 0; for (let k = 1; k < C; k++) if (logits[i * C + k] > logits[i * C + best]) best = k; if (best === y) c++; n++; });
    }
    return c / n;
  };
  t = performance.now();
  let step = 0;
  for (let epoch = 0; epoch < Number(process.env.EPOCHS ?? 8); epoch++) {
    const order = Array.from({ length: X.length }, (_v, i) => i).sort((a, b) => ((a * 2654435761 + epoch * 97) % 1000) - ((b * 2654435761 + epoch * 97) % 1000));
    let lossSum = 0; let nb = 0;
    for (let s = 0; s + 32 <= order.length; s += 32) {
      const xb = new Float32Array(32 * bands * frames); const yb = new Int32Array(32);
      for (let i = 0; i < 32; i++) { xb.set(X[order[s + i]], i * bands * frames); yb[i] = Y[order[s + i]]; }
      const loss = crossEntropy(classifier(fromArray(xb, { shape: [32, bands, frames] })), fromArray(yb, { shape: [32] }));
      loss.backward();
      await opt.step();
      opt.zeroGrad();
      lossSum += await loss.item(); nb++; step++;
    }
    console.log(`epoch ${epoch} loss ${(lossSum / nb).toFixed(3)} val ${(await evalAcc()).toFixed(3)} steps ${step} s ${((performance.now() - t) / 1000).toFixed(1)}`);
  }
}, 600_000);
