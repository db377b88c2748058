/**
 * @mixprec/backend-ort — the onnxruntime-node backend of mixprec: each graph compiles to one ONNX
 * model and runs as one `InferenceSession.run`, with exact half semantics.
 */
export { type CompiledModel, compileGraph, IR_VERSION, OPSET } from './compile.js';
export {
  createOrtBackend,
  cudaMissingError,
  loadOrtBackend,
  ORT_CUDA_DOCS,
  type OrtBackend,
  type OrtBackendOptions,
  type OrtRunStats,
} from './ort-backend.js';
export { ORT_OP_SUPPORT, type OrtOpSupport } from './support.js';
