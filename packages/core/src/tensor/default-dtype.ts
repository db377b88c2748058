import { checkDtype } from '../dtype/check-dtype.js';
import type { DType } from '../dtype/dtypes.js';

let current: DType = 'float32';

/** The dtype new floating tensors get when none is given (float32 unless a context says otherwise). */
export function getDefaultDtype(): DType {
  return current;
}

/**
 * Runs `fn` with another default floating dtype (used by true-half precision for module and
 * tensor creation); the previous default is restored even if `fn` throws.
 */
export function withDefaultDtype<T>(dtype: DType, fn: () => T): T {
  checkDtype('withDefaultDtype', dtype, { floating: true });
  const previous = current;
  current = dtype;
  try {
    return fn();
  } finally {
    current = previous;
  }
}
