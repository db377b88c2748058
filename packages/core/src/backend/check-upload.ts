import type { DType, StorageArray } from '../dtype/dtypes.js';
import { DTYPE_NAMES, DTYPES, isDType, isStorageOf } from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape, shapeSize } from '../graph/graph.js';

/**
 * Checks `Backend.upload` arguments for any backend: a known dtype, a shape of non-negative
 * integers, the dtype's storage array with the shape's element count, 0/1 for bool. Errors
 * name the argument, the value and the expectation.
 */
export function checkUpload(
  where: string,
  data: unknown,
  dtype: DType,
  shape: readonly number[],
): void {
  if (!isDType(dtype)) {
    throw new DtypeError(
      `${where}: argument 'dtype' is ${JSON.stringify(dtype)}; expected one of ${DTYPE_NAMES.join(', ')}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeMismatchError(
      `${where}: argument 'shape' is ${JSON.stringify(shape)}; expected an array of non-negative integers`,
    );
  }
  if (!isStorageOf(data, dtype)) {
    const got = (data as object | null)?.constructor?.name ?? String(data);
    throw new DtypeError(
      `${where}: argument 'data' is a ${got}; expected a ${DTYPES[dtype].storage} for dtype ${dtype}`,
    );
  }
  const array = data as StorageArray;
  if (array.length !== shapeSize(shape)) {
    throw new ShapeMismatchError(
      `${where}: argument 'data' has ${array.length} elements; expected ${shapeSize(shape)} for shape ${formatShape(shape)}`,
    );
  }
  if (dtype === 'bool') {
    const bad = array.findIndex((v: number) => v !== 0 && v !== 1);
    if (bad >= 0) {
      throw new DtypeError(`${where}: bool data[${bad}] is ${array[bad]}; expected 0 or 1`);
    }
  }
}
