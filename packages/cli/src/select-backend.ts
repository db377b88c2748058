// The CLI runs every backend package it depends on; importing one registers its backends in the
// process-wide registry (ort, ort-cuda).
import '@mixprec/backend-ort';
import { type Backend, type BackendRegistry, defaultBackendRegistry } from '@mixprec/core';
import type { CliIo } from './cli-io.js';
import { UsageError } from './usage-error.js';

/** The registry a command uses: the caller's (tests), else the process-wide one. */
export function cliRegistry(registry?: BackendRegistry): BackendRegistry {
  return registry ?? defaultBackendRegistry();
}

/**
 * The backend name a command will select: `--backend NAME`, or for `'auto'` the
 * `MIXPREC_BACKEND` variable when set. A name that is not registered is a usage error (exit 2)
 * saying what is registered, the closest name, or the package that provides it; checked before
 * any backend is loaded.
 */
export function checkBackendName(
  command: string,
  name: string,
  registry: BackendRegistry,
  env: CliIo['env'],
): string {
  const fromEnv = env.MIXPREC_BACKEND?.trim();
  const effective = name === 'auto' && fromEnv ? fromEnv : name;
  if (effective === 'auto' || registry.names().includes(effective)) return effective;
  const flag = name === 'auto' ? 'MIXPREC_BACKEND' : '--backend';
  throw new UsageError(
    `mixprec ${command}: ${flag} '${effective}': ${registry.unknownNameMessage(effective)}`,
  );
}

/**
 * Selects the backend for a command: checks the name (usage error when unknown), then loads it.
 * A registered backend that does not load rejects with the registry's `BackendError`, whose
 * message says why and how to fix it.
 */
export function selectCliBackend(
  command: string,
  name: string,
  registry: BackendRegistry,
  env: CliIo['env'],
): Promise<Backend> {
  checkBackendName(command, name, registry, env);
  return registry.select(name);
}
