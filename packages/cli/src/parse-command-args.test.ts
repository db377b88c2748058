import { describe, expect, expectTypeOf, it } from 'vitest';
import { TRAIN_FLAG_SPECS, type TrainFlags } from './commands/train-flags.js';
import { camelCaseFlags, parseCommandArgs } from './parse-command-args.js';

describe('camelCaseFlags', () => {
  it('renames kebab-case flags, keeps given values, drops unset ones', () => {
    const parsed = parseCommandArgs(
      'train',
      ['--batch-size', '8', '--gradient-release', '--val-interval=0', '--json'],
      TRAIN_FLAG_SPECS,
    );
    expect(camelCaseFlags(parsed, TRAIN_FLAG_SPECS)).toEqual({
      batchSize: '8',
      gradientRelease: true,
      valInterval: '0',
      json: true,
    });
  });

  it('TrainFlags is derived from the one flag table', () => {
    expectTypeOf<TrainFlags['batchSize']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<TrainFlags['gradientRelease']>().toEqualTypeOf<true | undefined>();
    expectTypeOf<keyof TrainFlags>().toEqualTypeOf<
      | 'precision'
      | 'optimizer'
      | 'backend'
      | 'steps'
      | 'batchSize'
      | 'lr'
      | 'eps'
      | 'seed'
      | 'out'
      | 'resume'
      | 'trainSize'
      | 'valSize'
      | 'valInterval'
      | 'gradientRelease'
      | 'json'
    >();
  });
});
