import { describe, expect, it } from 'vitest';
import { MixprecError } from '../../../errors/mixprec-error.js';
import { encode, GraphBuilder, runOp } from '../__fixtures__/graphs.js';
import { createReferenceBackend } from '../reference-backend.js';

const backend = createReferenceBackend();
// x[i][j] = 10i + j, shape [2,3].
const X = [0, 1, 2, 10, 11, 12];
const input = { dtype: 'float32', shape: [2, 3], values: X } as const;

describe('layout kernels copy stored bits', () => {
  it.each([
    ['reshape', { shape: [3, 2] }, [3, 2], X],
    ['permute', { perm: [1, 0] }, [3, 2], [0, 10, 1, 11, 2, 12]],
    ['expand', { shape: [2, 2, 3] }, [2, 2, 3], [...X, ...X]],
    ['slice', { begin: [0, 0], end: [2, 3], step: [1, 2] }, [2, 2], [0, 2, 10, 12]],
    ['slice', { begin: [1, 1], end: [2, 3], step: [1, 1] }, [1, 2], [11, 12]],
    ['slice', { begin: [0, 2], end: [2, 2], step: [1, 1] }, [2, 0], []],
  ] as const)('%s %j', async (op, attrs, shape, expected) => {
    const out = await runOp(backend, op, attrs as never, [input]);
    expect(out.shape).toEqual(shape);
    expect(out.values).toEqual(expected);
  });

  it('permutes a rank-3 tensor', async () => {
    const values = Array.from({ length: 24 }, (_v, i) => i);
    const out = await runOp(backend, 'permute', { perm: [2, 0, 1] }, [
      { dtype: 'int32', shape: [2, 3, 4], values },
    ]);
    expect(out.shape).toEqual([4, 2, 3]);
    // out[k][i][j] = x[i][j][k] = 12i + 4j + k
    const expected = [];
    for (let k = 0; k < 4; k++)
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(12 * i + 4 * j + k);
    expect(out.values).toEqual(expected);
  });

  it('expands size-1 dims in the middle and keeps half bit patterns (NaN payload too)', async () => {
    const g = new GraphBuilder();
    const x = g.input('bfloat16', [2, 1]);
    const out = g.op('expand', [x], { shape: [2, 3] });
    const bits = new Uint16Array([0x7fc1, 0x8000]);
    const feed = backend.upload(bits, 'bfloat16', [2, 1]);
    const [r] = await backend.run(g.build([out]), [feed]);
    expect(Array.from((await backend.download(r)) as Uint16Array)).toEqual([
      0x7fc1, 0x7fc1, 0x7fc1, 0x8000, 0x8000, 0x8000,
    ]);
    backend.free(feed);
    backend.free(r);
  });

  it.each([
    [0, [4, 3], [...X, 20, 21, 22, 30, 31, 32]],
    [1, [2, 6], [0, 1, 2, 20, 21, 22, 10, 11, 12, 30, 31, 32]],
  ])('concat along axis %s', async (axis, shape, expected) => {
    const other = { dtype: 'float32', shape: [2, 3], values: [20, 21, 22, 30, 31, 32] } as const;
    const out = await runOp(backend, 'concat', { axis }, [input, other]);
    expect(out.shape).toEqual(shape);
    expect(out.values).toEqual(expected);
  });

  it('concat of three tensors with different sizes along the axis', async () => {
    const out = await runOp(backend, 'concat', { axis: 1 }, [
      { dtype: 'int8', shape: [2, 1], values: [1, 2] },
      { dtype: 'int8', shape: [2, 0], values: [] },
      { dtype: 'int8', shape: [2, 2], values: [3, 4, 5, 6] },
    ]);
    expect(out).toMatchObject({ shape: [2, 3], values: [1, 3, 4, 2, 5, 6] });
  });
});

describe('gather', () => {
  it.each([
    [0, [1], [1], [1, 3], [10, 11, 12]],
    [0, [3], [1, 0, 1], [3, 3], [10, 11, 12, 0, 1, 2, 10, 11, 12]],
    [1, [2, 2], [2, 0, 1, 1], [2, 2, 2], [2, 0, 1, 1, 12, 10, 11, 11]],
    [1, [], [2], [2], [2, 12]],
  ])('axis %s indices shape %j', async (axis, ishape, indices, shape, expected) => {
    const out = await runOp(backend, 'gather', { axis }, [
      input,
      { dtype: 'int32', shape: ishape, values: indices },
    ]);
    expect(out.shape).toEqual(shape);
    expect(out.values).toEqual(expected);
  });

  it.each([
    [3, 'index 3 at position 1'],
    [-1, 'index -1 at position 1'],
  ])('rejects index %s naming the index and the dim', async (bad, text) => {
    const run = runOp(backend, 'gather', { axis: 1 }, [
      input,
      { dtype: 'int8', shape: [2], values: [0, bad] },
    ]);
    await expect(run).rejects.toThrow(text);
    await expect(run).rejects.toThrow('out of range for axis 1 of size 3');
    await expect(run).rejects.toSatisfy(MixprecError.isInstance);
  });
});

it('encode helper round-trips through a copy', () => {
  expect(Array.from(encode([1.5], 'float16'))).toEqual([0x3e00]);
});
