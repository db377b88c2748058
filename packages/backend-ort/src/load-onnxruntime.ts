import { BackendError } from '@mixprec/core';
import type * as ort from 'onnxruntime-node';

let loading: Promise<typeof ort> | undefined;

/**
 * onnxruntime-node, loaded on first use rather than when this package is imported: importing
 * `@mixprec/backend-ort` only registers factories, so a user who never selects an ORT backend
 * never loads its native binding (and a platform without one can still use the others).
 */
export function loadOnnxRuntime(): Promise<typeof ort> {
  loading ??= import('onnxruntime-node').then(
    (mod) => {
      // Node's ESM loader exposes the CommonJS package's exports as named exports and as default.
      const runtime = (
        (mod as { InferenceSession?: unknown }).InferenceSession ? mod : mod.default
      ) as typeof ort;
      // Every onnxruntime failure reaches the caller as an exception with its message, so the
      // native logger would only repeat it on stderr: e.g. probing ort-cuda without the CUDA
      // files logs "Failed to load library" once per process. Quiet it unless the user chose a
      // level (the default is 'warning'; it takes effect at the first session).
      if (runtime.env.logLevel === 'warning') runtime.env.logLevel = 'fatal';
      return runtime;
    },
    (error: unknown) => {
      throw new BackendError(
        `ort: onnxruntime-node could not be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); expected it installed next to @mixprec/backend-ort (npm install onnxruntime-node; see the @mixprec/backend-ort README for CPU-only and CUDA installs)`,
      );
    },
  );
  return loading;
}
