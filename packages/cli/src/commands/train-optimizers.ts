import { AdamW, type Optimizer, type Parameter } from '@mixprec/core';
import {
  FlashAdam,
  FlashAdamW,
  FlashLion,
  FlashSGD,
  FlashSGDW,
  type MasterWeightBits,
} from '@mixprec/optim-flash';
import type { TrainConfig } from './train-config.js';

/** What an optimizer factory gets: the config plus the master-weight choice for the params. */
export interface OptimizerContext {
  readonly config: TrainConfig;
  /** 24 for bf16/fp16 parameters, null when every parameter is fp32/fp64. */
  readonly masterWeightBits: MasterWeightBits;
  readonly warn: (message: string) => void;
}

/** One `--optimizer` choice: its factory and the defaults it changes. */
export interface TrainOptimizer {
  readonly summary: string;
  readonly create: (params: Parameter[], ctx: OptimizerContext) => Optimizer;
  /** Changes to `TRAIN_DEFAULTS` for this optimizer (used when the flag is not given). */
  readonly defaults: Partial<Pick<TrainConfig, 'lr' | 'weightDecay'>>;
}

/** Flash options shared by the flash entries: compressed state dicts make resume exact. */
const flash = (ctx: OptimizerContext) => ({
  masterWeightBits: ctx.masterWeightBits,
  compressStateDict: true,
  warn: ctx.warn,
});

/**
 * The optimizers `mixprec train --optimizer` accepts. Learning rates were tuned on the built-in
 * task (450 steps, batch 32, cosine schedule): Lion wants a ~10× smaller lr and larger decay
 * than AdamW, SGD with momentum a ~10× larger lr.
 */
export const TRAIN_OPTIMIZERS: Readonly<Record<string, TrainOptimizer>> = Object.freeze({
  adamw: {
    summary: 'torch-semantics AdamW (fp32 math, state in the parameter dtype)',
    create: (params, { config }) =>
      new AdamW(params, { lr: config.lr, eps: config.eps, weight_decay: config.weightDecay }),
    defaults: {},
  },
  'flash-adamw': {
    summary: 'FlashAdamW: 8-bit moments, error-corrected master weights',
    create: (params, ctx) =>
      new FlashAdamW(params, {
        lr: ctx.config.lr,
        eps: ctx.config.eps,
        weightDecay: ctx.config.weightDecay,
        ...flash(ctx),
      }),
    defaults: {},
  },
  'flash-adam': {
    summary: 'FlashAdam (coupled L2 decay)',
    create: (params, ctx) =>
      new FlashAdam(params, {
        lr: ctx.config.lr,
        eps: ctx.config.eps,
        weightDecay: ctx.config.weightDecay,
        ...flash(ctx),
      }),
    defaults: { weightDecay: 0 },
  },
  'flash-lion': {
    summary: 'FlashLion: one 8-bit moment, sign updates',
    create: (params, ctx) =>
      new FlashLion(params, {
        lr: ctx.config.lr,
        weightDecay: ctx.config.weightDecay,
        ...flash(ctx),
      }),
    defaults: { lr: 1e-3, weightDecay: 0.1 },
  },
  'flash-sgd': {
    summary: 'FlashSGD with momentum 0.9 (coupled L2 decay)',
    create: (params, ctx) =>
      new FlashSGD(params, {
        lr: ctx.config.lr,
        momentum: 0.9,
        weightDecay: ctx.config.weightDecay,
        ...flash(ctx),
      }),
    defaults: { lr: 3e-2, weightDecay: 0 },
  },
  'flash-sgdw': {
    summary: 'FlashSGDW with momentum 0.9 (decoupled decay)',
    create: (params, ctx) =>
      new FlashSGDW(params, {
        lr: ctx.config.lr,
        momentum: 0.9,
        weightDecay: ctx.config.weightDecay,
        ...flash(ctx),
      }),
    defaults: { lr: 3e-2 },
  },
});
