import { describe, expect, it } from 'vitest';
import { DtypeError } from '../errors/dtype-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { inferNode } from './infer.js';

const f32 = (shape: number[]) => ({ shape, dtype: 'float32' as const });

describe('inferNode', () => {
  it.each([
    ['add', [3, 1], [1, 4], [3, 4]],
    ['mul', [2, 1, 3], [4, 1], [2, 4, 3]],
    ['sub', [], [5], [5]],
    ['maximum', [0, 3], [1, 3], [0, 3]],
  ] as const)('%s broadcasts %j with %j to %j', (op, a, b, out) => {
    expect(inferNode(op, {}, [f32([...a]), f32([...b])]).shape).toEqual(out);
  });

  it('names both shapes on a broadcast mismatch', () => {
    expect(() => inferNode('add', {}, [f32([2, 3]), f32([4])])).toThrow(ShapeMismatchError);
    expect(() => inferNode('add', {}, [f32([2, 3]), f32([4])])).toThrow(
      'add: shapes [2,3] and [4] cannot be broadcast together',
    );
  });

  it('matmul: batch broadcast and inner-dim errors', () => {
    expect(inferNode('matmul', {}, [f32([2, 1, 3, 4]), f32([5, 4, 6])]).shape).toEqual([
      2, 5, 3, 6,
    ]);
    expect(() => inferNode('matmul', {}, [f32([3, 4]), f32([5, 6])])).toThrow(
      'matmul: inner dims differ: a is [3,4] and b is [5,6] (4 vs 5); expected a[..., M, K] @ b[..., K, N]',
    );
    expect(() => inferNode('matmul', {}, [f32([4]), f32([4, 2])])).toThrow(/expected rank >= 2/);
  });

  it('rejects mixed dtypes in a hand-built node, naming both', () => {
    const call = () => inferNode('add', {}, [f32([2]), { shape: [2], dtype: 'bfloat16' }]);
    expect(call).toThrow(DtypeError);
    expect(call).toThrow("add: argument 'b' has dtype bfloat16 but 'a' has float32");
  });

  it('reductions: keepdims, int sums widen to int32, bad axes', () => {
    expect(inferNode('sum', { axes: [1], keepdims: true }, [f32([2, 3, 4])]).shape).toEqual([
      2, 1, 4,
    ]);
    expect(inferNode('sum', { axes: [0, 2], keepdims: false }, [f32([2, 3, 4])]).shape).toEqual([
      3,
    ]);
    expect(
      inferNode('sum', { axes: [0], keepdims: false }, [{ shape: [3], dtype: 'int8' }]).dtype,
    ).toBe('int32');
    expect(() => inferNode('sum', { axes: [3], keepdims: false }, [f32([2, 3])])).toThrow(
      /axes \[3\] do not fit shape \[2,3\]/,
    );
    expect(() =>
      inferNode('mean', { axes: [0], keepdims: false }, [{ shape: [3], dtype: 'int32' }]),
    ).toThrow(DtypeError);
  });

  it('shape ops', () => {
    expect(inferNode('reshape', { shape: [6] }, [f32([2, 3])]).shape).toEqual([6]);
    expect(() => inferNode('reshape', { shape: [4] }, [f32([2, 3])])).toThrow(
      'reshape: cannot reshape [2,3] (6 elements) to [4] (4 elements)',
    );
    expect(inferNode('permute', { perm: [2, 0, 1] }, [f32([2, 3, 4])]).shape).toEqual([4, 2, 3]);
    expect(() => inferNode('permute', { perm: [0, 0] }, [f32([2, 3])])).toThrow(
      /expected a permutation of 0..1/,
    );
    expect(inferNode('expand', { shape: [5, 2, 3] }, [f32([2, 1])]).shape).toEqual([5, 2, 3]);
    expect(() => inferNode('expand', { shape: [3, 3] }, [f32([2, 1])])).toThrow(
      /cannot be expanded/,
    );
    expect(
      inferNode('slice', { begin: [0, 1], end: [2, 4], step: [1, 2] }, [f32([2, 4])]).shape,
    ).toEqual([2, 2]);
    expect(inferNode('concat', { axis: 1 }, [f32([2, 3]), f32([2, 5])]).shape).toEqual([2, 8]);
    expect(() => inferNode('concat', { axis: 1 }, [f32([2, 3]), f32([3, 5])])).toThrow(
      /tensor 1 has shape \[3,5\] but tensor 0 has \[2,3\]/,
    );
    expect(
      inferNode('gather', { axis: 0 }, [f32([10, 4]), { shape: [2, 3], dtype: 'int32' }]).shape,
    ).toEqual([2, 3, 4]);
    expect(() => inferNode('gather', { axis: 0 }, [f32([10, 4]), f32([2])])).toThrow(
      /'indices' has dtype float32; expected an integer dtype/,
    );
  });

  it('float-only ops reject integers and where needs a bool condition', () => {
    expect(() => inferNode('exp', {}, [{ shape: [2], dtype: 'int32' }])).toThrow(
      "exp: argument 'a' has dtype int32; expected a floating dtype",
    );
    expect(() => inferNode('where', {}, [f32([2]), f32([2]), f32([2])])).toThrow(
      "where: argument 'cond' has dtype float32; expected bool",
    );
    expect(inferNode('lt', {}, [f32([2]), f32([2])]).dtype).toBe('bool');
  });
});
