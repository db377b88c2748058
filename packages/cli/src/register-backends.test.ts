import { BackendError, createBackendRegistry } from '@mixprec/core';
import { describe, expect, it } from 'vitest';
import { KNOWN_BACKENDS, knownBackendFactory, registerKnownBackends } from './register-backends.js';

const CUDA_DOCS = 'https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html';

describe('registerKnownBackends', () => {
  it('knows reference, ort (CPU) and ort-cuda, with ort-cuda ranked first', () => {
    const names = KNOWN_BACKENDS.map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(['reference', 'ort', 'ort-cuda']));
    const priority = (name: string) => KNOWN_BACKENDS.find((b) => b.name === name)?.priority ?? -2;
    expect(priority('ort-cuda')).toBeGreaterThan(priority('ort'));
    expect(priority('ort')).toBeGreaterThan(priority('reference'));
    expect(knownBackendFactory('ort')).toBeTypeOf('function');
  });

  it('ort loads on the CPU; ort-cuda without the CUDA files is unavailable with the setup reason', async () => {
    const registry = registerKnownBackends(createBackendRegistry({ env: {}, warn: () => {} }));
    const statuses = await registry.probeAll();
    const ort = statuses.find((s) => s.name === 'ort');
    expect(ort?.backend?.capabilities.devices).toEqual(['cpu']);
    const cuda = statuses.find((s) => s.name === 'ort-cuda');
    expect(cuda?.backend).toBeUndefined();
    expect(cuda?.reason).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    expect(cuda?.reason).toContain(CUDA_DOCS);
  });

  it("'auto' passes over ort-cuda, saying why, and selects ort", async () => {
    const notices: string[] = [];
    const registry = registerKnownBackends(
      createBackendRegistry({ env: {}, warn: (m) => notices.push(m) }),
    );
    const backend = await registry.select('auto');
    expect(backend.name).toBe('ort');
    expect(notices.join('\n')).toMatch(/\[ort-cuda\].*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    const error = await registry.select('ort-cuda').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BackendError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(CUDA_DOCS);
  });
});
