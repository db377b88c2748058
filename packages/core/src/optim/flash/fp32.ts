/**
 * fp32 / bf16 / fp16 bit helpers for the FlashOptim numerics. The kernels keep narrow values as
 * 16-bit patterns and do all arithmetic in fp32 (doubles rounded with `Math.fround` after each
 * operation: one double op followed by one fp32 rounding equals the fp32 op for + − × ÷ and sqrt,
 * because 53 ≥ 2·24 + 2). The RTNE bit conversions are core's (`dtype/convert-scalar`); this
 * module adds the table lookups and scalar forms the hot loops use.
 */
import {
  bf16BitsToF32,
  bf16FromF32Bits,
  f16BitsToF32,
  f16FromF32Bits,
} from '../../dtype/convert-scalar.js';

export { bf16FromF32Bits, f16FromF32Bits };

/** The two narrow floating formats a parameter may be stored in. */
export type NarrowDType = 'bfloat16' | 'float16';

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The fp32 bit pattern of `x` after rounding it to fp32. */
export function f32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0];
}

/** The fp32 value of a 32-bit pattern. */
export function f32FromBits(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0];
}

/** Narrow bits of the number `x` rounded to fp32 first (what an fp32 kernel stores). */
export function narrowBitsOf(x: number, dtype: NarrowDType): number {
  scratchF32[0] = x;
  return dtype === 'bfloat16' ? bf16FromF32Bits(scratchU32[0]) : f16FromF32Bits(scratchU32[0]);
}

/** fp16 bits of the fp32 value `x` (used for the per-group quantizer scales). */
export function f16BitsOfF32(x: number): number {
  scratchF32[0] = x;
  return f16FromF32Bits(scratchU32[0]);
}

let bf16Table: Float32Array | undefined;
let f16Table: Float32Array | undefined;

/**
 * 65536-entry table from a narrow bit pattern to its fp32 value. Exact (every bf16/fp16 value is
 * an fp32 value), and a lookup is much cheaper than decoding bits in the hot loops.
 */
export function narrowToF32Table(dtype: NarrowDType): Float32Array {
  if (dtype === 'bfloat16') {
    if (bf16Table === undefined) {
      const t = new Float32Array(65536);
      const u = new Uint32Array(t.buffer);
      for (let b = 0; b < 65536; b++) u[b] = b << 16;
      bf16Table = t;
    }
    return bf16Table;
  }
  if (f16Table === undefined) {
    const t = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) t[b] = f16BitsToF32(b);
    f16Table = t;
  }
  return f16Table;
}

/** fp32 value of one narrow bit pattern. */
export function narrowBitsToF32(bits: number, dtype: NarrowDType): number {
  return dtype === 'bfloat16' ? bf16BitsToF32(bits) : f16BitsToF32(bits);
}

/** fp32 value of one fp16 bit pattern (the quantizer's scale). */
export function f16ToF32(bits: number): number {
  return f16BitsToF32(bits);
}
