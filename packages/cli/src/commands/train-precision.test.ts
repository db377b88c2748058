import { fromArray, isFloatDType, Parameter, setBackend, type Tensor } from '@mixprec/core';
import { FlashAdamW } from '@mixprec/optim-flash';
import {
  FlashPrecision,
  fp16FlushedEps,
  HalfPrecisionForAudio,
  MixedPrecision,
  PRECISIONS,
} from '@mixprec/precision';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAudioDataset, createDefaultModel } from '../task/index.js';
import { PRECISION_TRAIN_DEFAULTS, TRAIN_DEFAULTS, trainDefaultsFor } from './train-config.js';
import { precisionPluginFor } from './train-precision.js';

beforeAll(async () => {
  await setBackend('reference');
});

const quiet = () => {};
const HALF_MODES = ['fp16-true', 'bf16-true', 'fp16-flash', 'bf16-flash', '16-mixed', 'bf16-mixed'];

describe('mixprec train precision plugins', () => {
  it('true-half modes get HalfPrecisionForAudio and flash modes FlashPrecision (resolveTrainerCfg)', () => {
    expect(precisionPluginFor('fp16-true', quiet)).toBeInstanceOf(HalfPrecisionForAudio);
    expect(precisionPluginFor('bf16-true', quiet)).toBeInstanceOf(HalfPrecisionForAudio);
    expect(precisionPluginFor('bf16-flash', quiet)).toBeInstanceOf(FlashPrecision);
    expect(precisionPluginFor('16-mixed', quiet)).toBeInstanceOf(MixedPrecision);
  });

  it.each(HALF_MODES)(
    '%s: the batch audio stays fp32 and the front end stays fp32; the classifier is converted',
    (mode) => {
      const plugin = precisionPluginFor(mode, quiet);
      const batch = createAudioDataset({ seed: 0, size: 4, split: 'train' })
        .batches(4)
        .next().value;
      if (!batch) throw new Error('no batch');
      const converted = plugin.convertInput(batch);
      expect(converted.audio.dtype).toBe('float32');
      expect(converted.audio).toBe(batch.audio);
      expect(converted.labels.dtype).toBe('int32');
      const model = plugin.convertModule(
        plugin.moduleInitContext(() => createDefaultModel({ numClasses: 9, seed: 0 })),
      );
      const byName = Object.fromEntries(
        [...model.namedParameters(), ...model.namedBuffers()].map(([n, t]) => [n, t as Tensor]),
      );
      const frontEnd = Object.entries(byName).filter(([n]) => n.startsWith('frontEnd.'));
      expect(frontEnd.length).toBeGreaterThan(0);
      for (const [, t] of frontEnd) if (isFloatDType(t.dtype)) expect(t.dtype).toBe('float32');
      const paramDtype = PRECISIONS[mode as keyof typeof PRECISIONS].paramDtype;
      const classifier = model.namedParameters().filter(([n]) => !n.startsWith('frontEnd.'));
      expect(classifier.every(([, p]) => p.dtype === paramDtype)).toBe(true);
    },
  );

  it('fp16 modes default to AdamW eps 1e-4 (1e-8 is 0 in fp16); other modes keep the defaults', () => {
    expect(trainDefaultsFor('fp16-true').eps).toBe(1e-4);
    expect(trainDefaultsFor('fp16-flash').eps).toBe(1e-4);
    expect(trainDefaultsFor('bf16-true')).toEqual({ ...TRAIN_DEFAULTS, precision: 'bf16-true' });
    for (const mode of Object.keys(PRECISION_TRAIN_DEFAULTS))
      expect(Object.keys(PRECISIONS)).toContain(mode);
  });
});

describe('fp16 eps check with flash optimizers', () => {
  const fp16Param = () => new Parameter(fromArray(new Uint16Array([0x3c00]), { dtype: 'float16' }));
  it('quantized flash moments are not flagged; unquantized fp16 ones are', () => {
    expect(fp16FlushedEps(new FlashAdamW([fp16Param()]))).toEqual([]);
    expect(fp16FlushedEps(new FlashAdamW([fp16Param()], { quantize: false }))).toEqual([
      { group: 0, eps: 1e-8 },
    ]);
  });
});
