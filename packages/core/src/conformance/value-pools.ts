import type { Random } from '../util/random.js';
import { type FloatDt, FORMATS, roundTo } from './numerics.js';

/**
 * Seeded input values for the op cases. Every value is exactly representable in its dtype, so
 * the graph input holds what the expectation was computed from.
 */

/** A random value of `dtype` with a random sign and a binary exponent in [minExp, maxExp]. */
export function randomValue(
  rng: Random,
  dtype: FloatDt,
  minExp: number,
  maxExp: number,
  positive = false,
): number {
  const { p } = FORMATS[dtype];
  const e = minExp + Math.floor(rng.uniform() * (maxExp - minExp + 1));
  // p random mantissa bits: up to 52, drawn as a uniform double scaled to an integer.
  const mantissa = Math.floor(rng.uniform() * 2 ** p);
  const value = (1 + mantissa / 2 ** p) * 2 ** e;
  const signed = positive || rng.uniform() < 0.5 ? value : -value;
  return roundTo(signed, dtype);
}

/** A random value on a coarse grid (≤ 6 mantissa bits, exponent in [-3, 3]): sums of a few are exact in fp32. */
export function coarseValue(rng: Random): number {
  const e = -3 + Math.floor(rng.uniform() * 7);
  const mantissa = Math.floor(rng.uniform() * 64);
  const value = (1 + mantissa / 64) * 2 ** e;
  return rng.uniform() < 0.5 ? value : -value;
}

/** A uniform value in [lo, hi) rounded to `dtype`. */
export function uniformValue(rng: Random, dtype: FloatDt, lo: number, hi: number): number {
  return roundTo(lo + (hi - lo) * rng.uniform(), dtype);
}

/** `n` values from `draw`. */
export function values(n: number, draw: () => number): number[] {
  return Array.from({ length: n }, draw);
}

/** Edge values of a dtype: signed zeros, infinities, NaN, the largest and smallest magnitudes. */
export function specials(dtype: FloatDt): number[] {
  const { p, emin, max } = FORMATS[dtype];
  const tiny = 2 ** (emin - p);
  return [0, -0, Infinity, -Infinity, Number.NaN, max, -max, tiny, -tiny, 2 ** emin, 1, -1];
}

/** Unit roundoff of a dtype at 1 (half the gap between 1 and the next value). */
export const halfUlpAt1 = (dtype: FloatDt): number => 2 ** -(FORMATS[dtype].p + 1);

/**
 * Operand pairs for binary arithmetic and comparisons: random pairs at two scales, every
 * special against a plain value and against itself, rounding ties, values whose result
 * overflows fp16, signed zeros, division by zero, and equal operands.
 */
export function binaryPairs(rng: Random, dtype: FloatDt): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  const push = (x: number, y: number) => {
    a.push(roundTo(x, dtype));
    b.push(roundTo(y, dtype));
  };
  for (let i = 0; i < 40; i++) push(randomValue(rng, dtype, -8, 8), randomValue(rng, dtype, -8, 8));
  const wide = Math.min(FORMATS[dtype].emin * -1, 60);
  for (let i = 0; i < 16; i++)
    push(randomValue(rng, dtype, -wide, wide), randomValue(rng, dtype, -wide, wide));
  for (const s of specials(dtype)) {
    push(s, 1.5);
    push(-2.25, s);
    push(s, s);
  }
  const u = halfUlpAt1(dtype);
  // Ties: 1 + u is exactly halfway between 1 and 1 + 2u, so RNE keeps 1; (1 + 2u) + u rounds up
  // to the even 1 + 4u. 1 + u/2 (e.g. bf16 1 + 2^-9) must stay 1: fp32 without the final
  // rounding would keep 1.001953125.
  push(1, u);
  push(1 + 2 * u, u);
  push(-1, -u);
  push(1, u / 2);
  push(1, u + u / 4);
  push(3, 3 * u);
  // Overflow-prone for fp16 (exact in fp32, beyond 65504 after rounding), and products.
  push(60000, 10000);
  push(65504, 16);
  push(65504, 15);
  push(-65504, -32);
  push(300, 300);
  push(256, 256);
  push(60000, 0.5);
  // Signed zeros and division edge cases.
  push(0, -0);
  push(-0, 0);
  push(-0, -0);
  push(1, 0);
  push(-1, 0);
  push(1, -0);
  push(0, 0);
  push(5, -5);
  for (let i = 0; i < 8; i++) {
    const x = randomValue(rng, dtype, -4, 4);
    push(x, x);
  }
  return [a, b];
}

/**
 * Triples (x, y, z) for the chain x·y + z where rounding x·y to the half dtype first changes
 * the final result; a backend that keeps x·y in fp32 (skipping the intermediate rounding, the
 * ORT CPU trap) fails on these.
 */
export function chainTriples(
  rng: Random,
  dtype: 'bfloat16' | 'float16',
  n: number,
): [number[], number[], number[]] {
  const xs: number[] = [];
  const ys: number[] = [];
  const zs: number[] = [];
  for (let tries = 0; xs.length < n && tries < 100_000; tries++) {
    const x = randomValue(rng, dtype, -2, 2);
    const y = randomValue(rng, dtype, -2, 2);
    const z = randomValue(rng, dtype, -3, 3);
    const twoStep = roundTo(roundTo(x * y, dtype) + z, dtype);
    const fused = roundTo(Math.fround(x * y + z), dtype);
    if (twoStep !== fused) {
      xs.push(x);
      ys.push(y);
      zs.push(z);
    }
  }
  return [xs, ys, zs];
}
