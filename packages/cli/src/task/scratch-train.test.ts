import { fromArray, setBackend } from '@mixt/core';
import { it } from 'vitest';
import { crossEntropy } from '../../../core/src/nn/losses.js';
import { AdamW } from '../../../core/src/optim/adamw.js';
import { Random } from '../../../core/src/util/random.js';
import { createAudioDataset } from './audio-dataset.js';
import { createDefaultModel } from './scratch-model.js';

it('train', async () => {
  await setBackend('reference');
  const model = createDefaultModel({ seed: 1 });
  const train = createAudioDataset({ seed: 1, size: Number(process.env.NTRAIN ?? 1800), split: 'train' });
  const val = createAudioDataset({ seed: 1, size: 450, split: 'val' });
  const [bands, frames] = [model.frontEnd.bands, model.frontEnd.numFrames];
  const feats = async (ds: typeof train) => {
    const X: Float32Array[] = []; const Y: number[] = [];
    for (const b of ds.batches(64, { shuffle: false })) {
      const x = (await model.frontEnd.forward(b.audio).data()) as Float32Array;
      const y = (await b.labels.data()) as Int32Array;
      y.forEach((l, i) => { X.push(x.slice(i * bands * frames, (i + 1) * bands * frames)); Y.push(l); });
    }
    return { X, Y };
  };
  let t = performance.now();
  const tr = await feats(train); const va = await feats(val);
  console.log('features s', ((performance.now() - t) / 1000).toFixed(1));
  const opt = new AdamW(model.parameters(), { lr: Number(process.env.LR ?? 3e-3), weight_decay: 0.01 });
  const batchOf = (d: typeof tr, idx: number[]) => {
    const xb = new Float32Array(idx.length * bands * frames); const yb = new Int32Array(idx.length);
    idx.forEach((j, i) => { xb.set(d.X[j], i * bands * frames); yb[i] = d.Y[j]; });
    return { x: fromArray(xb, { shape: [idx.length, bands, frames] }), y: fromArray(yb, { shape: [idx.length] }), yb };
  };
  const evalAcc = async () => {
    let c = 0; const conf = Array.from({ length: 9 }, () => new Array(9).fill(0));
    for (let s = 0; s < va.X.length; s += 90) {
      const idx = Array.from({ length: 90 }, (_v, i) => s + i);
      const { x, yb } = batchOf(va, idx);
      const logits = (await model.classify(x).data()) as Float32Array;
      yb.forEach((y, i) => { let best = 0; for (let k = 1; k < 9; k++) if (logits[i * 9 + k] > logits[i * 9 + best]) best = k; conf[y][best]++; if (best === y) c++; });
    }
    return { acc: c / va.X.length, conf };
  };
  t = performance.now();
  const rng = new Random(3);
  for (let epoch = 0; epoch < Number(process.env.EPOCHS ?? 8); epoch++) {
    const order = Array.from({ length: tr.X.length }, (_v, i) => i);
    for (let i = order.length - 1; i > 0; i--) { const j = rng.nextUint32() % (i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    let lossSum = 0; let nb = 0;
    for (let s = 0; s + 32 <= order.length; s += 32) {
      const { x, y } = batchOf(tr, order.slice(s, s + 32));
      const loss = crossEntropy(model.classify(x), y);
      loss.backward(); await opt.step(); opt.zeroGrad();
      lossSum += await loss.item(); nb++;
    }
    const { acc, conf } = await evalAcc();
    console.log(`epoch ${epoch} loss ${(lossSum / nb).toFixed(3)} val ${acc.toFixed(3)} s ${((performance.now() - t) / 1000).toFixed(1)} ${JSON.stringify(conf)}`);
  }
}, 900_000);
