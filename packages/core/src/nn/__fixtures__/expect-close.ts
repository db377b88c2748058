import { expect } from 'vitest';

/** Element-wise closeness with a mixed absolute/relative tolerance (float32 results vs f64 references). */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      expect(a, `index ${i}`).toBeNaN();
      continue;
    }
    const err = Math.abs(a - e);
    expect(err, `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(tol * (1 + Math.abs(e)));
  }
}

/** Host values as a plain array of numbers. */
export async function values(t: { data(): Promise<ArrayLike<number>> }): Promise<number[]> {
  return Array.from(await t.data());
}
