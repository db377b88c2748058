import {
  type BackendFactory,
  BackendPriority,
  type BackendRegistry,
  createReferenceBackend,
  defaultBackendRegistry,
} from '@mixt/core';

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
  // Backend packages go here once they export a factory. Today @mixt/backend-tfjs (no issue filed yet)
  // and @mixt/backend-ort (issue 6) are placeholders that export nothing, so nothing is
  // imported from them yet:
  //   { name: 'tfjs', factory: () => createTfjsBackend(), priority: BackendPriority.tfjs },
  //   { name: 'ort', factory: () => createOrtBackend(), priority: BackendPriority.ort },
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
