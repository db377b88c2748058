import type { Backend } from '../backend/backend.js';
import { DTYPES } from '../dtype/dtypes.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import type { MemoryByCategory } from './trainer-types.js';

/** Bytes a realized tensor holds on its backend (0 when not realized). */
export function realizedBytes(t: Tensor | undefined): number {
  const storage = t?.node.realized?.storage;
  return storage ? storage.size * DTYPES[storage.dtype].itemSize : 0;
}

/**
 * Bytes of the LIVE optimizer state tensors (moments, momentum buffers, 8-bit codes and
 * scales, error bits); not `stateDict()`, whose saved form may differ (flash optimizers).
 */
export function optimizerStateBytes(optimizer: Optimizer): number {
  let bytes = 0;
  for (const p of optimizer.paramGroups.flatMap((g) => g.params)) {
    for (const t of Object.values(optimizer.stateOf(p) ?? {})) bytes += realizedBytes(t);
  }
  return bytes;
}

/** Memory by category, measured from the backend's storages. */
export function memoryByCategory(
  backend: Backend,
  model: Module,
  optimizer: Optimizer,
  grads: readonly (Tensor | undefined)[],
  peakActivations: number,
): MemoryByCategory {
  const params = model.parameters().reduce((s, p) => s + realizedBytes(p), 0);
  return {
    params,
    grads: grads.reduce((s, g) => s + realizedBytes(g), 0),
    optimizerState: optimizerStateBytes(optimizer),
    peakActivations,
    backendBytes: backend.memory().bytes,
  };
}
