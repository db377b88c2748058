/**
 * Pure-TS bulk conversions: the fallback when WebAssembly SIMD is missing, and the path for
 * short arrays. Same rules as `convert-scalar.ts` (whose functions document the bit tricks),
 * written out inline over Uint32Array views: no per-element function calls, so V8 keeps the
 * loops tight. `src` and `dst` must not overlap unless a function says it works in place.
 */
import {
  F16_SUBNORMAL_SCALE,
  f16BitsToF32,
  HIGH_WORD,
  RNE_INTEGER_MAGIC,
} from './convert-scalar.js';

/** Elements per pass of the chunked paths (scratch buffers stay in cache). */
const CHUNK = 16384;

let f16Table: Uint32Array | undefined;
let scratch: { f32: Float32Array; u32: Uint32Array; u16: Uint16Array } | undefined;

/**
 * fp16 → fp32 bit patterns for all 65536 inputs (256 KiB, built on first use). A table beats
 * branching on the exponent; NaNs are quieted with their payload kept (0x7c01 → 0x7fc02000),
 * which is what x86 F16C and the wasm kernel produce.
 */
function f16ToF32Table(): Uint32Array {
  if (f16Table) return f16Table;
  const table = new Uint32Array(65536);
  const values = new Float32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) {
      table[h] = (((h & 0x8000) << 16) | 0x7fc00000 | ((h & 0x3ff) << 13)) >>> 0;
    } else {
      values[h] = f16BitsToF32(h);
    }
  }
  f16Table = table;
  return table;
}

function scratchBuffers(): { f32: Float32Array; u32: Uint32Array; u16: Uint16Array } {
  if (!scratch) {
    const f32 = new Float32Array(CHUNK);
    scratch = { f32, u32: new Uint32Array(f32.buffer), u16: new Uint16Array(CHUNK) };
  }
  return scratch;
}

const u32View = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** fp32 → bf16 bits. */
export function jsF32ToBf16(src: Float32Array, dst: Uint16Array): void {
  const u = u32View(src);
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const x = u[i];
    dst[i] =
      (x & 0x7fffffff) > 0x7f800000
        ? ((x >>> 16) & 0x8000) | 0x7fc0
        : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
}

/** fp32 → fp16 bits. */
export function jsF32ToF16(src: Float32Array, dst: Uint16Array): void {
  const u = u32View(src);
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const x = u[i];
    const sign = (x >>> 16) & 0x8000;
    const a = x & 0x7fffffff;
    if (a > 0x7f800000) {
      dst[i] = sign | 0x7e00;
    } else if (a >= 0x477ff000) {
      dst[i] = sign | 0x7c00;
    } else if (a >= 0x38800000) {
      const t = a - 0x38000000;
      dst[i] = sign | ((t + 0xfff + ((t >>> 13) & 1)) >>> 13);
    } else {
      const steps = Math.abs(src[i]) * F16_SUBNORMAL_SCALE;
      dst[i] = sign | (steps + RNE_INTEGER_MAGIC - RNE_INTEGER_MAGIC);
    }
  }
}

/** bf16 bits → fp32: a 16-bit shift (signalling NaNs stay signalling, like torch). */
export function jsBf16ToF32(src: Uint16Array, dst: Float32Array): void {
  const u = u32View(dst);
  const n = src.length;
  for (let i = 0; i < n; i++) u[i] = src[i] << 16;
}

/** fp16 bits → fp32 through the table. */
export function jsF16ToF32(src: Uint16Array, dst: Float32Array): void {
  const table = f16ToF32Table();
  const u = u32View(dst);
  const n = src.length;
  for (let i = 0; i < n; i++) u[i] = table[src[i]];
}

/** bf16 or fp16 bits → f64 (exact), through an fp32 chunk widened by TypedArray.set. */
export function jsHalfToF64(src: Uint16Array, dst: Float64Array, half: 'bf16' | 'f16'): void {
  const { f32 } = scratchBuffers();
  for (let off = 0; off < src.length; off += CHUNK) {
    const len = Math.min(CHUNK, src.length - off);
    const part = f32.subarray(0, len);
    if (half === 'bf16') jsBf16ToF32(src.subarray(off, off + len), part);
    else jsF16ToF32(src.subarray(off, off + len), part);
    dst.set(part, off);
  }
}

/**
 * f64 → fp32 rounded to odd (see `f32OddBitsFromF64`) for `len` elements from `off`, into the
 * scratch chunk. TypedArray.set does the RNE demote natively; the loop turns it into the
 * truncation with a sticky last bit. NaN signs come from the double's own high word.
 */
function oddChunk(src: Float64Array, words: Uint32Array, off: number, len: number): Float32Array {
  const { f32, u32 } = scratchBuffers();
  const part = f32.subarray(0, len);
  part.set(src.subarray(off, off + len));
  for (let j = 0; j < len; j++) {
    const d = src[off + j];
    const f = f32[j];
    if (f !== d) {
      if (Number.isNaN(d)) {
        u32[j] = (words[2 * (off + j) + HIGH_WORD] & 0x80000000) | 0x7fc00000;
      } else {
        let bits = u32[j];
        if (Math.abs(f) > Math.abs(d)) bits -= 1;
        u32[j] = bits | 1;
      }
    }
  }
  return part;
}

const wordsOf = (a: Float64Array): Uint32Array =>
  new Uint32Array(a.buffer, a.byteOffset, 2 * a.length);

/** f64 → bf16 or fp16 bits, one rounding from the exact double. */
export function jsF64ToHalf(src: Float64Array, dst: Uint16Array, half: 'bf16' | 'f16'): void {
  const words = wordsOf(src);
  for (let off = 0; off < src.length; off += CHUNK) {
    const len = Math.min(CHUNK, src.length - off);
    const part = oddChunk(src, words, off, len);
    if (half === 'bf16') jsF32ToBf16(part, dst.subarray(off, off + len));
    else jsF32ToF16(part, dst.subarray(off, off + len));
  }
}

/** Rounds each fp32 to the half format's value, in place. */
export function jsRoundF32InPlace(values: Float32Array, half: 'bf16' | 'f16'): void {
  if (half === 'bf16') {
    const u = u32View(values);
    const n = u.length;
    for (let i = 0; i < n; i++) {
      const x = u[i];
      u[i] =
        (x & 0x7fffffff) > 0x7f800000
          ? (x & 0x80000000) | 0x7fc00000
          : (x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000;
    }
    return;
  }
  // fp16: two passes per chunk (encode to bits, decode through the table).
  const { u16 } = scratchBuffers();
  for (let off = 0; off < values.length; off += CHUNK) {
    const len = Math.min(CHUNK, values.length - off);
    const part = values.subarray(off, off + len);
    const bits = u16.subarray(0, len);
    jsF32ToF16(part, bits);
    jsF16ToF32(bits, part);
  }
}

/** Rounds each double to the half format's value (one rounding), in place. */
export function jsRoundF64InPlace(values: Float64Array, half: 'bf16' | 'f16'): void {
  const words = wordsOf(values);
  for (let off = 0; off < values.length; off += CHUNK) {
    const len = Math.min(CHUNK, values.length - off);
    const part = oddChunk(values, words, off, len);
    jsRoundF32InPlace(part, half);
    values.set(part, off);
  }
}
