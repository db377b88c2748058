import { describe, expect, it } from 'vitest';
import { erf, erfc } from './erf.js';

// Reference values from mpmath at 200-bit precision, rounded to float64. Bound: ~1e-15 absolute
// for erf (a few ulp), 2e-14 relative for erfc.
const TABLE: Array<[number, number, number]> = [
  [1e-10, 1.1283791670955126e-10, 0.999999999887162],
  [0.1, 0.1124629160182849, 0.887537083981715],
  [0.5, 0.5204998778130465, 0.4795001221869535],
  [1, 0.8427007929497149, 0.15729920705028513],
  [1.4999, 0.9660932516622953, 0.03390674833770473],
  [1.5, 0.9661051464753108, 0.033894853524689274],
  [2, 0.9953222650189527, 0.004677734981047266],
  [3, 0.9999779095030014, 2.209049699858544e-5],
  [4, 0.9999999845827421, 1.541725790028002e-8],
  [6, 1.0, 2.1519736712498913e-17],
];

describe('erf / erfc', () => {
  it.each(TABLE)('x = %s', (x, erfX, erfcX) => {
    expect(Math.abs(erf(x) - erfX)).toBeLessThanOrEqual(1e-15);
    // erfc is checked relative to its value: the tail is what GELU of negative inputs needs.
    expect(Math.abs(erfc(x) - erfcX) / erfcX).toBeLessThanOrEqual(2e-14);
    expect(erf(-x)).toBe(-erf(x));
    expect(Math.abs(erfc(-x) - (1 + erfX))).toBeLessThanOrEqual(1e-15);
  });

  it('handles zeros, infinities and NaN', () => {
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(erf(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(erfc(Number.POSITIVE_INFINITY)).toBe(0);
    expect(erfc(Number.NEGATIVE_INFINITY)).toBe(2);
    expect(erf(Number.NaN)).toBeNaN();
    expect(erfc(Number.NaN)).toBeNaN();
    expect(erfc(30)).toBe(0);
  });
});
