// @mixprec/core public API. Barrel: re-exports only.

export { linear } from './autocast/linear.js';
export type { AutocastBackendLike, AutocastDevice } from './autocast/policy.js';
export { autocastPolicyTable, CPU_AUTOCAST_OVERRIDES } from './autocast/policy.js';
export type { AutocastDtype, AutocastOptions } from './autocast/state.js';
export {
  autocast,
  clearAutocastCache,
  getAutocastDtype,
  isAutocastEnabled,
  withoutAutocast,
} from './autocast/state.js';
export type { GradcheckInput, GradcheckOptions, GradcheckResult } from './autograd/gradcheck.js';
export { gradcheck } from './autograd/gradcheck.js';
export { gradients } from './autograd/gradients.js';
export type { VjpContext, VjpRule } from './autograd/vjp-rule.js';
export { VJP_RULES } from './autograd/vjp-rules.js';
export type {
  Backend,
  BackendCapabilities,
  DTypeSupport,
  EarlyRelease,
  MemoryInfo,
  OptimizerStepRequest,
  RunOptions,
  Storage,
} from './backend/backend.js';
export type {
  BackendFactory,
  BackendRegistryOptions,
  BackendStatus,
  RegisterBackendOptions,
} from './backend/backend-registry.js';
export { BackendRegistry, createBackendRegistry } from './backend/backend-registry.js';
export { checkUpload } from './backend/check-upload.js';
export {
  defaultBackendRegistry,
  getBackend,
  listBackends,
  registerBackend,
  selectBackend,
  setBackend,
} from './backend/default-registry.js';
export { BackendPriority } from './backend/priority.js';
export type { BatchedGemmOptions, GemmArray, GemmOptions } from './backend/reference/gemm.js';
export { batchedGemm, gemm } from './backend/reference/gemm.js';
export type {
  ReferenceBackend,
  ReferenceBackendOptions,
  ReferenceRunStats,
} from './backend/reference/reference-backend.js';
export { createReferenceBackend } from './backend/reference/reference-backend.js';
export type {
  CheckTensorsMatchOptions,
  TensorSignature,
} from './checkpoint/check-tensors-match.js';
export { checkTensorsMatch } from './checkpoint/check-tensors-match.js';
export type { CheckpointContents, CheckpointMetadata } from './checkpoint/checkpoint.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  loadCheckpoint,
  saveCheckpoint,
} from './checkpoint/checkpoint.js';
export type { SafetensorsContents, SafetensorsTensor } from './checkpoint/safetensors.js';
export { decodeSafetensors, encodeSafetensors } from './checkpoint/safetensors.js';
export type { CheckDtypeOptions } from './dtype/check-dtype.js';
export { checkDtype, suggestDtype } from './dtype/check-dtype.js';
export * from './dtype/convert.js';
export * from './dtype/dtypes.js';
export { dtypeWithScalar, floatDtypeFor, leastUpperDtype } from './dtype/promotion.js';
export * from './errors/index.js';
export type { Graph, GraphNode } from './graph/graph.js';
export { formatShape, shapeSize, stridedOffsets, stridesOf } from './graph/graph.js';
export { graphCacheStats, lowerGraph } from './graph/lower-graph.js';
export { LazyNode } from './graph/node.js';
export { verifyGraph } from './graph/verify.js';
export type { GELUOptions } from './nn/activations.js';
export { GELU, ReLU, SiLU } from './nn/activations.js';
export type { CastModelOptions, LayerSpec } from './nn/cast-model.js';
export { castModel } from './nn/cast-model.js';
export type { Conv1dOptions } from './nn/conv1d.js';
export { Conv1d } from './nn/conv1d.js';
export type { DropoutOptions } from './nn/dropout.js';
export { Dropout } from './nn/dropout.js';
export type { EmbeddingOptions } from './nn/embedding.js';
export { Embedding } from './nn/embedding.js';
export { Flatten } from './nn/flatten.js';
export type { LayerNormOptions } from './nn/layer-norm.js';
export { LayerNorm } from './nn/layer-norm.js';
export type { LinearOptions } from './nn/linear.js';
export { Linear } from './nn/linear.js';
export type {
  BceWithLogitsOptions,
  CrossEntropyOptions,
  MseOptions,
  Reduction,
} from './nn/losses.js';
export { bceWithLogits, crossEntropy, mse } from './nn/losses.js';
export type {
  BufferOptions,
  ConvertOptions,
  LoadStateDictOptions,
  TensorFilter,
} from './nn/module.js';
export { Module } from './nn/module.js';
export type { ParameterOptions } from './nn/parameter.js';
export { Parameter } from './nn/parameter.js';
export { Sequential } from './nn/sequential.js';
export { broadcastShapes, broadcastsTo } from './ops/broadcast.js';
export type {
  AutocastCategory,
  DifferentiableOp,
  OpAttrs,
  OpKind,
  OpName,
  ReduceAttrs,
  SliceGradAttrs,
} from './ops/catalogue.js';
export { OP_NAMES, OPS, opsOfKind } from './ops/catalogue.js';
export type { TypeInfo } from './ops/infer.js';
export { inferNode } from './ops/infer.js';
export type { AdamHyper, AdamOptions } from './optim/adam.js';
export { ADAM_DEFAULTS, Adam } from './optim/adam.js';
export { ADAMW_DEFAULTS, AdamW } from './optim/adamw.js';
export type { ClipGradNormOptions } from './optim/clip-grad.js';
export { clipGradNorm, clipGradValue } from './optim/clip-grad.js';
export type { NarrowDType } from './optim/flash/ecc.js';
export {
  computeEccBits,
  eccDecodeInto,
  eccEncodeInto,
  narrowInto,
  reconstructFp32,
} from './optim/flash/ecc.js';
export type { EccInvariantKind } from './optim/flash/ecc-invariants.js';
export {
  ECC_INVARIANT_ALLOWANCES,
  ECC_SAMPLED_EXPONENTS,
  eccInvariantCounts,
  eccInvariantKind,
} from './optim/flash/ecc-invariants.js';
export type {
  FlashAdamHyper as FlashAdamKernelHyper,
  FlashGrad,
  FlashKernelEngine,
  FlashLionHyper as FlashLionKernelHyper,
  FlashParam,
  FlashSgdHyper as FlashSgdKernelHyper,
  MomentStore,
} from './optim/flash/flash-kernels.js';
export {
  flashAdamStep,
  flashKernelEngine,
  flashLionStep,
  flashSgdStep,
  setFlashKernelEngine,
} from './optim/flash/flash-kernels.js';
export type { QuantSpec } from './optim/flash/quantize.js';
export {
  dequantize,
  dequantizeInto,
  MOMENTUM_QUANT,
  numGroups,
  quantize,
  quantizeInto,
  VARIANCE_QUANT,
} from './optim/flash/quantize.js';
export type { GradientReleaseOptions } from './optim/gradient-release.js';
export {
  enableGradientRelease,
  GradientReleaseHandle,
  gradientReleaseOf,
} from './optim/gradient-release.js';
export type {
  ElementwiseUpdateRule,
  HostStepTensors,
  HostTensor,
  StoredUpdateContext,
  StoredUpdateRule,
  UpdateContext,
  UpdateRule,
  WorkArray,
} from './optim/host-optimizer-step.js';
export {
  fmaF32,
  hostOptimizerStep,
  hostOptimizerStepOn,
  registerUpdateRule,
  updateRuleNames,
} from './optim/host-optimizer-step.js';
export { booleanHyper, checkLr, checkRange, numberHyper } from './optim/hyper-checks.js';
export type {
  CosineAnnealingOptions,
  LinearWarmupOptions,
  LRSchedulerState,
  StepLROptions,
} from './optim/lr-scheduler.js';
export { CosineAnnealing, LinearWarmup, LRScheduler, StepLR } from './optim/lr-scheduler.js';
export type {
  HyperValue,
  OptimizerSpec,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupInput,
  ParamGroupState,
  ParamState,
  ParamStateDict,
  ParamsInput,
  StateSlot,
} from './optim/optimizer.js';
export { Optimizer } from './optim/optimizer.js';
export type { SGDHyper } from './optim/sgd.js';
export { SGD, SGD_DEFAULTS } from './optim/sgd.js';
export { BasePrecision, mainParams } from './precision/base-precision.js';
export type {
  ForwardContext,
  GradientClipAlgorithm,
  PrecisionPlugin,
  StepOutcome,
} from './precision/precision-plugin.js';
export type {
  CreationOptions,
  FromArrayOptions,
  NestedArray,
  RandomOptions,
} from './tensor/creation.js';
export { arange, fromArray, full, ones, rand, randn, zeros } from './tensor/creation.js';
export { getDefaultDtype, withDefaultDtype } from './tensor/default-dtype.js';
export type { TensorLike } from './tensor/elementwise.js';
export { scalar, where } from './tensor/elementwise.js';
export { concat } from './tensor/shape-ops.js';
export type { TensorData } from './tensor/tensor.js';
export { realize, Tensor } from './tensor/tensor.js';
export type { TrainStepArgs } from './trainer/train-step.js';
export { trainStep } from './trainer/train-step.js';
export { Trainer } from './trainer/trainer.js';
export type { TrainerCheckpointParts } from './trainer/trainer-checkpoint.js';
export { loadTrainerCheckpoint, saveTrainerCheckpoint } from './trainer/trainer-checkpoint.js';
export type {
  FitArgs,
  FitSummary,
  MemoryByCategory,
  SchedulerLike,
  StepFn,
  StepOutput,
  TrainerCallbacks,
  TrainerOptions,
  TrainerState,
  TrainerStateView,
  TrainStepResult,
  ValidationResult,
} from './trainer/trainer-types.js';
export type {
  CheckOptionKeysSettings,
  OptionCheck,
  OptionKind,
  OptionSpec,
} from './util/check-option-keys.js';
export {
  checkOptionKeys,
  checkOptions,
  checkOptionValue,
  describeValue,
  optionKeys,
  optionSpec,
} from './util/check-option-keys.js';
export { closestMatch, didYouMean, editDistance } from './util/did-you-mean.js';
export { defaultGenerator, manualSeed, Random } from './util/random.js';
export { CORE_VERSION } from './version.js';
