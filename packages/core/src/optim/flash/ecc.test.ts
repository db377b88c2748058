import { describe, expect, it } from 'vitest';
import { f32ToBf16Bits, f32ToF16Bits } from '../../dtype/convert-scalar.js';
import { MixprecError } from '../../errors/mixprec-error.js';
import { flashCases, h16, hex } from './__fixtures__/flash-vectors.js';
import {
  computeEccBits,
  eccDecode1,
  eccDecodeInto,
  eccEncode1,
  eccEncodeInto,
  type NarrowDType,
  narrowInto,
  reconstructFp32,
} from './ecc.js';
import { f32Bits, f32FromBits } from './fp32.js';

interface EccCase {
  kind: 'ecc';
  name: string;
  narrow_dtype: 'bf16' | 'fp16';
  M: 127 | 32767;
  n: number;
  theta: string[];
  narrow: string[];
  rho: number[];
  decoded: string[];
  tags: string[];
}

const cases = flashCases<EccCase>('ecc');

const h32 = (x: number) => (Number.isNaN(x) ? 'NaN' : f32Bits(x).toString(16).padStart(8, '0'));
const dtypeOf = (c: EccCase): NarrowDType => (c.narrow_dtype === 'bf16' ? 'bfloat16' : 'float16');

describe('ecc: golden vectors (flash.json)', () => {
  it('covers bf16 and fp16 with int8 and int16 corrections', () => {
    expect(cases.map((c) => `${c.narrow_dtype}/${c.M}`).sort()).toEqual([
      'bf16/127',
      'bf16/32767',
      'fp16/127',
      'fp16/32767',
    ]);
  });
  for (const c of cases) {
    it(`${c.name}: narrow, rho and decoded are bit-exact (${c.n} values)`, () => {
      const dtype = dtypeOf(c);
      const theta = new Float32Array(c.theta.map((s) => f32FromBits(hex(s))));
      const narrow = new Uint16Array(c.n);
      narrowInto(theta, dtype, narrow);
      expect(Array.from(narrow, h16)).toEqual(c.narrow);
      const rho = c.M === 127 ? new Int8Array(c.n) : new Int16Array(c.n);
      eccEncodeInto(theta, narrow, dtype, rho);
      expect(Array.from(rho)).toEqual(c.rho);
      const out = new Float32Array(c.n);
      eccDecodeInto(narrow, dtype, rho, out);
      expect(Array.from(out, h32)).toEqual(c.decoded);
      // The allocating and scalar forms agree with the bulk ones.
      const viaCompute = computeEccBits(theta, narrow, dtype, c.M === 127 ? 3 : 4);
      expect(Array.from(viaCompute)).toEqual(c.rho);
      expect(Array.from(reconstructFp32(narrow, dtype, viaCompute), h32)).toEqual(c.decoded);
      for (let i = 0; i < c.n; i++) {
        expect(eccEncode1(theta[i], narrow[i], dtype, c.M)).toBe(c.rho[i]);
        expect(h32(eccDecode1(narrow[i], dtype, c.rho[i], c.M))).toBe(c.decoded[i]);
      }
    });
  }
});

describe('ecc: worked values of docs/flashoptim.md#error-correction-bits', () => {
  // [θ, dtype, θ' bits, ρ int8, decoded int8, ρ int16 (its decode is exactly θ)]
  const rows: [number, NarrowDType, number, number, number, number][] = [
    [1.001, 'bfloat16', 0x3f80, 33, 1.0010151, 8389],
    [0.1, 'bfloat16', 0x3dcd, -51, 0.099999614, -13107],
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: the table's row value, not π
    [3.14159265, 'bfloat16', 0x4049, 16, 3.1416092, 4059],
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: the table's row value, not e
    [-2.71828, 'bfloat16', 0xc02e, 8, -2.718258, 1971],
    [1.00390625, 'bfloat16', 0x3f80, 127, 1.0039062, 32767],
    [65504.0, 'bfloat16', 0x4780, -16, 65503.746, -4096],
    [1e-40, 'bfloat16', 0x0001, 23, 1.00151e-40, 5826],
    [0.1, 'float16', 0x2e66, 102, 0.1000001, 26215],
    [1.001, 'float16', 0x3c01, 6, 1.0009997, 1576],
    [1.9999999, 'float16', 0x4000, 0, 2.0, -4],
  ];
  for (const [x, dtype, bits, r8, d8, r16] of rows) {
    it(`${dtype} ${x}`, () => {
      const theta = new Float32Array([x]);
      const narrow = new Uint16Array(1);
      narrowInto(theta, dtype, narrow);
      expect(h16(narrow[0])).toBe(h16(bits));
      const rho8 = computeEccBits(theta, narrow, dtype, 3);
      expect(rho8).toBeInstanceOf(Int8Array);
      expect(rho8[0]).toBe(r8);
      const dec8 = reconstructFp32(narrow, dtype, rho8)[0];
      // The table prints up to 8 significant digits (6 for the subnormal row).
      expect(Math.abs(dec8 - d8)).toBeLessThanOrEqual(Math.abs(d8) * 5e-6);
      const rho16 = computeEccBits(theta, narrow, dtype, 4);
      expect(rho16).toBeInstanceOf(Int16Array);
      expect(rho16[0]).toBe(r16);
      // The tie row (|ρ| = M) is not exact in int16 either way; every other int16 row is exact.
      if (Math.abs(r16) !== 32767) expect(reconstructFp32(narrow, dtype, rho16)[0]).toBe(theta[0]);
    });
  }
});

describe('ecc: narrowing matches @mixprec/core RTNE', () => {
  it('agrees with f32ToBf16Bits / f32ToF16Bits on edge and random fp32 patterns', () => {
    const pats = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f7fffff];
    pats.push(
      0x477fefff,
      0x477ff000,
      0x33000000,
      0x33000001,
      0x387fe000,
      0x387ff000,
      1,
      0x807fffff,
    );
    let s = 12345;
    for (let i = 0; i < 20000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      pats.push(s ^ (i << 7));
    }
    const theta = new Float32Array(pats.map(f32FromBits));
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const out = new Uint16Array(theta.length);
      narrowInto(theta, dtype, out);
      const ref = dtype === 'bfloat16' ? f32ToBf16Bits : f32ToF16Bits;
      const mismatches: string[] = [];
      for (let i = 0; i < theta.length; i++) {
        if (out[i] !== ref(theta[i])) mismatches.push(`${dtype} of ${pats[i].toString(16)}`);
      }
      expect(mismatches).toEqual([]);
    }
  });
});

describe('ecc: argument checks', () => {
  it('computeEccBits rejects a bad masterBytewidth with MixprecError naming it', () => {
    const t = new Float32Array(2);
    const n = new Uint16Array(2);
    try {
      computeEccBits(t, n, 'bfloat16', 2 as 3);
      expect.unreachable();
    } catch (e) {
      expect(MixprecError.isInstance(e)).toBe(true);
      expect(String(e)).toMatch(/masterBytewidth 2 .*expected 3 .* or 4/);
    }
    expect(() => computeEccBits(t, n, 'float32' as NarrowDType, 3)).toThrow(
      /dtype float32 .*expected 'bfloat16' or 'float16'/,
    );
  });
  it('rejects length mismatches', () => {
    expect(() =>
      eccEncodeInto(new Float32Array(3), new Uint16Array(2), 'float16', new Int8Array(3)),
    ).toThrow(/narrow has length 2, expected 3/);
    expect(() =>
      eccDecodeInto(new Uint16Array(3), 'float16', new Int16Array(3), new Float32Array(4)),
    ).toThrow(/out has length 4, expected 3/);
  });
});
