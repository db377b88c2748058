import {
  checkOptions,
  closestMatch,
  MixprecError,
  OptionsError,
  optionSpec,
  type ParamsInput,
  type Tensor,
} from '@mixprec/core';
import { FlashAdam, FlashAdamW } from './flash-adam.js';
import { FlashLion } from './flash-lion.js';
import type { FlashOptimizer } from './flash-optimizer.js';
import { FlashSGD, FlashSGDW } from './flash-sgd.js';

type FlashClass = new (
  params: ParamsInput<never>,
  options: Record<string, unknown>,
) => FlashOptimizer<{ lr: number }>;

const CLASSES: Readonly<Record<string, FlashClass>> = {
  FlashAdam: FlashAdam as unknown as FlashClass,
  FlashAdamW: FlashAdamW as unknown as FlashClass,
  FlashLion: FlashLion as unknown as FlashClass,
  FlashSGD: FlashSGD as unknown as FlashClass,
  FlashSGDW: FlashSGDW as unknown as FlashClass,
};

/**
 * Every `_target_` spelling a YAML config may use for the flash optimizers: flashoptim's
 * import paths (`flashoptim.FlashAdamW`, `flashoptim.optimizers.FlashAdamW`), mixprec's package
 * name (`@mixprec/optim-flash.FlashAdamW`) and LLM-Foundry's registry names (`flash_adam_w`).
 */
export const FLASH_OPTIMIZER_TARGETS: Readonly<Record<string, FlashClass>> = Object.freeze(
  Object.fromEntries(
    Object.entries(CLASSES).flatMap(([name, cls]) => [
      [`flashoptim.${name}`, cls],
      [`flashoptim.optimizers.${name}`, cls],
      [`@mixprec/optim-flash.${name}`, cls],
      [
        name
          .replace(/^Flash/, 'flash_')
          .replace(/AdamW$/, 'adam_w')
          .replace(/SGDW$/, 'sgd_w')
          .replace(/Adam$/, 'adam')
          .replace(/Lion$/, 'lion')
          .replace(/SGD$/, 'sgd'),
        cls,
      ],
    ]),
  ),
);

/** flashoptim's keyword arguments (snake_case) → the constructor options (camelCase). */
const KWARGS: Readonly<Record<string, string>> = {
  lr: 'lr',
  betas: 'betas',
  eps: 'eps',
  weight_decay: 'weightDecay',
  momentum: 'momentum',
  dampening: 'dampening',
  nesterov: 'nesterov',
  decouple_lr: 'decoupleLr',
  quantize: 'quantize',
  compress_state_dict: 'compressStateDict',
  master_weight_bits: 'masterWeightBits',
  check_numerics: 'checkNumerics',
};

const EXTRA_OPTIONS = optionSpec<{ readonly warn?: (message: string) => void }>({
  warn: 'function',
});

/** A config node: `_target_` plus keyword arguments (snake_case or camelCase). */
export interface OptimizerConfig {
  readonly _target_: string;
  readonly [key: string]: unknown;
}

/**
 * Builds the flash optimizer a config names, e.g. `{ _target_: 'flashoptim.FlashAdamW', lr:
 * 3e-4, weight_decay: 0.1, master_weight_bits: 24 }`. An unknown target or argument is an
 * error that lists the accepted ones; an argument the named class does not take (e.g.
 * `momentum` for `FlashAdamW`) is refused by its constructor. flashoptim's `fused` is accepted when true (mixprec has one
 * fused implementation); `fused: false` is refused rather than silently ignored.
 */
export function instantiateFlashOptimizer(
  config: OptimizerConfig,
  params: Iterable<Tensor>,
  extra: { readonly warn?: (message: string) => void } = {},
): FlashOptimizer<{ lr: number }> {
  extra = checkOptions('instantiateFlashOptimizer', extra, EXTRA_OPTIONS, { subject: 'extra' });
  const target = config?._target_;
  const cls =
    typeof target === 'string' && Object.hasOwn(FLASH_OPTIMIZER_TARGETS, target)
      ? FLASH_OPTIMIZER_TARGETS[target]
      : undefined;
  if (!cls) {
    const match =
      typeof target === 'string'
        ? closestMatch(target, Object.keys(FLASH_OPTIMIZER_TARGETS))
        : undefined;
    throw new OptionsError(
      `unknown optimizer _target_ ${JSON.stringify(target)}${match ? ` (did you mean '${match}'?)` : ''}; expected one of ${Object.keys(FLASH_OPTIMIZER_TARGETS).join(', ')}`,
      { where: 'instantiateFlashOptimizer' },
    );
  }
  const options: Record<string, unknown> = { ...extra };
  const camel = new Set(Object.values(KWARGS));
  for (const [key, value] of Object.entries(config)) {
    if (key === '_target_' || key === 'params') continue;
    if (key === 'fused') {
      if (value !== true)
        throw new MixprecError(
          `${target}: fused ${JSON.stringify(value)}; expected true (mixprec runs every flash update as one fused per-parameter kernel)`,
        );
      continue;
    }
    const name = Object.hasOwn(KWARGS, key) ? KWARGS[key] : camel.has(key) ? key : undefined;
    if (!name) {
      const match = closestMatch(key, [...Object.keys(KWARGS), ...camel]);
      throw new OptionsError(
        `${target}: unknown argument '${key}'${match ? ` (did you mean '${match}'?)` : ''}; expected some of ${Object.keys(KWARGS).join(', ')}`,
        {
          where: String(target),
          unknownKeys: [key],
          accepted: Object.keys(KWARGS),
          suggestions: match ? { [key]: match } : {},
        },
      );
    }
    options[name] = Array.isArray(value) ? [...value] : value;
  }
  return new cls(params as ParamsInput<never>, options);
}
