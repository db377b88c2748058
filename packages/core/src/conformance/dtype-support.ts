import type { Backend, Storage } from '../backend/backend.js';
import {
  allocStorage,
  DTYPES,
  type DType,
  isStorageOf,
  type StorageArray,
} from '../dtype/dtypes.js';
import { UnsupportedDtypeError } from '../errors/unsupported-dtype-error.js';
import { Random } from '../util/random.js';
import { Mismatches } from './compare.js';
import { errorText } from './probe.js';
import { type ConformanceCase, fail, pass } from './types.js';

/**
 * dtype/<name>: one case per dtype, chosen by `capabilities.dtypes` and never skipped.
 * native / emulated: an upload → download round trip is bit-exact (an emulating backend keeps
 * the values exactly, so the bits come back). unsupported: `upload` throws
 * `UnsupportedDtypeError` naming the dtype.
 */

/** A sample of bit patterns covering a dtype: every pattern for 8/16-bit types, edges plus random ones above. */
function sample(dtype: DType, rng: Random): StorageArray {
  const info = DTYPES[dtype];
  if (dtype === 'bool') return Uint8Array.from([0, 1, 1, 0, 1]);
  if (info.bits <= 16) {
    // Every bit pattern: for the halves that is every value, subnormals, ±0, ±inf, all NaNs.
    const out = allocStorage(dtype, 2 ** info.bits);
    const raw = new (info.bits === 8 ? Uint8Array : Uint16Array)(out.buffer as ArrayBuffer);
    raw.forEach((_v, i) => {
      raw[i] = i;
    });
    return out;
  }
  const words = info.bits / 32;
  const n = 4096;
  const raw = new Uint32Array(n * words);
  for (let i = 0; i < raw.length; i++) raw[i] = rng.nextUint32();
  // Edges in the first words: zero, sign bit only (−0 for floats), all ones, max positive.
  const edges = [0, 0x80000000, 0xffffffff, 0x7fffffff, 1, 0x7f800000, 0xff800000, 0x007fffff];
  edges.forEach((e, k) => {
    raw[k * words + words - 1] = e; // little-endian: the high word of a float64 comes last
  });
  return dtype === 'float32'
    ? new Float32Array(raw.buffer)
    : dtype === 'float64'
      ? new Float64Array(raw.buffer)
      : new Int32Array(raw.buffer);
}

/** Bytes of an array as unsigned words of the element width, for exact comparison. */
function words(data: StorageArray): ArrayLike<number> {
  const width = data.BYTES_PER_ELEMENT;
  const n = (data.length * width) / Math.min(width, 4);
  if (width === 1) return new Uint8Array(data.buffer, data.byteOffset, n);
  if (width === 2) return new Uint16Array(data.buffer, data.byteOffset, n);
  return new Uint32Array(data.buffer, data.byteOffset, n);
}

/** Whether element `i` is a NaN (NaN payloads need not survive an emulated container). */
function isNaNAt(data: StorageArray, dtype: DType, i: number): boolean {
  if (dtype === 'float32' || dtype === 'float64') return Number.isNaN(data[i]);
  const b = data[i];
  if (dtype === 'bfloat16') return (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
  if (dtype === 'float16') return (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
  return false;
}

async function roundTrip(backend: Backend, dtype: DType, m: Mismatches): Promise<number> {
  const data = sample(dtype, new Random(7));
  const storage = backend.upload(data, dtype, [data.length]);
  try {
    const back = await backend.download(storage);
    if (!isStorageOf(back, dtype) || back.length !== data.length) {
      m.problem(
        `download returned a ${back.constructor.name} of ${back.length} for ${data.length} ${dtype}; expected a ${DTYPES[dtype].storage}`,
      );
      return data.length;
    }
    const per = words(data).length / data.length;
    const [a, b] = [words(data), words(back)];
    for (let i = 0; i < data.length; i++) {
      let same = true;
      for (let w = 0; w < per; w++) same &&= a[i * per + w] === b[i * per + w];
      const ok = same || (isNaNAt(data, dtype, i) && isNaNAt(back, dtype, i));
      m.check(
        ok,
        () => `[${i}] uploaded ${String(data[i])} came back ${String(back[i])} (bits differ)`,
      );
    }
  } finally {
    backend.free(storage);
  }
  return data.length;
}

/** The dtype-support case of one dtype. */
export function dtypeCase(dtype: DType): ConformanceCase {
  return {
    id: `dtype/${dtype}`,
    group: 'casts',
    async run(ctx) {
      const backend = await ctx.backend();
      const support = backend.capabilities.dtypes[dtype];
      if (support === 'native' || support === 'emulated') {
        const m = new Mismatches();
        const n = await roundTrip(backend, dtype, m);
        const what = `${support} ${dtype}: upload → download of ${n} bit patterns, exact (any NaN for NaN)`;
        return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
      }
      if (support !== 'unsupported')
        return fail(
          `capabilities.dtypes.${dtype} is ${JSON.stringify(support)}; expected 'native', 'emulated' or 'unsupported'`,
        );
      const data = allocStorage(dtype, 4);
      let stored: Storage;
      try {
        stored = backend.upload(data, dtype, [4]);
      } catch (error) {
        const named = error instanceof Error && error.message.includes(dtype);
        if (UnsupportedDtypeError.isInstance(error) && named)
          return pass(
            `unsupported ${dtype}: upload threw UnsupportedDtypeError naming the dtype (${errorText(error)})`,
          );
        return fail(
          `unsupported ${dtype}: upload threw ${errorText(error)}; expected an UnsupportedDtypeError whose message names '${dtype}'`,
        );
      }
      backend.free(stored);
      return fail(
        `unsupported ${dtype}: upload succeeded; expected an UnsupportedDtypeError naming '${dtype}'`,
      );
    },
  };
}
