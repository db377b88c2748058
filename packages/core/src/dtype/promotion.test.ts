import { describe, expect, it } from 'vitest';
import { DTYPE_NAMES } from './dtypes.js';
import { dtypeWithScalar, leastUpperDtype } from './promotion.js';

describe('promotion', () => {
  it.each([
    ['float16', 'bfloat16', 'float32'],
    ['bfloat16', 'float32', 'float32'],
    ['int8', 'uint8', 'int16'],
    ['int32', 'float16', 'float16'],
    ['bool', 'int8', 'int8'],
    ['float64', 'bfloat16', 'float64'],
  ] as const)('%s ∨ %s = %s', (a, b, out) => {
    expect(leastUpperDtype(a, b)).toBe(out);
    expect(leastUpperDtype(b, a)).toBe(out);
  });

  it('is idempotent and commutative over the whole table', () => {
    for (const a of DTYPE_NAMES) {
      expect(leastUpperDtype(a, a)).toBe(a);
      for (const b of DTYPE_NAMES) expect(leastUpperDtype(a, b)).toBe(leastUpperDtype(b, a));
    }
  });

  it('numbers are weak scalars', () => {
    expect(dtypeWithScalar('bfloat16', 2)).toBe('bfloat16');
    expect(dtypeWithScalar('bfloat16', 2.5)).toBe('bfloat16');
    expect(dtypeWithScalar('int8', 3)).toBe('int8');
    expect(dtypeWithScalar('int8', 0.5)).toBe('float32');
    expect(dtypeWithScalar('bool', 1)).toBe('int32');
  });
});
