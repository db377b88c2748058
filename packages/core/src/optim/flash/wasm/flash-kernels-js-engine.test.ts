// The golden and hostile-data tests of flash-kernels.test.ts, run again with the JS loop forced
// for the specialised FlashAdam path (the default run uses the wasm SIMD kernel where available).
import { expect, it } from 'vitest';
import { flashKernelEngine, setFlashKernelEngine } from '../flash-kernels.js';
import '../flash-kernels.test.js';

setFlashKernelEngine('js');

it('the JS engine is selected for this file', () => {
  expect(flashKernelEngine()).toBe('js');
});
