import { describe, expect, it } from 'vitest';
import { roundToDtype } from '../../../dtype/convert.js';
import type { DType } from '../../../dtype/dtypes.js';
import type { OpName } from '../../../ops/catalogue.js';
import { runOp } from '../__fixtures__/graphs.js';
import { createReferenceBackend } from '../reference-backend.js';

const backend = createReferenceBackend();
const FLOATS: DType[] = ['float32', 'float64', 'bfloat16', 'float16'];
const X = [-2.5, -1, -0.375, 0, 0.25, 1, 1.5, 3];
const POSITIVE = [0.125, 0.5, 1, 2, 3.5, 10];

// Independent f64 formulas (not the kernels' helpers), rounded once by the scalar helper.
const UNARY: Array<[OpName, (x: number) => number, number[]]> = [
  ['neg', (x) => -x, X],
  ['abs', Math.abs, X],
  ['exp', Math.exp, X],
  ['log', Math.log, POSITIVE],
  ['sqrt', Math.sqrt, POSITIVE],
  ['rsqrt', (x) => 1 / Math.sqrt(x), POSITIVE],
  ['relu', (x) => Math.max(x, 0), X],
  ['tanh', Math.tanh, X],
  ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), X],
];

describe('unary ops compute in f64 and round once', () => {
  const cases = UNARY.flatMap(([op, f, xs]) => FLOATS.map((d) => [op, d, f, xs] as const));
  it.each(cases)('%s %s', async (op, dtype, f, xs) => {
    const inputs = xs.map((x) => roundToDtype(x, dtype));
    const out = await runOp(backend, op, {} as never, [
      { dtype, shape: [xs.length], values: inputs },
    ]);
    expect(out.dtype).toBe(dtype);
    expect(out.values).toEqual(inputs.map((x) => roundToDtype(f(x), dtype)));
  });

  it('relu keeps -0 and NaN (torch clamp_min), abs and neg work on int8', async () => {
    const relu = await runOp(backend, 'relu', {}, [
      { dtype: 'float32', shape: [3], values: [-0, Number.NaN, -1] },
    ]);
    expect(Object.is(relu.values[0], -0)).toBe(true);
    expect(relu.values[1]).toBeNaN();
    expect(relu.values[2]).toBe(0);
    const neg = await runOp(backend, 'neg', {}, [{ dtype: 'int8', shape: [2], values: [-128, 5] }]);
    expect(neg.values).toEqual([127, -5]); // saturates instead of wrapping to -128
  });
});

describe('gelu', () => {
  // Exact GELU values from mpmath (200 bits).
  const EXACT: Array<[number, number]> = [
    [-3, -0.0040496940948902835],
    [-1, -0.15865525393145705],
    [0.5, 0.34573123063700656],
    [1, 0.8413447460685429],
    [3, 2.99595030590511],
    [-10, -7.619853024160526e-23],
  ];
  it.each(EXACT)('exact gelu(%s)', async (x, expected) => {
    const f64 = await runOp(backend, 'gelu', { approximate: 'none' }, [
      { dtype: 'float64', shape: [1], values: [x] },
    ]);
    expect(Math.abs(f64.values[0] - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-14);
    const f32 = await runOp(backend, 'gelu', { approximate: 'none' }, [
      { dtype: 'float32', shape: [1], values: [x] },
    ]);
    expect(f32.values[0]).toBe(Math.fround(expected));
  });

  it('tanh form matches 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))', async () => {
    const tanhGelu = (x: number) =>
      0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    const out = await runOp(backend, 'gelu', { approximate: 'tanh' }, [
      { dtype: 'float64', shape: [X.length], values: X },
    ]);
    out.values.forEach((v, i) => {
      expect(Math.abs(v - tanhGelu(X[i]))).toBeLessThanOrEqual(1e-15);
    });
  });
});

describe('binary ops', () => {
  const BINARY: Array<[OpName, (a: number, b: number) => number]> = [
    ['add', (a, b) => a + b],
    ['sub', (a, b) => a - b],
    ['mul', (a, b) => a * b],
    ['div', (a, b) => a / b],
    ['pow', (a, b) => a ** b],
    ['maximum', Math.max],
    ['minimum', Math.min],
  ];
  const A = [0.5, 1.25, 2, 3.75, 0.1, 7];
  const B = [1.5, 0.3, 2.5];
  const cases = BINARY.flatMap(([op, f]) => FLOATS.map((d) => [op, d, f] as const));
  it.each(cases)('%s %s broadcasts [2,3] with [3]', async (op, dtype, f) => {
    const a = A.map((v) => roundToDtype(v, dtype));
    const b = B.map((v) => roundToDtype(v, dtype));
    const out = await runOp(backend, op, {}, [
      { dtype, shape: [2, 3], values: a },
      { dtype, shape: [3], values: b },
    ]);
    expect(out.shape).toEqual([2, 3]);
    expect(out.values).toEqual(a.map((v, i) => roundToDtype(f(v, b[i % 3]), dtype)));
  });

  it.each([
    [
      [2, 1],
      [1, 3],
      [2, 3],
      [11, 12, 13, 21, 22, 23],
    ],
    [[], [2, 2], [2, 2], [11, 12, 13, 14]],
    [[3], [2, 1, 1], [2, 1, 3], [11, 12, 13, 21, 22, 23]],
  ])('broadcasts %j + %j', async (sa, sb, shape, expected) => {
    const values = (s: number[], base: number) =>
      Array.from({ length: s.reduce((n, d) => n * d, 1) }, (_v, i) => base * (i + 1));
    const a = sa.length === 0 ? [10] : sa[0] === 3 ? [1, 2, 3] : values(sa, 10);
    const b = sa.length === 0 ? [1, 2, 3, 4] : sa[0] === 3 ? [10, 20] : values(sb, 1);
    const out = await runOp(backend, 'add', {}, [
      { dtype: 'float32', shape: sa, values: a },
      { dtype: 'float32', shape: sb, values: b },
    ]);
    expect(out.shape).toEqual(shape);
    expect(out.values).toEqual(expected);
  });

  it.each([
    ['bfloat16', 1, 2 ** -8, 1], // exact tie 1 + 2^-8 goes to the even neighbour 1
    ['bfloat16', 1 + 2 ** -7, 2 ** -8, 1 + 2 ** -6], // tie goes up to the even neighbour
    ['float16', 60000, 10000, Number.POSITIVE_INFINITY], // fp16 overflow
    ['float16', -60000, -10000, Number.NEGATIVE_INFINITY],
    ['float16', 2 ** -24, 2 ** -24, 2 ** -23], // subnormals kept
    ['int8', 100, 100, 127], // integers saturate
    ['uint8', 3, 250, 253],
    ['int32', 2 ** 31 - 1, 1, 2 ** 31 - 1],
  ] as const)('add %s %s + %s = %s', async (dtype, a, b, expected) => {
    const out = await runOp(backend, 'add', {}, [
      { dtype, shape: [1], values: [a] },
      { dtype, shape: [1], values: [b] },
    ]);
    expect(out.values).toEqual([expected]);
  });

  it('maximum/minimum propagate NaN and order -0 below +0; pow(1, NaN) = 1', async () => {
    const inputs = [
      { dtype: 'float32', shape: [3], values: [Number.NaN, -0, 1] },
      { dtype: 'float32', shape: [3], values: [1, 0, Number.NaN] },
    ] as const;
    const max = await runOp(backend, 'maximum', {}, inputs);
    expect(max.values[0]).toBeNaN();
    expect(Object.is(max.values[1], 0)).toBe(true);
    expect(max.values[2]).toBeNaN();
    const min = await runOp(backend, 'minimum', {}, inputs);
    expect(Object.is(min.values[1], -0)).toBe(true);
    const pow = await runOp(backend, 'pow', {}, [
      { dtype: 'float32', shape: [2], values: [1, -1] },
      { dtype: 'float32', shape: [2], values: [Number.NaN, Number.POSITIVE_INFINITY] },
    ]);
    expect(pow.values).toEqual([1, 1]);
  });
});

describe('comparisons and where', () => {
  const a = [1, 2, Number.NaN, -0];
  const b = [2, 2, Number.NaN, 0];
  it.each([
    ['eq', [0, 1, 0, 1]],
    ['ne', [1, 0, 1, 0]],
    ['lt', [1, 0, 0, 0]],
    ['le', [1, 1, 0, 1]],
    ['gt', [0, 0, 0, 0]],
    ['ge', [0, 1, 0, 1]],
  ] as const)('%s gives bool', async (op, expected) => {
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const out = await runOp(backend, op, {}, [
        { dtype, shape: [4], values: a },
        { dtype, shape: [4], values: b },
      ]);
      expect(out.dtype).toBe('bool');
      expect(out.values).toEqual(expected);
    }
  });

  it('where selects with broadcasting and copies bits', async () => {
    const out = await runOp(backend, 'where', {}, [
      { dtype: 'bool', shape: [2, 1], values: [1, 0] },
      { dtype: 'bfloat16', shape: [3], values: [1, Number.NaN, 3] },
      { dtype: 'bfloat16', shape: [], values: [-0] },
    ]);
    expect(out.shape).toEqual([2, 3]);
    expect(out.values.slice(0, 3)).toEqual([1, Number.NaN, 3]);
    expect(out.values.slice(3).every((v) => Object.is(v, -0))).toBe(true);
  });
});
