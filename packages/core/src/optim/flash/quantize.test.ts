import { describe, expect, it } from 'vitest';
import { MixprecError } from '../../errors/mixprec-error.js';
import { flashCases, hex } from './__fixtures__/flash-vectors.js';
import { f16ToF32, f32Bits, f32FromBits } from './fp32.js';
import {
  dequantize,
  dequantizeInto,
  GROUP_SIZE,
  MOMENTUM_QUANT,
  numGroups,
  type QuantSpec,
  quantize,
  quantizeInto,
  VARIANCE_QUANT,
} from './quantize.js';

interface QuantCase {
  kind: 'quantize';
  name: string;
  variant: string;
  signed: boolean;
  sqrt: boolean;
  softsign: boolean;
  n: number;
  input: string[];
  codes: number[];
  scales_fp16: string[];
  dequantized: string[];
}

const cases = flashCases<QuantCase>('quantize');

const fromHex = (xs: string[]) => new Float32Array(xs.map((s) => f32FromBits(hex(s))));

/** fp32 bits, with every NaN collapsed to one pattern so "any NaN" compares equal. */
const bitsOrNaN = (x: number) => (Number.isNaN(x) ? 'NaN' : f32Bits(x).toString(16));

/** Deterministic normal samples (mulberry32 + Box–Muller), so failures reproduce. */
function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  }
  return out;
}

describe('quantize: golden vectors (flash.json)', () => {
  it('has quantize cases for both variants', () => {
    expect(cases.filter((c) => c.signed).length).toBeGreaterThanOrEqual(5);
    expect(cases.filter((c) => !c.signed).length).toBeGreaterThanOrEqual(5);
  });
  for (const c of cases) {
    it(`${c.variant} / ${c.name}: codes, scales and decoded values are bit-exact`, () => {
      const spec: QuantSpec = { signed: c.signed, sqrt: c.sqrt, softsign: c.softsign };
      const { codes, scales } = quantize(fromHex(c.input), spec);
      expect(codes).toBeInstanceOf(c.signed ? Int8Array : Uint8Array);
      expect(Array.from(codes)).toEqual(c.codes);
      expect(Array.from(scales, (b) => b.toString(16).padStart(4, '0'))).toEqual(c.scales_fp16);
      const dq = dequantize(codes, scales, spec);
      expect(Array.from(dq, bitsOrNaN)).toEqual(
        c.dequantized.map((h) => bitsOrNaN(f32FromBits(hex(h)))),
      );
    });
  }
});

describe('quantize: docs/flashoptim.md#worked-examples', () => {
  const x = new Float32Array([0.5, -0.25, 0.125, -1.0, 0.01, 0.0, 0.75, -0.0625]);
  it('signed + softsign', () => {
    const { codes, scales } = quantize(x, MOMENTUM_QUANT);
    expect(Array.from(codes)).toEqual([85, -51, 28, -127, 3, 0, 109, -15]);
    expect(f16ToF32(scales[0])).toBe(1);
    const dq = dequantize(codes, scales, MOMENTUM_QUANT);
    const want = [0.50296, -0.25123, 0.12389, -1.0, 0.011952, 0.0, 0.75172, -0.062762];
    want.forEach((w, i) => {
      expect(dq[i]).toBeCloseTo(w, 5);
    });
  });
  it('signed, no softsign', () => {
    const spec = { signed: true, sqrt: false, softsign: false };
    const { codes, scales } = quantize(x, spec);
    expect(Array.from(codes)).toEqual([64, -32, 16, -127, 1, 0, 95, -8]);
    const dq = dequantize(codes, scales, spec);
    const want = [0.50394, -0.25197, 0.12598, -1.0, 0.007874, 0.0, 0.74803, -0.062992];
    want.forEach((w, i) => {
      expect(dq[i]).toBeCloseTo(w, 5);
    });
  });
  it('unsigned + sqrt (variance)', () => {
    const v = new Float32Array([1e-4, 4e-4, 9e-4, 0, 2.5e-5, 1.6e-3]);
    const { codes, scales } = quantize(v, VARIANCE_QUANT);
    expect(Array.from(codes)).toEqual([64, 128, 191, 0, 32, 255]);
    expect(f16ToF32(scales[0])).toBe(0.040008544921875);
    const dq = dequantize(codes, scales, VARIANCE_QUANT);
    const want = [1.00829e-4, 4.03316e-4, 8.98032e-4, 0, 2.52072e-5, 1.600684e-3];
    // The table prints 6 significant digits: allow half a unit of the last printed digit.
    want.forEach((w, i) => {
      expect(Math.abs(dq[i] - w)).toBeLessThanOrEqual(5e-6 * w);
    });
  });
  it('scale underflow decodes to zeros; overflow decodes to inf and NaN', () => {
    const tiny = quantize(new Float32Array([1e-8, -2e-8]), MOMENTUM_QUANT);
    expect(Array.from(tiny.codes)).toEqual([85, -127]);
    expect(tiny.scales[0]).toBe(0);
    expect(Array.from(dequantize(tiny.codes, tiny.scales, MOMENTUM_QUANT))).toEqual([0, -0]);
    const big = quantize(new Float32Array([1e5, -3]), MOMENTUM_QUANT);
    expect(big.scales[0]).toBe(0x7c00);
    const dq = dequantize(big.codes, big.scales, MOMENTUM_QUANT);
    expect(dq[0]).toBe(Number.POSITIVE_INFINITY);
    expect(dq[1]).toBeNaN();
  });
});

describe('quantize: NaN policy', () => {
  it('a NaN propagates into its group scale only; that group decodes to NaN', () => {
    const x = randn(70, 3);
    x[40] = Number.NaN;
    const { codes, scales } = quantize(x, MOMENTUM_QUANT);
    expect(scales[1]).toBe(0x7e00);
    expect(Array.from(codes.subarray(32, 64)).every((c) => c === 0)).toBe(true);
    const dq = dequantize(codes, scales, MOMENTUM_QUANT);
    for (let i = 32; i < 64; i++) expect(dq[i]).toBeNaN();
    for (const i of [0, 31, 64, 69]) expect(Number.isFinite(dq[i])).toBe(true);
  });
});

describe('quantize: argument checks', () => {
  it('rejects the wrong code array type and wrong lengths with MixprecError', () => {
    const x = new Float32Array(40);
    expect(() => quantizeInto(x, MOMENTUM_QUANT, new Uint8Array(40), new Uint16Array(2))).toThrow(
      /Uint8Array, expected an Int8Array/,
    );
    expect(() => quantizeInto(x, VARIANCE_QUANT, new Uint8Array(40), new Uint16Array(1))).toThrow(
      /scales have length 1, expected 2/,
    );
    try {
      dequantizeInto(new Int8Array(39), new Uint16Array(2), MOMENTUM_QUANT, x);
      expect.unreachable();
    } catch (e) {
      expect(MixprecError.isInstance(e)).toBe(true);
      expect(String(e)).toMatch(/length 39, expected 40/);
    }
  });
  it('numGroups is ceil(n/32)', () => {
    expect([0, 1, 32, 33, 64, 65].map(numGroups)).toEqual([0, 1, 1, 2, 2, 3]);
    expect(GROUP_SIZE).toBe(32);
  });
});

// FlashOptim's test_compression: round trips with cosine and MAE bounds
// (docs/flashoptim.md#8-bit-grouped-quantizer).
const MODES: [string, QuantSpec][] = [
  ['signed', { signed: true, sqrt: false, softsign: false }],
  ['signed+softsign', MOMENTUM_QUANT],
  ['unsigned', { signed: false, sqrt: false, softsign: false }],
  ['unsigned+sqrt', VARIANCE_QUANT],
];
const SHAPES = [
  [1, 5],
  [1, 17],
  [17, 32],
  [1024, 16],
];

function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('quantize: round trip (FlashOptim test_compression bounds)', () => {
  for (const [mode, spec] of MODES) {
    for (const [r, c] of SHAPES) {
      it(`${mode} ${r}x${c}: zeros exact, randn cosine > 0.9999 and MAE <= 1.6*absmax/255`, () => {
        const n = r * c;
        const z = quantize(new Float32Array(n), spec);
        expect(dequantize(z.codes, z.scales, spec).every((v) => v === 0)).toBe(true);
        for (const seed of [0, 1, 2]) {
          const x = randn(n, seed + 100 * n);
          if (!spec.signed) for (let i = 0; i < n; i++) x[i] = Math.abs(x[i]);
          // "mixed scales": first half of the rows ×0.1, the rest ×2.
          if (seed === 2) for (let i = 0; i < n; i++) x[i] *= i < (r >> 1) * c ? 0.1 : 2;
          const q = quantize(x, spec);
          const y = dequantize(q.codes, q.scales, spec);
          let mae = 0;
          let absmax = 0;
          for (let i = 0; i < n; i++) {
            mae += Math.abs(x[i] - y[i]);
            absmax = Math.max(absmax, Math.abs(x[i]));
          }
          mae /= n;
          if (n >= 16) expect(cosine(x, y)).toBeGreaterThan(0.9999);
          expect(mae).toBeLessThanOrEqual((1.6 * absmax) / 255);
        }
      });
    }
  }

  for (const n of [33, 65, 100, 999, 1000, 1025, 2000, 4097]) {
    it(`tail group of N=${n}: error within 2x the interior error, last scale within 0.3%`, () => {
      for (const spec of [MOMENTUM_QUANT, VARIANCE_QUANT]) {
        const x = randn(n, n);
        for (let i = 0; i < n; i++) x[i] = spec.signed ? 5 * x[i] : Math.abs(5 * x[i]);
        const q = quantize(x, spec);
        const y = dequantize(q.codes, q.scales, spec);
        const tail = Math.floor((n - 1) / GROUP_SIZE) * GROUP_SIZE;
        let interior = 0;
        let tailErr = 0;
        let tailMax = 0;
        for (let i = 0; i < n; i++) {
          const e = Math.abs(x[i] - y[i]);
          if (i < tail) interior = Math.max(interior, e);
          else {
            tailErr = Math.max(tailErr, e);
            tailMax = Math.max(tailMax, Math.abs(spec.sqrt ? Math.sqrt(x[i]) : x[i]));
          }
        }
        expect(tailErr).toBeLessThanOrEqual(Math.max(2 * interior, 1e-6));
        const last = f16ToF32(q.scales[q.scales.length - 1]);
        expect(Math.abs(last - tailMax) / tailMax).toBeLessThanOrEqual(0.003);
      }
    });
  }
});
