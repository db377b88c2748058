import { fromArray, OptionsError, Parameter, type Tensor } from '@mixprec/core';
import { describe, expect, it } from 'vitest';
import { instantiateFlashOptimizer } from './config-targets.js';
import { FlashAdam, FlashAdamW } from './flash-adam.js';
import { FlashLion } from './flash-lion.js';
import { FlashSGD, FlashSGDW } from './flash-sgd.js';

const bf16 = (): Tensor => new Parameter(fromArray([0.5, -0.25], { dtype: 'bfloat16' }));

/** Each flash optimizer with a near miss of a real option. */
const CASES: [string, string, () => unknown][] = [
  ['FlashAdam', 'weightDecay', () => new FlashAdam([bf16()], { weight_decay: 0.1 } as never)],
  [
    'FlashAdamW',
    'masterWeightBits',
    () => new FlashAdamW([bf16()], { master_weight_bits: 32 } as never),
  ],
  ['FlashLion', 'betas', () => new FlashLion([bf16()], { beta: [0.9, 0.99] } as never)],
  ['FlashSGD', 'nesterov', () => new FlashSGD([bf16()], { nesterow: true } as never)],
  ['FlashSGDW', 'decoupleLr', () => new FlashSGDW([bf16()], { decouple_lr: true } as never)],
  [
    'FlashAdamW',
    'compressStateDict',
    () => new FlashAdamW([bf16()], { compressStatedict: true } as never),
  ],
  [
    'FlashAdamW: parameter group 0',
    'weight_decay',
    () => new FlashAdamW([{ params: [bf16()], weightDecay: 0 }] as never),
  ],
];

describe('@mixprec/optim-flash options', () => {
  it.each(CASES)(
    '%s refuses an unknown key, suggesting the real one',
    (where, suggestion, call) => {
      expect(call).toThrow(OptionsError);
      expect(call).toThrow(
        new RegExp(
          `^${where}: unknown (option|key) '\\w+' \\(did you mean '${suggestion}'\\?\\); accepted `,
        ),
      );
    },
  );

  it('an option of another flash optimizer is refused, with the reason where one is known', () => {
    expect(() => new FlashAdam([bf16()], { decoupleLr: true } as never)).toThrow(
      "FlashAdam: unknown option 'decoupleLr' (FlashAdam couples its decay; decoupleLr is FlashAdamW's)",
    );
    expect(() => new FlashAdamW([bf16()], { momentum: 0.9 } as never)).toThrow(
      "FlashAdamW: unknown option 'momentum' (Adam's momentum is betas[0])",
    );
    expect(() => new FlashSGD([bf16()], { eps: 1e-8 } as never)).toThrow(
      "FlashSGD: unknown option 'eps'",
    );
  });

  it.each([
    [
      'FlashAdamW',
      () => new FlashAdamW([bf16()], { quantize: 'yes' } as never),
      `option 'quantize' is "yes"; expected a boolean`,
    ],
    [
      'FlashLion',
      () => new FlashLion([bf16()], { warn: true } as never),
      `option 'warn' is true; expected a function`,
    ],
    [
      'FlashSGDW',
      () => new FlashSGDW([bf16()], { decoupleLr: 1 } as never),
      `option 'decoupleLr' is 1; expected a boolean`,
    ],
    [
      'FlashAdam',
      () => new FlashAdam([bf16()], null as never),
      'options is null; expected an object',
    ],
  ])('%s checks the kind of a value', (where, call, message) => {
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(`${where}: ${message}`);
  });

  it('instantiateFlashOptimizer: did-you-mean for arguments and targets; class-specific arguments checked', () => {
    const params = [bf16()];
    expect(() =>
      instantiateFlashOptimizer({ _target_: 'flashoptim.FlashAdamW', weight_decy: 0.1 }, params),
    ).toThrow(
      "flashoptim.FlashAdamW: unknown argument 'weight_decy' (did you mean 'weight_decay'?)",
    );
    expect(() => instantiateFlashOptimizer({ _target_: 'flashoptim.FlashAdamw' }, params)).toThrow(
      `unknown optimizer _target_ "flashoptim.FlashAdamw" (did you mean 'flashoptim.FlashAdamW'?)`,
    );
    // A flashoptim keyword the named class does not take was silently ignored before.
    const wrongClass = () =>
      instantiateFlashOptimizer({ _target_: 'flashoptim.FlashAdamW', momentum: 0.9 }, params);
    expect(wrongClass).toThrow(OptionsError);
    expect(wrongClass).toThrow("FlashAdamW: unknown option 'momentum'");
    expect(() =>
      instantiateFlashOptimizer({ _target_: 'flashoptim.FlashLion' }, params, {
        wanr: () => {},
      } as never),
    ).toThrow("instantiateFlashOptimizer: unknown option 'wanr' (did you mean 'warn'?)");
    expect(
      instantiateFlashOptimizer(
        { _target_: 'flashoptim.FlashSGD', lr: 0.1, momentum: 0.9 },
        params,
      ),
    ).toBeInstanceOf(FlashSGD);
  });
});
