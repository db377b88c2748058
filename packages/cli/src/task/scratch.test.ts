import { writeFileSync } from 'node:fs';
import { setBackend } from '@mixt/core';
import { it } from 'vitest';
import { createAudioDataset } from './audio-dataset.js';
import { createFrontEndPlan, logMelFeatures } from './front-end.js';

it('dump', async () => {
  await setBackend('reference');
  const plan = createFrontEndPlan();
  for (const [split, size] of [['train', 540], ['val', 270]] as const) {
    const ds = createAudioDataset({ seed: 7, size, split });
    const chunks: Float32Array[] = [];
    const labels: number[] = [];
    for (const b of ds.batches(64, { shuffle: false })) {
      chunks.push((await logMelFeatures(b.audio, plan).data()) as Float32Array);
      labels.push(...((await b.labels.data()) as Int32Array));
    }
    const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) { all.set(c, o); o += c.length; }
    writeFileSync(`/tmp/feat-${split}.bin`, Buffer.from(all.buffer));
    writeFileSync(`/tmp/feat-${split}.json`, JSON.stringify(labels));
  }
}, 300_000);
