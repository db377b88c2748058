import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { roundToDtype } from '../dtype/convert.js';
import { Random } from '../util/random.js';
import { erf, erfc, geluExact } from './expect-math.js';
import { f32FromBits, halfBits, halfValue, roundTo, ulpDistance } from './numerics.js';
import { defaultVectorsDir } from './vectors.js';

// The suite's oracle is checked against the golden vectors (computed by torch and an exact
// reference) and against core's conversion module; neither is used by the suite itself.

interface GoldenCast {
  f32: string;
  bf16: string;
  fp16: string;
  value: number | string;
}

describe('roundTo (the suite oracle)', () => {
  const golden = JSON.parse(readFileSync(join(defaultVectorsDir(), 'casts.json'), 'utf8')) as {
    cases: GoldenCast[];
  };

  it('matches every non-NaN golden fp32 → bf16 / fp16 rounding bit for bit', () => {
    let checked = 0;
    for (const c of golden.cases) {
      if (c.value === 'NaN') continue;
      const x = f32FromBits(Number.parseInt(c.f32, 16));
      expect(halfBits(roundTo(x, 'bfloat16'), 'bfloat16'), c.f32).toBe(Number.parseInt(c.bf16, 16));
      expect(halfBits(roundTo(x, 'float16'), 'float16'), c.f32).toBe(Number.parseInt(c.fp16, 16));
      checked++;
    }
    expect(checked).toBeGreaterThan(4000);
  });

  it("agrees with core's roundToDtype on random float64 values across the half ranges", () => {
    const rng = new Random(3);
    for (let i = 0; i < 20_000; i++) {
      const x = (rng.uniform() - 0.5) * 2 ** Math.floor(rng.uniform() * 80 - 40);
      for (const dt of ['bfloat16', 'float16', 'float32'] as const) {
        expect(Object.is(roundTo(x, dt), roundToDtype(x, dt)), `${x} → ${dt}`).toBe(true);
      }
    }
  });

  it('decodes and encodes every half bit pattern', () => {
    for (const dt of ['bfloat16', 'float16'] as const) {
      for (let bits = 0; bits < 0x10000; bits++) {
        const v = halfValue(bits, dt);
        if (!Number.isNaN(v)) expect(halfBits(v, dt)).toBe(bits);
      }
    }
  });
});

describe('ulpDistance', () => {
  it('counts bit patterns in value order, with ±0 equal and max → inf one step', () => {
    expect(ulpDistance(65504, Infinity, 'float16')).toBe(1);
    expect(ulpDistance(0, -0, 'bfloat16')).toBe(0);
    expect(ulpDistance(2 ** -24, -(2 ** -24), 'float16')).toBe(2);
    expect(ulpDistance(1, 1 + 2 ** -23, 'float32')).toBe(1);
    expect(ulpDistance(1, 1 + 2 ** -52, 'float64')).toBe(1);
    expect(ulpDistance(Number.NaN, 1, 'float32')).toBe(Number.POSITIVE_INFINITY);
    expect(ulpDistance(Number.NaN, Number.NaN, 'float16')).toBe(0);
  });
});

describe('expectation math', () => {
  it('computes erf / erfc to near float64 precision', () => {
    // Reference values from the DLMF / mpmath.
    const cases: [number, number][] = [
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [-1.5, -0.9661051464753108],
    ];
    for (const [x, e] of cases) expect(Math.abs(erf(x) - e)).toBeLessThan(4e-16);
    expect(Math.abs(erfc(3) / 2.209049699858544e-5 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(erfc(5) / 1.5374597944280347e-12 - 1)).toBeLessThan(1e-13);
    // gelu(-3) = -3 * Phi(-3), Phi(-3) = 0.0013498980316300946.
    expect(Math.abs(geluExact(-3) / -0.004049694094890284 - 1)).toBeLessThan(1e-12);
  });
});
