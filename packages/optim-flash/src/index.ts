// @mixprec/optim-flash: FlashOptim-style optimizers. Barrel: re-exports only.
export type { CastModelOptions, GradientReleaseOptions, LayerSpec } from '@mixprec/core';
export {
  castModel,
  computeEccBits,
  dequantize,
  enableGradientRelease,
  GradientReleaseHandle,
  MOMENTUM_QUANT,
  quantize,
  reconstructFp32,
  VARIANCE_QUANT,
} from '@mixprec/core';
export type { FlashParamDType, NumericsCheck } from './check-numerics.js';
export { checkNumerics, effectiveMantissaBits } from './check-numerics.js';
export type { OptimizerConfig } from './config-targets.js';
export { FLASH_OPTIMIZER_TARGETS, instantiateFlashOptimizer } from './config-targets.js';
export type { FlashAdamHyper, FlashAdamOptions, FlashAdamWOptions } from './flash-adam.js';
export { FlashAdam, FlashAdamW } from './flash-adam.js';
export type { FlashLionHyper, FlashLionOptions } from './flash-lion.js';
export { FlashLion } from './flash-lion.js';
export type {
  FlashAlgorithm,
  FlashGroupKeys,
  FlashOptions,
  MasterWeightBits,
  MomentSpec,
} from './flash-optimizer.js';
export { FlashOptimizer } from './flash-optimizer.js';
export type { FlashSGDHyper, FlashSGDOptions, FlashSGDWOptions } from './flash-sgd.js';
export { FlashSGD, FlashSGDW } from './flash-sgd.js';
export { NumericsError } from './numerics-error.js';
