// The golden and hostile-data tests of flash-kernels.test.ts, run again with the wasm SIMD
// kernel required for the specialised FlashAdam path (throws where WebAssembly SIMD is missing).
import { expect, it } from 'vitest';
import { flashKernelEngine, setFlashKernelEngine } from '../flash-kernels.js';
import '../flash-kernels.test.js';

setFlashKernelEngine('wasm-simd');

it('the wasm engine is selected for this file', () => {
  expect(flashKernelEngine()).toBe('wasm-simd');
});
