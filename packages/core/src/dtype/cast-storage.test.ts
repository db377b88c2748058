import { describe, expect, it } from 'vitest';
import { DtypeError } from '../errors/dtype-error.js';
import { bf16BitsToF32, castStorage, f16BitsToF32, roundToDtype } from './convert.js';
import { DTYPE_NAMES, DTYPES, type DType, type StorageArray } from './dtypes.js';

// An independent oracle for the expected values: half formats by value arithmetic (grid
// spacing from the exponent, explicit half-even tie test), not by bit patterns.
const HALF = {
  bfloat16: { p: 8, emin: -126, max: 255 * 2 ** 120 },
  float16: { p: 11, emin: -14, max: 2047 * 2 ** 5 },
} as const;

function roundHalf(x: number, f: { p: number; emin: number; max: number }): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  const q = 2 ** (Math.max(e, f.emin) - f.p + 1);
  let n = Math.floor(a / q);
  const frac = a / q - n;
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n += 1;
  const r = n * q > f.max ? Number.POSITIVE_INFINITY : n * q;
  return x < 0 ? -r : r;
}

/** What a value becomes in `to`, by the documented rules. */
function expected(v: number, to: DType): number {
  switch (to) {
    case 'float64':
      return v;
    case 'float32':
      return Math.fround(v); // ECMAScript's ToFloat32: round to nearest, ties to even
    case 'bfloat16':
    case 'float16':
      return roundHalf(v, HALF[to]);
    case 'bool':
      return v === 0 ? 0 : 1;
    default: {
      if (Number.isNaN(v)) return 0;
      const { min, max } = DTYPES[to];
      return Math.min(max, Math.max(min, Math.trunc(v))) + 0; // + 0 turns -0 into 0
    }
  }
}

const decode16 = { bfloat16: bf16BitsToF32, float16: f16BitsToF32 } as const;

/** The value of element i of a storage array. */
function valueAt(array: StorageArray, dtype: DType, i: number): number {
  if (dtype === 'bfloat16' || dtype === 'float16') return decode16[dtype](array[i]);
  return array[i];
}

const FLOAT_EDGES = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2.5,
  -2.7,
  127.5,
  128,
  -128.9,
  -129,
  255.5,
  256,
  300,
  -300,
  32767.9,
  32768,
  -32769,
  65504,
  65519,
  65520,
  1e5,
  -1e10,
  2 ** 31,
  -(2 ** 31) - 1,
  16777217,
  2 ** -24,
  2 ** -25,
  3e-8,
  1e-40,
  2 ** -149,
  3.3895313892515355e38,
  3.4e38,
  1e300,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];
const SOURCES: { [D in DType]: StorageArray } = {
  float64: Float64Array.from(FLOAT_EDGES),
  float32: Float32Array.from(FLOAT_EDGES),
  // bf16 / fp16 patterns: zeros, ±1, subnormals, max, inf, NaN, odd values
  bfloat16: Uint16Array.from([
    0, 0x8000, 0x3f80, 0xbfc0, 0x0001, 0x7f7f, 0xff7f, 0x7f80, 0xff80, 0x7fc0, 0x4780, 0x4f00,
    0xc3fe,
  ]),
  float16: Uint16Array.from([
    0, 0x8000, 0x3c00, 0xbe00, 0x0001, 0x03ff, 0x7bff, 0xfbff, 0x7c00, 0xfc00, 0x7e00, 0x5bf8,
    0xd81e,
  ]),
  int8: Int8Array.from([0, 1, -1, 127, -128, 100, -100]),
  uint8: Uint8Array.from([0, 1, 127, 128, 200, 255]),
  int16: Int16Array.from([0, -1, 255, 256, -129, 300, 32767, -32768]),
  int32: Int32Array.from([
    0,
    -1,
    257,
    259,
    65519,
    65520,
    -70000,
    16777217,
    16908289,
    2 ** 31 - 1,
    -(2 ** 31),
  ]),
  bool: Uint8Array.from([0, 1, 2]),
};

describe('castStorage', () => {
  const pairs = DTYPE_NAMES.flatMap((from) => DTYPE_NAMES.map((to) => [from, to] as const));

  it.each(pairs)('%s -> %s on edge values', (from, to) => {
    const src = SOURCES[from];
    const out = castStorage(src, from, to);
    expect(out.constructor.name).toBe(DTYPES[to].storage);
    expect(out.length).toBe(src.length);
    expect(out).not.toBe(src);
    const bad: string[] = [];
    for (let i = 0; i < src.length; i++) {
      const v = from === 'bool' ? (src[i] !== 0 ? 1 : 0) : valueAt(src, from, i);
      const want = expected(v, to);
      const got = valueAt(out, to, i);
      if (!Object.is(got, want)) bad.push(`${v} -> ${got}, want ${want}`);
    }
    expect(bad).toEqual([]);
  });

  it('float -> int truncates toward zero, saturates, and maps NaN to 0', () => {
    const src = Float32Array.from([2.9, -2.9, -0.5, Number.NaN, Infinity, -Infinity, 300, -300]);
    expect([...castStorage(src, 'float32', 'int8')]).toEqual([2, -2, 0, 0, 127, -128, 127, -128]);
    expect([...castStorage(src, 'float32', 'uint8')]).toEqual([2, 0, 0, 0, 255, 0, 255, 0]);
    const big = Float64Array.from([3e9, -3e9, 2147483647.9]);
    expect([...castStorage(big, 'float64', 'int32')]).toEqual([
      2147483647, -2147483648, 2147483647,
    ]);
  });

  it('int -> narrower int saturates (torch and C would wrap around)', () => {
    expect([...castStorage(Int32Array.from([300, -300, 70000]), 'int32', 'int8')]).toEqual([
      127, -128, 127,
    ]);
    expect([...castStorage(Uint8Array.from([200, 255]), 'uint8', 'int8')]).toEqual([127, 127]);
    expect([...castStorage(Int8Array.from([-1, 5]), 'int8', 'uint8')]).toEqual([0, 5]);
  });

  it('int32 -> bf16 rounds once from the exact integer', () => {
    // 2^24 + 2^16 + 1 is just above a bf16 tie; fp32 would first round it onto the tie
    // (2^24 + 2^16), and ties-to-even would then give 2^24.
    const out = castStorage(
      Int32Array.from([257, 259, 2 ** 24 + 2 ** 16 + 1]),
      'int32',
      'bfloat16',
    );
    expect([...out].map(bf16BitsToF32)).toEqual([256, 260, 2 ** 24 + 2 ** 17]);
    const fp = castStorage(Int32Array.from([2049, 65519, 65520]), 'int32', 'float16');
    expect([...fp].map(f16BitsToF32)).toEqual([2048, 65504, Infinity]);
  });

  it('anything -> bool is nonzero (NaN included) -> 1', () => {
    const src = Float32Array.from([0, -0, Number.NaN, 1e-45, -Infinity]);
    expect([...castStorage(src, 'float32', 'bool')]).toEqual([0, 0, 1, 1, 1]);
    expect([...castStorage(Uint16Array.from([0x8000, 0x7e00]), 'float16', 'bool')]).toEqual([0, 1]);
  });

  it('half -> half goes through the exact value (bf16 1+2^-7 is exact in fp16)', () => {
    expect([...castStorage(Uint16Array.from([0x3f81, 0x7f7f]), 'bfloat16', 'float16')]).toEqual([
      0x3c08, 0x7c00,
    ]);
    expect([...castStorage(Uint16Array.from([0x3c01, 0x0001]), 'float16', 'bfloat16')]).toEqual([
      0x3f80, 0x3380,
    ]);
  });

  it('rejects a storage of the wrong type and unknown dtypes', () => {
    expect(() => castStorage(new Float32Array(2), 'float64', 'int8')).toThrow(DtypeError);
    expect(() => castStorage(new Float32Array(2), 'float64', 'int8')).toThrow(
      "castStorage: argument 'src' is a Float32Array; expected a Float64Array (the storage of 'float64')",
    );
    const bad = 'float8' as DType;
    expect(() => castStorage(new Float32Array(2), 'float32', bad)).toThrow(
      `castStorage: argument 'to' is "float8"; expected one of ${DTYPE_NAMES.join(', ')}`,
    );
  });
});

describe('dtype table limits (computed independently)', () => {
  it.each([
    // dtype, eps, max, smallest normal, smallest subnormal
    [
      'float32',
      1.1920928955078125e-7,
      3.4028234663852886e38,
      1.1754943508222875e-38,
      1.401298464324817e-45,
    ],
    ['float64', Number.EPSILON, Number.MAX_VALUE, 2.2250738585072014e-308, Number.MIN_VALUE],
    ['bfloat16', 0.0078125, 3.3895313892515355e38, 1.1754943508222875e-38, 9.183549615799121e-41],
    ['float16', 0.0009765625, 65504, 6.103515625e-5, 5.9604644775390625e-8],
  ] as const)('%s', (dtype, eps, max, normal, subnormal) => {
    const info = DTYPES[dtype];
    expect([info.eps, info.max, info.min, info.smallestNormal, info.smallestSubnormal]).toEqual([
      eps,
      max,
      -max,
      normal,
      subnormal,
    ]);
    // The limits are representable and sit where rounding says they do.
    expect(roundToDtype(max, dtype)).toBe(max);
    expect(roundToDtype(subnormal, dtype)).toBe(subnormal);
    expect(roundToDtype(subnormal / 2, dtype)).toBe(0); // a tie: to even, i.e. 0
    expect(roundToDtype(1 + eps, dtype)).toBe(1 + eps);
    expect(roundToDtype(1 + eps / 2, dtype)).toBe(1); // a tie: to even, i.e. 1
    if (dtype !== 'float64') {
      // max + half an ulp is a tie between max (odd mantissa) and 2^(emax+1): to even, so inf.
      const halfUlp = 2 ** (Math.floor(Math.log2(max)) - info.mantissaBits - 1);
      expect(roundToDtype(max + halfUlp, dtype)).toBe(Infinity);
      expect(roundToDtype(max + halfUlp / 2, dtype)).toBe(max);
    }
  });

  it('half max and subnormal bit patterns decode to the table values', () => {
    expect([bf16BitsToF32(0x7f7f), bf16BitsToF32(0x0001), bf16BitsToF32(0x0080)]).toEqual([
      DTYPES.bfloat16.max,
      DTYPES.bfloat16.smallestSubnormal,
      DTYPES.bfloat16.smallestNormal,
    ]);
    expect([f16BitsToF32(0x7bff), f16BitsToF32(0x0001), f16BitsToF32(0x0400)]).toEqual([
      DTYPES.float16.max,
      DTYPES.float16.smallestSubnormal,
      DTYPES.float16.smallestNormal,
    ]);
  });

  it.each([
    ['int8', -128, 127],
    ['uint8', 0, 255],
    ['int16', -32768, 32767],
    ['int32', -2147483648, 2147483647],
    ['bool', 0, 1],
  ] as const)('%s range', (dtype, min, max) => {
    expect([DTYPES[dtype].min, DTYPES[dtype].max]).toEqual([min, max]);
    expect([roundToDtype(min - 1e6, dtype), roundToDtype(max + 1e6, dtype)]).toEqual(
      dtype === 'bool' ? [1, 1] : [min, max],
    );
    expect(roundToDtype(Number.NaN, dtype)).toBe(dtype === 'bool' ? 1 : 0);
  });
});
