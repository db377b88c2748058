// @mixt/core public API. Barrel: re-exports only.

export type {
  Backend,
  BackendCapabilities,
  DTypeSupport,
  MemoryInfo,
  OptimizerStepRequest,
  Storage,
} from './backend/backend.js';
export type {
  BackendFactory,
  BackendRegistryOptions,
  BackendStatus,
} from './backend/backend-registry.js';
export { BackendRegistry, createBackendRegistry } from './backend/backend-registry.js';
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
export * from './dtype/convert.js';
export * from './dtype/dtypes.js';
export { dtypeWithScalar, floatDtypeFor, leastUpperDtype } from './dtype/promotion.js';
export * from './errors/index.js';
export { graphCacheStats, lowerGraph } from './graph/cache-key.js';
export type { Graph, GraphNode } from './graph/graph.js';
export { formatShape, shapeSize, stridesOf } from './graph/graph.js';
export { LazyNode } from './graph/node.js';
export { verifyGraph } from './graph/verify.js';
export { broadcastShapes, broadcastsTo } from './ops/broadcast.js';
export type { AutocastCategory, OpAttrs, OpKind, OpName, ReduceAttrs } from './ops/catalogue.js';
export { OP_NAMES, OPS, opsOfKind } from './ops/catalogue.js';
export type { TypeInfo } from './ops/infer.js';
export { inferNode } from './ops/infer.js';
export type {
  HostTensor,
  UpdateContext,
  UpdateRule,
  WorkArray,
} from './optim/host-optimizer-step.js';
export {
  fmaF32,
  hostOptimizerStep,
  registerUpdateRule,
  updateRuleNames,
} from './optim/host-optimizer-step.js';
export type { CreationOptions, NestedArray, RandomOptions } from './tensor/creation.js';
export { arange, fromArray, full, ones, rand, randn, zeros } from './tensor/creation.js';
export { getDefaultDtype, withDefaultDtype } from './tensor/default-dtype.js';
export type { TensorLike } from './tensor/elementwise.js';
export { scalar, where } from './tensor/elementwise.js';
export { concat } from './tensor/shape-ops.js';
export type { TensorData } from './tensor/tensor.js';
export { realize, Tensor } from './tensor/tensor.js';
export { Random } from './util/random.js';
