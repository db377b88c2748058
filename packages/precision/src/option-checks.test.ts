import { DtypeError, Linear, OptionsError } from '@mixprec/core';
import { describe, expect, it } from 'vitest';
import { castFloating, convertAudioAware } from './convert-collection.js';
import { FlashPrecision } from './flash-precision.js';
import { FullPrecision } from './full-precision.js';
import { GradScaler } from './grad-scaler.js';
import { HalfPrecision } from './half-precision.js';
import { HalfPrecisionForAudio } from './half-precision-for-audio.js';
import { MixedPrecision } from './mixed-precision.js';
import { createPrecisionPlugin, parsePrecision } from './precision-strings.js';
import { resolveTrainerCfg } from './resolve-trainer-cfg.js';

/** Each options object of the package with a near miss of a real key. */
const CASES: [string, string, () => unknown][] = [
  ['GradScaler', 'initScale', () => new GradScaler({ init_scale: 2 } as never)],
  ['FullPrecision', 'keepFp32', () => new FullPrecision('32-true', { keepfp32: [] } as never)],
  ['HalfPrecision', 'keepFp32', () => new HalfPrecision('bf16-true', { keep_fp32: [] } as never)],
  [
    'HalfPrecisionForAudio',
    'warn',
    () => new HalfPrecisionForAudio('bf16-true', { wran: () => {} } as never),
  ],
  ['MixedPrecision', 'scaler', () => new MixedPrecision('16-mixed', { scalar: {} } as never)],
  [
    'FlashPrecision',
    'selective',
    () => new FlashPrecision('bf16-flash', { selectiv: true } as never),
  ],
  [
    'createPrecisionPlugin',
    'device',
    () => createPrecisionPlugin('16-mixed', { devcie: 'cpu' } as never),
  ],
  ['parsePrecision', 'warn', () => parsePrecision('bf16', { warm: () => {} } as never)],
  [
    'resolveTrainerCfg',
    'keepFp32',
    () => resolveTrainerCfg({ precision: 'bf16-true' }, { keepFP32: [] } as never),
  ],
];

describe('@mixprec/precision options', () => {
  it.each(CASES)(
    '%s refuses an unknown key, suggesting the real one',
    (where, suggestion, call) => {
      expect(call).toThrow(OptionsError);
      expect(call).toThrow(
        new RegExp(
          `^${where}: unknown option '\\w+' \\(did you mean '${suggestion}'\\?\\); accepted options: `,
        ),
      );
    },
  );

  it('the MixedPrecision scaler options are GradScaler options (checked too)', () => {
    expect(() => new MixedPrecision('16-mixed', { scaler: { growth_factor: 2 } as never })).toThrow(
      "GradScaler: unknown option 'growth_factor' (did you mean 'growthFactor'?)",
    );
  });

  it.each([
    [
      'GradScaler',
      () => new GradScaler({ enabled: 'yes' } as never),
      `option 'enabled' is "yes"; expected a boolean`,
    ],
    [
      'GradScaler',
      () => new GradScaler({ enabled: false, initScale: '1' } as never),
      `option 'initScale' is "1"; expected a number`,
    ],
    [
      'HalfPrecision',
      () => new HalfPrecision('16-true', { keepFp32: 'frontEnd.*' } as never),
      `option 'keepFp32' is "frontEnd.*"; expected a predicate on the tensor name or an array of glob strings`,
    ],
    [
      'MixedPrecision',
      () => new MixedPrecision('bf16-mixed', { device: 'gpu' } as never),
      `option 'device' is "gpu"; expected 'cuda' or 'cpu'`,
    ],
    [
      'FlashPrecision',
      () => new FlashPrecision('bf16-flash', { fullPrecisionLayers: 'head' } as never),
      `option 'fullPrecisionLayers' is "head"; expected an array`,
    ],
  ])('%s checks the kind of a value', (where, call, message) => {
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(`${where}: ${message}`);
  });

  it('createPrecisionPlugin takes every plugin option and hands each plugin its own', () => {
    const options = { keepFp32: ['frontEnd.*'], warn: () => {}, device: 'cpu' as const };
    for (const precision of ['32-true', '16-mixed', 'bf16-true', 'bf16-flash']) {
      expect(createPrecisionPlugin(precision, options).precision).toBe(precision);
    }
    const flash = createPrecisionPlugin('bf16-flash', { fullPrecisionLayers: ['1'] });
    expect(flash).toBeInstanceOf(FlashPrecision);
  });

  it('resolveTrainerCfg checks the shape of cfg (its keys stay open)', () => {
    expect(resolveTrainerCfg({ precision: 'bf16-mixed', max_epochs: 3 })).toEqual({
      precision: 'bf16-mixed',
      max_epochs: 3,
    });
    expect(() => resolveTrainerCfg('bf16-true' as never)).toThrow(
      'resolveTrainerCfg: cfg is "bf16-true"; expected a trainer config object',
    );
    expect(() => resolveTrainerCfg({ plugins: 'x' } as never)).toThrow(
      'resolveTrainerCfg: cfg.plugins is "x"; expected an array of plugins',
    );
  });

  it('batch conversion reports an unknown dtype with DtypeError', () => {
    expect(() => castFloating({}, 'bf16' as never)).toThrow(DtypeError);
    expect(() => convertAudioAware({}, 'fp16' as never)).toThrow(
      "convertAudioPreserving: dtype 'fp16' is not a mixprec floating dtype; did you mean 'float16'?",
    );
    expect(castFloating([new Linear(1, 1).weight], 'float16')[0].dtype).toBe('float16');
  });
});
