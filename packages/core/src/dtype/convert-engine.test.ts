import { afterEach, describe, expect, it, vi } from 'vitest';

// Each case loads a fresh copy of the module graph (the engine is chosen once per copy) with a
// runtime that cannot run the wasm SIMD module, and checks the fallback is visible and correct.
describe('conversion engine fallback', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  const withoutSimd = {
    // What a runtime without SIMD does: the module fails to compile.
    Module: class {
      constructor() {
        throw new Error('CompileError: invalid value type v128');
      }
    },
    Instance: class {},
  };

  it.each([
    ['no WebAssembly at all', undefined],
    ['WebAssembly without SIMD', withoutSimd],
  ])('%s: conversionEngine() is js and results are unchanged', async (_, api) => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', api);
    const fresh = await import('./convert.js');
    expect(fresh.conversionEngine()).toBe('js');
    const src = new Float32Array(1000).fill(1.5);
    src[1] = 65520;
    src[2] = Number.NaN;
    const bf = fresh.f32ToBf16(src);
    const fp = fresh.f32ToF16(src);
    expect([bf[0], bf[1], bf[2], fp[0], fp[1], fp[2]]).toEqual([
      0x3fc0, 0x4780, 0x7fc0, 0x3e00, 0x7c00, 0x7e00,
    ]);
    expect(fresh.f16ToF32(fp)[1]).toBe(Number.POSITIVE_INFINITY);
  });

  it('the wasm engine loads in this runtime (Node 20 has WebAssembly SIMD)', async () => {
    const fresh = await import('./convert.js');
    expect(fresh.conversionEngine()).toBe('wasm-simd');
  });
});
