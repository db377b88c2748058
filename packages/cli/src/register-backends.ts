import { loadOrtBackend } from '@mixprec/backend-ort';
import {
  type BackendFactory,
  BackendPriority,
  type BackendRegistry,
  createReferenceBackend,
  defaultBackendRegistry,
} from '@mixprec/core';

/** A backend the CLI knows how to create. */
export interface KnownBackend {
  readonly name: string;
  /** Creates a fresh instance (the conformance suite wants one per group). */
  readonly factory: BackendFactory;
  readonly priority: number;
}

/**
 * Every backend the CLI knows. Backend packages do not register on import (STYLE.md
 * convention 16); the CLI, the one package that knows them all, registers them from this list.
 * The registry orders them by priority.
 */
export const KNOWN_BACKENDS: readonly KnownBackend[] = [
  { name: 'reference', factory: createReferenceBackend, priority: BackendPriority.reference },
  // onnxruntime-node on the CPU provider (bundled binaries), and on CUDA when its files are
  // installed (ONNXRUNTIME_NODE_INSTALL=cuda12). ort-cuda ranks above ort, so 'auto' takes
  // the GPU when it loads and otherwise passes over it with the setup error as the reason.
  {
    name: 'ort-cuda',
    factory: () => loadOrtBackend({ executionProvider: 'cuda' }),
    priority: BackendPriority.ort + 1,
  },
  {
    name: 'ort',
    factory: () => loadOrtBackend(),
    priority: BackendPriority.ort,
  },
  // @mixprec/backend-tfjs (no issue filed yet) is a placeholder that exports nothing; once it
  // exports a factory:
  //   { name: 'tfjs', factory: () => createTfjsBackend(), priority: BackendPriority.tfjs },
];

/**
 * Registers every backend of `KNOWN_BACKENDS` into `registry` (default: the process-wide one,
 * which already holds `reference`; registering the same factory again is a no-op) and returns
 * the registry.
 */
export function registerKnownBackends(
  registry: BackendRegistry = defaultBackendRegistry(),
): BackendRegistry {
  for (const { name, factory, priority } of KNOWN_BACKENDS)
    registry.register(name, factory, priority);
  return registry;
}

/** The factory of a backend the CLI knows, by name (undefined for any other name). */
export function knownBackendFactory(name: string): BackendFactory | undefined {
  return KNOWN_BACKENDS.find((b) => b.name === name)?.factory;
}
