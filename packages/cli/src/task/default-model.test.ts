import { setBackend } from '@mixprec/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASS_NAMES, createAudioDataset } from './audio-dataset.js';
import { AudioFrontEnd, createDefaultModel } from './default-model.js';
import { createFrontEndPlan, logMelFeatures } from './front-end.js';

beforeAll(async () => {
  await setBackend('reference');
});

describe('AudioFrontEnd', () => {
  it('holds its matrices as fp32 buffers, not parameters, and matches logMelFeatures', async () => {
    const frontEnd = new AudioFrontEnd();
    expect(frontEnd.parameters()).toEqual([]);
    expect(frontEnd.buffer('dft').shape).toEqual([400, 226]);
    expect(frontEnd.buffer('mel').shape).toEqual([226, 32]);
    expect(frontEnd.buffer('dft').dtype).toBe('float32');
    const batch = createAudioDataset({ seed: 2, size: 2, split: 'val' }).batches(2).next().value!;
    const viaModule = (await frontEnd.forward(batch.audio).data()) as Float32Array;
    const viaPlan = (await logMelFeatures(
      batch.audio,
      createFrontEndPlan(),
    ).data()) as Float32Array;
    expect(Array.from(viaModule)).toEqual(Array.from(viaPlan));
  });
});

describe('createDefaultModel', () => {
  it('maps a batch of audio to [B, classes] logits', async () => {
    const model = createDefaultModel({ seed: 1 });
    const batch = createAudioDataset({ seed: 2, size: 3, split: 'val' }).batches(3).next().value!;
    const logits = model.forward(batch.audio);
    expect(logits.shape).toEqual([3, CLASS_NAMES.length]);
    expect(logits.dtype).toBe('float32');
    const values = (await logits.data()) as Float32Array;
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it('has only the classifier as parameters (conv 32→64 k5, conv 64→64 k3, linear 192→9)', () => {
    const model = createDefaultModel({ seed: 1 });
    const count = model.parameters().reduce((n, p) => n + p.size, 0);
    expect(count).toBe(32 * 64 * 5 + 64 + (64 * 64 * 3 + 64) + (192 * 9 + 9));
  });

  it('initializes identically for one seed and differently for another', async () => {
    const first = async (seed: number) =>
      Array.from((await createDefaultModel({ seed }).parameters()[0].data()).slice(0, 8));
    expect(await first(3)).toEqual(await first(3));
    expect(await first(3)).not.toEqual(await first(4));
  });

  it('rejects a bad class count with a clear error', () => {
    expect(() => createDefaultModel({ seed: 1, numClasses: 1 })).toThrow(
      'createDefaultModel: numClasses 1; expected an integer >= 2',
    );
  });
});
