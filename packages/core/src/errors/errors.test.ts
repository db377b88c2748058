import { describe, expect, it } from 'vitest';
import { BackendError, DtypeError, MixprecError, ShapeMismatchError } from './index.js';

describe('errors', () => {
  it('isInstance works by marker and distinguishes classes', () => {
    const e = new ShapeMismatchError('add: shapes [2] and [3] cannot be broadcast together');
    expect(MixprecError.isInstance(e)).toBe(true);
    expect(ShapeMismatchError.isInstance(e)).toBe(true);
    expect(DtypeError.isInstance(e)).toBe(false);
    expect(BackendError.isInstance(new Error('x'))).toBe(false);
    expect(e.name).toBe('ShapeMismatchError');
    expect(String(e)).toBe(
      'ShapeMismatchError: add: shapes [2] and [3] cannot be broadcast together',
    );
  });
});
