/**
 * @mixprec/backend-ort — the onnxruntime-node backend of mixprec: each graph compiles to one ONNX
 * model and runs as one `InferenceSession.run`, with exact half semantics.
 *
 * Importing this package registers `ort` and `ort-cuda` in the process-wide backend registry
 * (as importing a tfjs backend package or onnxruntime-node does in those ecosystems), so
 * `setBackend('auto')` and `MIXPREC_BACKEND=ort` find them. That is this entry's one side
 * effect; registering stores lazy factories and loads nothing.
 */
import { registerOrtBackends } from './register-ort-backends.js';

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
export {
  ORT_BACKENDS,
  ORT_REGISTRATION_SOURCE,
  type OrtBackendEntry,
  registerOrtBackends,
} from './register-ort-backends.js';
export { ORT_OP_SUPPORT, type OrtOpSupport } from './support.js';

registerOrtBackends();
