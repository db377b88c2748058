import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTestVectors } from '../__fixtures__/test-vectors.js';
import { DtypeError } from '../errors/dtype-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import {
  bf16BitsToF32,
  bf16ToF32,
  bf16ToF64,
  conversionEngine,
  f16BitsToF32,
  f16ToF32,
  f16ToF64,
  f32ToBf16,
  f32ToBf16Bits,
  f32ToF16,
  f32ToF16Bits,
  f64ToBf16,
  f64ToBf16Bits,
  f64ToF16,
  f64ToF16Bits,
  roundToDtype,
  roundToHalfInPlace,
  setConversionEngine,
} from './convert.js';

interface CastCase {
  tag: string;
  f32: string;
  bf16: string;
  fp16: string;
  bf16_to_f32: string;
  fp16_to_f32: string;
}
interface WidenCase {
  dtype: 'bf16' | 'fp16';
  bits: string;
  f32: string;
}

const golden = readTestVectors<{ cases: CastCase[]; widen_cases: WidenCase[] }>('casts.json');

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
const bitsOfF32 = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
// NaN patterns, by the golden file's description: exponent all ones, mantissa nonzero.
const isNaN16 = (bits: number, expMask: number) =>
  (bits & expMask) === expMask && (bits & ~expMask & 0x7fff) !== 0;
const isNaN32 = (bits: number) => (bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0;
const BF_EXP = 0x7f80;
const FP_EXP = 0x7c00;

/** Bit-exact comparison with the golden NaN policy: a NaN is fine where torch gave a NaN. */
function mismatches16(got: ArrayLike<number>, want: string[], expMask: number): string[] {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = Number.parseInt(want[i], 16);
    const ok = isNaN16(w, expMask) ? isNaN16(got[i], expMask) : got[i] === w;
    if (!ok) bad.push(`#${i}: got ${hex(got[i], 4)}, want ${want[i]}`);
  }
  return bad;
}

function mismatches32(got: Uint32Array, want: string[]): string[] {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = Number.parseInt(want[i], 16);
    const ok = isNaN32(w) ? isNaN32(got[i]) : got[i] === w;
    if (!ok) bad.push(`#${i}: got ${hex(got[i], 8)}, want ${want[i]}`);
  }
  return bad;
}

const inputs = new Uint32Array(golden.cases.map((c) => Number.parseInt(c.f32, 16)));
const f32Inputs = new Float32Array(inputs.buffer);

describe.each(['auto', 'js'] as const)('engine %s', (engine) => {
  beforeAll(() => {
    setConversionEngine(engine);
  });
  afterAll(() => {
    setConversionEngine('auto');
  });

  it('reports the engine', () => {
    expect(conversionEngine()).toBe(engine === 'js' ? 'js' : 'wasm-simd');
  });

  // Whole array (4289 elements, above the wasm threshold) and in short slices (TS loops).
  it.each([
    ['bulk', 0],
    ['slices of 7', 7],
  ])('golden casts.json fp32 -> bf16 / fp16 -> fp32 (%s)', (_, slice) => {
    const n = f32Inputs.length;
    const bf = new Uint16Array(n);
    const fp = new Uint16Array(n);
    const step = slice || n;
    for (let off = 0; off < n; off += step) {
      const end = Math.min(n, off + step);
      f32ToBf16(f32Inputs.subarray(off, end), bf.subarray(off, end));
      f32ToF16(f32Inputs.subarray(off, end), fp.subarray(off, end));
    }
    expectGoldenHalves(bf, fp);
    expect(
      mismatches32(
        bitsOfF32(bf16ToF32(bf)),
        golden.cases.map((c) => c.bf16_to_f32),
      ),
    ).toEqual([]);
    expect(
      mismatches32(
        bitsOfF32(f16ToF32(fp)),
        golden.cases.map((c) => c.fp16_to_f32),
      ),
    ).toEqual([]);
    // The promised NaN patterns: quiet, sign of the input.
    for (let i = 0; i < n; i++) {
      if (!isNaN32(inputs[i])) continue;
      const sign = inputs[i] >>> 31 ? 0x8000 : 0;
      expect([hex(bf[i], 4), hex(fp[i], 4)]).toEqual([
        hex(0x7fc0 | sign, 4),
        hex(0x7e00 | sign, 4),
      ]);
    }
  });

  it('golden widen_cases (bf16 widening is a pure shift, fp16 NaNs come out quiet)', () => {
    for (const [dtype, widen] of [
      ['bf16', bf16ToF32],
      ['fp16', f16ToF32],
    ] as const) {
      const cases = golden.widen_cases.filter((c) => c.dtype === dtype);
      const bits = new Uint16Array(cases.map((c) => Number.parseInt(c.bits, 16)));
      const wide = bitsOfF32(widen(bits));
      expect(
        mismatches32(
          wide,
          cases.map((c) => c.f32),
        ),
      ).toEqual([]);
      for (let i = 0; i < bits.length; i++) {
        if (dtype === 'bf16') expect(wide[i]).toBe(bits[i] * 65536);
        else if (isNaN32(wide[i])) expect(wide[i] & 0x400000).not.toBe(0);
      }
    }
  });

  it('f64 -> half rounds once from the double (no double rounding through fp32)', () => {
    // Each x is just off a tie of the half format by much less than an fp32 ulp, so RNE to
    // fp32 lands exactly on the tie and a second rounding would go the other way.
    const cases: Array<[number, number, number]> = [
      // [x, bf16 value, fp16 value]
      [1 + 2 ** -8 + 2 ** -30, 1 + 2 ** -7, 1 + 2 ** -8],
      [1 + 3 * 2 ** -8 - 2 ** -30, 1 + 2 ** -7, 1 + 3 * 2 ** -8],
      [1 + 2 ** -11 + 2 ** -30, 1, 1 + 2 ** -10],
      [1 + 3 * 2 ** -11 - 2 ** -30, 1, 1 + 2 ** -10],
      [-(1 + 2 ** -8 + 2 ** -30), -(1 + 2 ** -7), -(1 + 2 ** -8)],
      [2 ** -25 + 2 ** -60, 2 ** -25, 2 ** -24], // just above fp16's underflow tie
      [2 ** -25, 2 ** -25, 0], // on it: ties to even (0)
      [65520 - 2 ** -20, 65536, 65504], // just below fp16's overflow tie: max, not inf
      [-1e300, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
      [1e-300, 0, 0],
    ];
    const n = 300; // above the wasm threshold; the cases repeat
    const src = Float64Array.from({ length: n }, (_, i) => cases[i % cases.length][0]);
    const bf = f64ToBf16(src);
    const fp = f64ToF16(src);
    const bfWide = bf16ToF64(bf);
    const fpWide = f16ToF64(fp);
    const bfInPlace = src.slice();
    const fpInPlace = src.slice();
    roundToHalfInPlace(bfInPlace, 'bfloat16');
    roundToHalfInPlace(fpInPlace, 'float16');
    for (let i = 0; i < n; i++) {
      const [x, wantBf, wantFp] = cases[i % cases.length];
      expect([bfWide[i], fpWide[i], bfInPlace[i], fpInPlace[i]]).toEqual([
        wantBf,
        wantFp,
        wantBf,
        wantFp,
      ]);
      expect([roundToDtype(x, 'bfloat16'), roundToDtype(x, 'float16')]).toEqual([wantBf, wantFp]);
      expect([bf16BitsToF32(f64ToBf16Bits(x)), f16BitsToF32(f64ToF16Bits(x))]).toEqual([
        wantBf,
        wantFp,
      ]);
    }
    // The first case really is a trap: through fp32 it would round to 1.
    expect(f32ToBf16Bits(cases[0][0])).toBe(0x3f80);
  });

  it('roundToHalfInPlace on fp32 equals narrowing then widening', () => {
    const values = Float32Array.from(f32Inputs);
    const bf = bf16ToF32(f32ToBf16(f32Inputs));
    roundToHalfInPlace(values, 'bfloat16');
    expect(
      mismatches32(
        bitsOfF32(values),
        [...bitsOfF32(bf)].map((b) => hex(b, 8)),
      ),
    ).toEqual([]);
    const values16 = Float32Array.from(f32Inputs);
    const fp = f16ToF32(f32ToF16(f32Inputs));
    roundToHalfInPlace(values16, 'float16');
    expect(
      mismatches32(
        bitsOfF32(values16),
        [...bitsOfF32(fp)].map((b) => hex(b, 8)),
      ),
    ).toEqual([]);
  });

  it('f64 NaN keeps its sign; every engine gives the quiet pattern', () => {
    const src = new Float64Array(260).fill(Number.NaN);
    new DataView(src.buffer).setUint32(8 * 3 + 4, 0xfff80001, true); // -NaN with a payload
    expect([f64ToBf16(src)[3], f64ToF16(src)[3], f64ToBf16(src)[0]]).toEqual([
      0xffc0, 0xfe00, 0x7fc0,
    ]);
  });
});

/** Every golden fp32 → bf16 and fp32 → fp16 result, bit for bit (NaN policy of casts.json). */
function expectGoldenHalves(bf: ArrayLike<number>, fp: ArrayLike<number>): void {
  expect(
    mismatches16(
      bf,
      golden.cases.map((c) => c.bf16),
      BF_EXP,
    ),
  ).toEqual([]);
  expect(
    mismatches16(
      fp,
      golden.cases.map((c) => c.fp16),
      FP_EXP,
    ),
  ).toEqual([]);
}

describe('scalar helpers', () => {
  it('match the golden cases', () => {
    const bf = golden.cases.map((_, i) => f32ToBf16Bits(f32Inputs[i]));
    const fp = golden.cases.map((_, i) => f32ToF16Bits(f32Inputs[i]));
    expectGoldenHalves(bf, fp);
  });

  it.each([
    [0x3f80, 1],
    [0xbf80, -1],
    [0x8000, -0],
    [0x0001, 2 ** -133],
    [0x7f7f, 3.3895313892515355e38],
    [0x7f80, Number.POSITIVE_INFINITY],
  ])('bf16BitsToF32(%s) = %s', (bits, value) => {
    expect(bf16BitsToF32(bits)).toBe(value);
  });

  it.each([
    [0x3c00, 1],
    [0x8000, -0],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x7bff, 65504],
    [0xfc00, Number.NEGATIVE_INFINITY],
    [0x7e00, Number.NaN],
  ])('f16BitsToF32(%s) = %s', (bits, value) => {
    expect(f16BitsToF32(bits)).toBe(value);
  });
});

describe('argument checks', () => {
  it('returns the given dst and rejects a dst of the wrong length', () => {
    const dst = new Uint16Array(3);
    expect(f32ToBf16(new Float32Array([1, 2, 3]), dst)).toBe(dst);
    expect(() => f32ToF16(new Float32Array(4), dst)).toThrow(ShapeMismatchError);
    expect(() => f32ToF16(new Float32Array(4), dst)).toThrow(
      "f32ToF16: argument 'dst' has 3 elements; expected 4 (the length of 'src')",
    );
  });

  it('roundToHalfInPlace rejects a non-half dtype', () => {
    const bad = 'float32' as unknown as 'float16';
    expect(() => roundToHalfInPlace(new Float32Array(1), bad)).toThrow(DtypeError);
    expect(() => roundToHalfInPlace(new Float32Array(1), bad)).toThrow(
      "roundToHalfInPlace: argument 'dtype' is 'float32'; expected 'float16' or 'bfloat16'",
    );
  });
});
