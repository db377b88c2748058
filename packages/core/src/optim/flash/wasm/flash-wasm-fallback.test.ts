// Without WebAssembly (checked before the module is first instantiated in this file's isolated
// module graph), the specialised FlashAdam loop falls back to JS and says so.
import { expect, it } from 'vitest';
import { MixprecError } from '../../../errors/mixprec-error.js';
import { flashAdamStep, flashKernelEngine, setFlashKernelEngine } from '../flash-kernels.js';
import { flashWasmFailure } from './flash-wasm-engine.js';

it('reports js, explains why, rejects a forced wasm engine, and still updates', () => {
  const g = globalThis as { WebAssembly?: unknown };
  const saved = g.WebAssembly;
  g.WebAssembly = undefined;
  try {
    expect(flashKernelEngine()).toBe('js');
  } finally {
    g.WebAssembly = saved;
  }
  expect(flashWasmFailure()).toMatch(/WebAssembly is not available/);
  expect(setFlashKernelEngine('auto')).toBe('js');
  expect(() => setFlashKernelEngine('wasm-simd')).toThrow(MixprecError);
  const param = { data: new Uint16Array([0x3f80, 0xbf80, 0]), dtype: 'bfloat16' as const };
  flashAdamStep({
    param,
    grad: { data: new Float32Array([1, -1, 0]), dtype: 'float32' },
    ecc: new Int8Array(3),
    expAvg: { kind: 'quantized', codes: new Int8Array(3), scales: new Uint16Array(1) },
    expAvgSq: { kind: 'quantized', codes: new Uint8Array(3), scales: new Uint16Array(1) },
    step: 1,
    hyper: {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      decoupled: true,
      decoupleLr: false,
      initialLr: 0.1,
    },
  });
  // One Adam step moves each nonzero-gradient weight by ~lr against its gradient.
  expect(Array.from(param.data)).toEqual([0x3f66, 0xbf66, 0]);
});
