import {
  type BackendFactory,
  BackendPriority,
  type BackendRegistry,
  defaultBackendRegistry,
} from '@mixprec/core';
import { loadOrtBackend } from './ort-backend.js';

/** A backend this package registers: its registry name, priority and factory. */
export interface OrtBackendEntry {
  readonly name: string;
  readonly priority: number;
  /** Creates a fresh, loaded instance (rejects with the setup error when its provider cannot run). */
  readonly factory: BackendFactory;
}

/** The registration source, so the ESM and CommonJS builds of this package register once. */
export const ORT_REGISTRATION_SOURCE = '@mixprec/backend-ort';

/**
 * The backends of this package. `ort-cuda` ranks above `ort`: `'auto'` takes the GPU when the
 * CUDA provider files are installed and otherwise quietly settles on the CPU provider, which
 * onnxruntime-node always bundles.
 */
export const ORT_BACKENDS: readonly OrtBackendEntry[] = Object.freeze([
  {
    name: 'ort-cuda',
    priority: BackendPriority.ort + 1,
    factory: () => loadOrtBackend({ executionProvider: 'cuda' }),
  },
  { name: 'ort', priority: BackendPriority.ort, factory: () => loadOrtBackend() },
]);

/**
 * Registers `ort-cuda` and `ort` in `registry` (default: the process-wide one). Importing
 * `@mixprec/backend-ort` already does this for the process-wide registry; call it for a registry
 * of your own. Only factories are stored: onnxruntime-node is loaded and a provider probed when
 * a backend is first selected or probed. Idempotent.
 */
export function registerOrtBackends(
  registry: BackendRegistry = defaultBackendRegistry(),
): BackendRegistry {
  for (const { name, factory, priority } of ORT_BACKENDS)
    registry.register(name, factory, priority, { source: ORT_REGISTRATION_SOURCE });
  return registry;
}
