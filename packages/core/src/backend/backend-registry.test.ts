import { describe, expect, it, vi } from 'vitest';
import { BackendError } from '../errors/backend-error.js';
import type { Backend } from './backend.js';
import { createBackendRegistry } from './backend-registry.js';
import { BackendPriority } from './priority.js';

const fake = (name: string): Backend => ({ name }) as unknown as Backend;
const failing = (reason: string) => () => {
  throw new Error(reason);
};

describe('BackendRegistry', () => {
  it('auto picks the highest priority that loads, quietly, and keeps why the others failed', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const r = createBackendRegistry({ env: {} });
      r.register('reference', () => fake('reference'), BackendPriority.reference);
      r.register('ort', failing('onnxruntime-node is not installed'), BackendPriority.ort);
      r.register('tfjs', () => fake('tfjs'), BackendPriority.tfjs);
      expect((await r.select('auto')).name).toBe('tfjs');
      expect((await r.select()).name).toBe('tfjs');
      expect(warn).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
      expect(r.list().find((s) => s.name === 'ort')).toMatchObject({
        status: 'failed',
        reason: 'onnxruntime-node is not installed',
      });
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it('aggregates every failure reason when nothing loads', async () => {
    const r = createBackendRegistry({ env: {} });
    r.register('a', failing('reason A'), 1);
    r.register('b', failing('reason B'), 2);
    await expect(r.select('auto')).rejects.toThrow(
      /no backend could be loaded: \[b\] reason B; \[a\] reason A/,
    );
    await expect(r.select('auto')).rejects.toSatisfy(BackendError.isInstance);
  });

  it('an explicit name never falls back and says why it failed', async () => {
    const r = createBackendRegistry({ env: {} });
    r.register('reference', () => fake('reference'), 0);
    r.register('ort', failing('set ONNXRUNTIME_NODE_INSTALL=cuda12'), 20);
    await expect(r.select('ort')).rejects.toThrow(
      /backend 'ort' could not be loaded: set ONNXRUNTIME_NODE_INSTALL=cuda12/,
    );
    await expect(r.select('nope')).rejects.toThrow(
      /no backend of that name is registered; expected 'auto' or one of ort, reference$/,
    );
    await expect(r.select('refrence')).rejects.toThrow(/did you mean 'reference'\?/);
  });

  it('once a package is registered, an unknown name of its prefix gets a suggestion instead', async () => {
    const r = createBackendRegistry({ env: {} });
    r.register('ort', () => fake('ort'), 20);
    r.register('ort-cuda', () => fake('ort-cuda'), 21);
    await expect(r.select('ort-cdua')).rejects.toThrow(
      "selectBackend('ort-cdua'): no backend of that name is registered; expected 'auto' or one of ort-cuda, ort; did you mean 'ort-cuda'?",
    );
  });

  it.each([
    ['ort-cuda', '@mixprec/backend-ort'],
    ['ort-webgpu', '@mixprec/backend-ort'],
    ['tfjs-wasm', '@mixprec/backend-tfjs'],
  ])('an unregistered %s names the package that provides it', async (name, pkg) => {
    const r = createBackendRegistry({ env: { MIXPREC_BACKEND: name } });
    r.register('reference', () => fake('reference'), 0);
    await expect(r.select('auto')).rejects.toThrow(
      `selectBackend('${name}') (from MIXPREC_BACKEND): no backend of that name is registered; expected 'auto' or one of reference; '${name}' comes with ${pkg}: install it and import it once (import '${pkg}')`,
    );
  });

  it('MIXPREC_BACKEND selects by name, including explicit-only backends', async () => {
    const r = createBackendRegistry({ env: { MIXPREC_BACKEND: 'debug' } });
    r.register('reference', () => fake('reference'), 0);
    r.register('debug', () => fake('debug'), BackendPriority.explicitOnly);
    expect((await r.select('auto')).name).toBe('debug');
    expect((await r.select('reference')).name).toBe('reference');
  });

  it('never auto-selects a negative priority', async () => {
    const r = createBackendRegistry({ env: {} });
    r.register('debug', () => fake('debug'), -1);
    await expect(r.select('auto')).rejects.toThrow(
      /no backend is registered for automatic selection/,
    );
    expect((await r.select('debug')).name).toBe('debug');
  });

  it('initializes a backend once even when selected concurrently', async () => {
    const r = createBackendRegistry({ env: {} });
    const factory = vi.fn(async () => fake('slow'));
    r.register('slow', factory, 0);
    const [a, b] = await Promise.all([r.select('slow'), r.select('auto')]);
    expect(a).toBe(b);
    expect(factory).toHaveBeenCalledTimes(1);
  });

  describe('re-registration', () => {
    it('same name, same priority, different factory throws', () => {
      const r = createBackendRegistry();
      r.register('x', () => fake('x1'), 5);
      expect(() => r.register('x', () => fake('x2'), 5)).toThrow(
        /a different factory is already registered with priority 5/,
      );
    });
    it('the same source again is a no-op, even with another factory (ESM and CJS copies)', async () => {
      const r = createBackendRegistry({ env: {} });
      const first = () => fake('esm copy');
      r.register('x', first, 5, { source: 'pkg' });
      expect(() => r.register('x', () => fake('cjs copy'), 5, { source: 'pkg' })).not.toThrow();
      expect(r.factoryOf('x')).toBe(first);
      expect((await r.select('x')).name).toBe('esm copy');
      expect(() => r.register('x', () => fake('other'), 5, { source: 'other-pkg' })).toThrow(
        /a different factory is already registered with priority 5/,
      );
    });
    it('the same factory again is a no-op', () => {
      const r = createBackendRegistry();
      const f = () => fake('x');
      r.register('x', f, 5);
      expect(() => r.register('x', f, 5)).not.toThrow();
      expect(r.list()).toHaveLength(1);
    });
    it('a higher priority replaces the entry and its factory', async () => {
      const r = createBackendRegistry({ env: {} });
      r.register('x', () => fake('old'), 1);
      r.register('x', () => fake('new'), 2);
      expect(r.list()[0].priority).toBe(2);
      expect((await r.select('x')).name).toBe('new');
    });
    it('a lower priority keeps the existing entry', async () => {
      const r = createBackendRegistry({ env: {} });
      r.register('x', () => fake('kept'), 2);
      r.register('x', () => fake('ignored'), 1);
      expect((await r.select('x')).name).toBe('kept');
    });
  });

  it('rejects bad names and priorities', () => {
    const r = createBackendRegistry();
    expect(() => r.register('auto', () => fake('a'), 0)).toThrow(/other than 'auto'/);
    expect(() => r.register('x', () => fake('a'), Number.NaN)).toThrow(
      /priority NaN; expected a finite number/,
    );
    expect(() => r.register('x', 'ort' as never, 0)).toThrow(
      /factory is string; expected a function returning a Backend/,
    );
  });

  it('names() and factoryOf() expose what is registered without loading it', () => {
    const r = createBackendRegistry();
    const factory = vi.fn(() => fake('a'));
    r.register('a', factory, 1);
    r.register('b', () => fake('b'), 2);
    expect(r.names()).toEqual(['b', 'a']);
    expect(r.factoryOf('a')).toBe(factory);
    expect(r.factoryOf('c')).toBeUndefined();
    expect(factory).not.toHaveBeenCalled();
  });

  it('probeAll reports ready and failed backends with reasons', async () => {
    const r = createBackendRegistry();
    r.register('good', () => fake('good'), 1);
    r.register('bad', failing('missing native library'), 2);
    const list = await r.probeAll();
    expect(list.map((s) => [s.name, s.status, s.reason])).toEqual([
      ['bad', 'failed', 'missing native library'],
      ['good', 'ready', undefined],
    ]);
  });
});
