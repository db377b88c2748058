import { describe, expect, it } from 'vitest';
import { inferNode } from '../../../ops/infer.js';
import { runOp } from '../__fixtures__/graphs.js';
import { geluErf, geluTanh } from '../activations.js';
import { createReferenceBackend } from '../reference-backend.js';
import { geluErfDerivative, geluTanhDerivative } from './backward.js';

const backend = createReferenceBackend();
const f32 = (shape: number[], values: number[]) => ({ dtype: 'float32', shape, values }) as const;

describe('backward kernels', () => {
  it.each([
    ['none', geluErf, geluErfDerivative],
    ['tanh', geluTanh, geluTanhDerivative],
  ] as const)("gelu'(x) (%s) matches a central difference of gelu", (_name, f, d) => {
    for (const x of [-6, -3, -1, -0.25, 0, 0.5, 1, 2.5, 5]) {
      const h = 1e-5;
      expect(d(x)).toBeCloseTo((f(x + h) - f(x - h)) / (2 * h), 8);
    }
  });

  it('gatherGrad sums repeated indices and leaves other rows at zero', async () => {
    const out = await runOp(backend, 'gatherGrad', { axis: 0, size: 3 }, [
      f32([3, 2], [1, 2, 10, 20, 100, 200]),
      { dtype: 'int32', shape: [3], values: [2, 0, 2] },
    ]);
    expect(out.shape).toEqual([3, 2]);
    expect(out.values).toEqual([10, 20, 0, 0, 101, 202]);
  });

  it('gatherGrad rejects an index out of range, naming it', async () => {
    await expect(
      runOp(backend, 'gatherGrad', { axis: 0, size: 2 }, [
        f32([1], [1]),
        { dtype: 'int32', shape: [1], values: [2] },
      ]),
    ).rejects.toThrow(
      /gatherGrad: index 2 at position 0 .* axis 0 of size 2; expected 0 <= index < 2/,
    );
  });

  it('sliceGrad places dy into zeros at the sliced positions', async () => {
    const attrs = { shape: [2, 4], begin: [0, 1], end: [2, 4], step: [1, 2] };
    const out = await runOp(backend, 'sliceGrad', attrs, [f32([2, 2], [1, 2, 3, 4])]);
    expect(out.values).toEqual([0, 1, 0, 2, 0, 3, 0, 4]);
  });
});

describe('inference of the backward ops', () => {
  const t = (shape: number[], dtype: 'float32' | 'int32' | 'float16' = 'float32') => ({
    shape,
    dtype,
  });

  it('infers the data shape and rejects mismatches with clear messages', () => {
    expect(inferNode('gatherGrad', { axis: 1, size: 5 }, [t([2, 3, 4]), t([3], 'int32')])).toEqual(
      t([2, 5, 4]),
    );
    expect(() =>
      inferNode('gatherGrad', { axis: 1, size: 5 }, [t([2, 3, 4]), t([2], 'int32')]),
    ).toThrow(/gatherGrad: dy \[2,3,4\] does not hold indices \[2\] at axis 1/);
    expect(() =>
      inferNode('sliceGrad', { shape: [4], begin: [0], end: [4], step: [2] }, [t([3])]),
    ).toThrow(/sliceGrad: dy has shape \[3\] but slicing \[4\] gives \[2\]/);
    expect(() => inferNode('geluGrad', { approximate: 'none' }, [t([2]), t([3])])).toThrow(
      /geluGrad: argument 'b' has shape \[3\] but 'a' has \[2\]; expected equal shapes/,
    );
    expect(() =>
      inferNode('geluGrad', { approximate: 'none' }, [t([2]), t([2], 'float16')]),
    ).toThrow(/geluGrad: argument 'b' has dtype float16/);
  });
});
