import {
  type Backend,
  type BackendCapabilities,
  DTYPE_NAMES,
  type DType,
  type DTypeSupport,
} from '@mixprec/core';

/** Every dtype with the given support, overridden per dtype by `overrides`. */
export function dtypeSupport(
  all: DTypeSupport,
  overrides: Partial<Record<DType, DTypeSupport>> = {},
): Record<DType, DTypeSupport> {
  const table = Object.fromEntries(DTYPE_NAMES.map((d) => [d, all])) as Record<DType, DTypeSupport>;
  return { ...table, ...overrides };
}

/**
 * A backend that only reports capabilities (for `mixprec backends` tests); every compute or
 * storage member throws, since listing backends never calls them.
 */
export function fakeBackend(name: string, capabilities: BackendCapabilities): Backend {
  const unused = (member: string) => (): never => {
    throw new Error(`fake backend '${name}': ${member} is not implemented`);
  };
  return {
    name,
    specVersion: 1,
    capabilities,
    upload: unused('upload'),
    download: unused('download'),
    free: unused('free'),
    memory: unused('memory'),
    run: unused('run'),
    cast: unused('cast'),
    matmul: unused('matmul'),
    optimizerStep: unused('optimizerStep'),
    dispose: () => {},
  };
}
