import {
  allocStorage,
  DTYPES,
  type DType,
  isStorageOf,
  type StorageArray,
} from '../dtype/dtypes.js';
import { type FloatDt, halfBits, halfValue, representable, show, ulpDistance } from './numerics.js';

/** How many mismatches a failure detail lists. */
const SHOWN = 5;

/**
 * Counts comparisons and keeps the first few mismatches, so a failure says where it went
 * wrong without printing thousands of lines.
 */
export class Mismatches {
  checked = 0;
  failed = 0;
  readonly first: string[] = [];

  /** Records one comparison; `describe` is only called for the first few failures. */
  check(ok: boolean, describe: () => string): void {
    this.checked++;
    if (ok) return;
    this.failed++;
    if (this.first.length < SHOWN) this.first.push(describe());
  }

  /** Records a failure that is not an element comparison (an error, a wrong array type). */
  problem(message: string): void {
    this.check(false, () => message);
  }

  get ok(): boolean {
    return this.failed === 0;
  }

  /** `what: N compared, M mismatches; first: ...`. */
  summary(what: string): string {
    const head = `${what}: ${this.checked} compared`;
    if (this.ok) return `${head}, all match`;
    return `${head}, ${this.failed} mismatch${this.failed === 1 ? '' : 'es'}; first: ${this.first.join('; ')}`;
  }
}

/** Whether `dtype` is one of the float dtypes the suite computes expectations for. */
export function isFloatDt(dtype: DType): dtype is FloatDt {
  return dtype === 'bfloat16' || dtype === 'float16' || dtype === 'float32' || dtype === 'float64';
}

/**
 * Exact comparison with the suite's NaN policy: any NaN matches an expected NaN (payloads and
 * signs of NaN are not specified), everything else must be identical including the sign of
 * zero, unless `zeroSignFree` (ops whose zero sign differs between libraries, e.g. relu(−0)).
 */
export function sameValue(got: number, expected: number, zeroSignFree = false): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(got);
  if (zeroSignFree && got === 0 && expected === 0) return true;
  return Object.is(got, expected);
}

/**
 * Tolerance of transcendental ops: 1 ulp of the output dtype for the half dtypes (the half-op
 * rule of docs/precision.md#numeric-ground-rules). float32 and float64 are sanity checks of the op path, so they allow for an fp32 or
 * f64 formula's own error: 2^-12 and 2^-36 relative (or that much absolute near zero).
 */
export function approxOk(got: number, expected: number, dtype: DType): boolean {
  if (Number.isNaN(expected) || Number.isNaN(got))
    return Number.isNaN(expected) && Number.isNaN(got);
  if (!isFloatDt(dtype)) return got === expected;
  if (ulpDistance(got, expected, dtype) <= 1) return true;
  if (dtype === 'bfloat16' || dtype === 'float16') return false;
  if (!Number.isFinite(got) || !Number.isFinite(expected)) return false;
  const rel = dtype === 'float32' ? 2 ** -12 : 2 ** -36;
  return Math.abs(got - expected) <= rel * Math.max(Math.abs(expected), rel);
}

/** Formats a value of `dtype` for a failure message (with its bits for float32 and halves). */
export function showValue(value: number, dtype: DType): string {
  return isFloatDt(dtype) ? show(value, dtype) : String(value);
}

/**
 * Host storage for values of `dtype`. Half values must be exactly representable (the suite
 * only feeds values of the dtype); they are stored as their bit patterns.
 */
export function toStorage(values: readonly number[], dtype: DType): StorageArray {
  const out = allocStorage(dtype, values.length);
  if (dtype === 'bfloat16' || dtype === 'float16') {
    values.forEach((v, i) => {
      if (!representable(v, dtype))
        throw new Error(`conformance: ${v} is not a ${dtype} value (suite bug)`);
      out[i] = halfBits(v, dtype);
    });
    return out;
  }
  out.set(values);
  return out;
}

/**
 * Element values of downloaded storage (half bit patterns decoded). Throws, naming what came
 * back, when the array is not the dtype's storage kind or has the wrong length.
 */
export function fromStorage(
  data: StorageArray,
  dtype: DType,
  size: number,
  what: string,
): number[] {
  if (!isStorageOf(data, dtype)) {
    const got = (data as object | null)?.constructor?.name ?? String(data);
    throw new Error(
      `${what}: download returned a ${got} for dtype ${dtype}; expected a ${DTYPES[dtype].storage}`,
    );
  }
  if (data.length !== size)
    throw new Error(`${what}: download returned ${data.length} elements; expected ${size}`);
  if (dtype === 'bfloat16' || dtype === 'float16')
    return Array.from(data, (b) => halfValue(b, dtype));
  return Array.from(data);
}
