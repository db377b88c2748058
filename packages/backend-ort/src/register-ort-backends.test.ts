import { BackendError, createBackendRegistry, defaultBackendRegistry } from '@mixprec/core';
import { describe, expect, it, vi } from 'vitest';

// Counts how often onnxruntime-node is actually loaded: importing this package must not load it.
const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock('onnxruntime-node', async (importOriginal) => {
  loads.count++;
  return importOriginal();
});

const CUDA_DOCS = 'https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html';

describe('registration on import', () => {
  it('importing the package registers ort-cuda and ort in the process-wide registry, loading nothing', async () => {
    const pkg = await import('./index.js');
    const statuses = defaultBackendRegistry().list();
    const byName = Object.fromEntries(statuses.map((s) => [s.name, s]));
    expect(byName.ort).toMatchObject({ status: 'registered' });
    expect(byName['ort-cuda']).toMatchObject({ status: 'registered' });
    expect(byName['ort-cuda'].priority).toBeGreaterThan(byName.ort.priority);
    expect(byName.ort.priority).toBeGreaterThan(byName.reference.priority);
    expect(loads.count).toBe(0);
    // A second copy of the package (its CommonJS build) registers the same names again with
    // other factory functions: a no-op, not an error.
    const registry = pkg.registerOrtBackends(createBackendRegistry({ env: {} }));
    for (const { name, priority } of pkg.ORT_BACKENDS) {
      expect(() =>
        registry.register(name, async () => Promise.reject(new Error('copy')), priority, {
          source: pkg.ORT_REGISTRATION_SOURCE,
        }),
      ).not.toThrow();
      expect(registry.factoryOf(name)).toBe(pkg.ORT_BACKENDS.find((b) => b.name === name)?.factory);
    }
  });

  it("'auto' selects ort quietly; ort-cuda without the CUDA files says why and how to fix it", async () => {
    const { registerOrtBackends } = await import('./index.js');
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    try {
      const registry = registerOrtBackends(createBackendRegistry({ env: {} }));
      const backend = await registry.select('auto');
      expect(backend.name).toBe('ort');
      expect(backend.capabilities.devices).toEqual(['cpu']);
      expect(loads.count).toBe(1);
      expect(warn).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
      const cuda = registry.list().find((s) => s.name === 'ort-cuda');
      expect(cuda?.status).toBe('failed');
      expect(cuda?.reason).toContain('ONNXRUNTIME_NODE_INSTALL=1 npm rebuild onnxruntime-node');
      const named = await registry.select('ort-cuda').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(BackendError.isInstance(named)).toBe(true);
      expect((named as Error).message).toContain("backend 'ort-cuda' could not be loaded");
      expect((named as Error).message).toContain(CUDA_DOCS);
      await backend.dispose();
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });
});
