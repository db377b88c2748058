import type { Backend } from './backend.js';
import {
  type BackendFactory,
  type BackendRegistry,
  type BackendStatus,
  createBackendRegistry,
  type RegisterBackendOptions,
} from './backend-registry.js';
import { BackendPriority } from './priority.js';
import { createReferenceBackend } from './reference/reference-backend.js';

interface GlobalState {
  registry: BackendRegistry;
  current?: Promise<Backend>;
}

// On globalThis under a registered symbol, so two copies of core in one process (its ESM and
// CommonJS builds, or two installed versions) share one registry and one current backend.
const KEY = Symbol.for('mixprec.backendRegistry');

function state(): GlobalState {
  const g = globalThis as { [KEY]?: GlobalState };
  if (!g[KEY]) {
    const registry = createBackendRegistry();
    registry.register('reference', createReferenceBackend, BackendPriority.reference);
    g[KEY] = { registry };
  }
  return g[KEY];
}

/** The process-wide registry; it starts with the `reference` backend registered. */
export function defaultBackendRegistry(): BackendRegistry {
  return state().registry;
}

/**
 * Registers a backend in the process-wide registry (see `BackendRegistry.register`). Backend
 * packages call this when imported; call it yourself for custom names or options.
 */
export function registerBackend(
  name: string,
  factory: BackendFactory,
  priority: number,
  options?: RegisterBackendOptions,
): void {
  state().registry.register(name, factory, priority, options);
}

/** Selects a backend from the process-wide registry: `'auto'` (honours `MIXPREC_BACKEND`) or a name. */
export function selectBackend(name: 'auto' | (string & {}) = 'auto'): Promise<Backend> {
  return state().registry.select(name);
}

/** The backends of the process-wide registry with their load state. */
export function listBackends(): BackendStatus[] {
  return state().registry.list();
}

/**
 * Sets the backend lazy tensors realize on when none of their inputs lives on a backend yet.
 * Takes a backend, a registry name or `'auto'`; returns the backend.
 */
export function setBackend(backend: Backend | 'auto' | (string & {})): Promise<Backend> {
  const s = state();
  const next = typeof backend === 'string' ? s.registry.select(backend) : Promise.resolve(backend);
  s.current = next;
  return next;
}

/** The current backend, selecting `'auto'` on first use. */
export function getBackend(): Promise<Backend> {
  const s = state();
  // A failed selection is not cached: the next call tries again (after the user fixed it).
  s.current ??= s.registry.select('auto').catch((error: unknown) => {
    s.current = undefined;
    throw error;
  });
  return s.current;
}
