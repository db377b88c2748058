/**
 * The 8-bit group quantizer for optimizer moments (docs/flashoptim.md#8-bit-grouped-quantizer).
 * Groups are flat runs of 32 elements; each stores one fp16 scale (the group's absmax) and one
 * 8-bit code per element. All arithmetic is fp32 (`Math.fround` after every operation), so
 * codes, scales and decoded values are bit-identical to the fp32 reference.
 *
 * NaN policy (FlashOptim leaves it undefined): a NaN anywhere in a group propagates into that
 * group's scale. The scale becomes an fp16 NaN (0x7e00), all codes of the group are 0, and the
 * whole group decodes to NaN, so a diverged moment stays visible instead of being silently
 * replaced by finite values. ±inf inputs are not special-cased: the group max is inf, the
 * scale is fp16 inf and the group decodes to ±inf / NaN (special values: same section).
 */
import { MixprecError } from '../../errors/mixprec-error.js';
import { f16BitsOfF32, f16ToF32 } from './fp32.js';

/** Elements per quantization group (one fp16 scale each). */
export const GROUP_SIZE = 32;

/** Which variant of the quantizer a moment uses (docs/flashoptim.md#8-bit-grouped-quantizer). */
export interface QuantSpec {
  /** int8 codes in [−127, 127] when true, uint8 codes in [0, 255] when false. */
  readonly signed: boolean;
  /** Quantize sqrt(x) and square on decode (for non-negative second moments). */
  readonly sqrt: boolean;
  /** Compand with t = 2n/(1+|n|), which gives finer steps near zero. */
  readonly softsign: boolean;
}

/** Momentum-like states (exp_avg of Adam and Lion, SGD momentum_buffer): signed + softsign. */
export const MOMENTUM_QUANT: QuantSpec = Object.freeze({
  signed: true,
  sqrt: false,
  softsign: true,
});

/** Adam's exp_avg_sq: unsigned codes of sqrt(v), no softsign. */
export const VARIANCE_QUANT: QuantSpec = Object.freeze({
  signed: false,
  sqrt: true,
  softsign: false,
});

/** Number of 32-element groups needed for `n` elements (the last one may be partial). */
export function numGroups(n: number): number {
  return Math.ceil(n / GROUP_SIZE);
}

/** fp32(1e-12): the floor on the group max that keeps an all-zero group from dividing by zero. */
const MIN_SCALE = Math.fround(1e-12);
/** fp16 quiet NaN: the scale of a group that contained a NaN. */
const F16_NAN = 0x7e00;

const levelTables = new Map<number, Float32Array>();

/**
 * The fp32 value each code decodes to before scaling (the first two decoding steps of
 * docs/flashoptim.md#8-bit-grouped-quantizer), indexed by the code's low byte. Exact: the
 * table holds the same fp32 operations the decoder would perform.
 */
export function dequantLevels(spec: QuantSpec): Float32Array {
  const key = (spec.signed ? 1 : 0) | (spec.softsign ? 2 : 0);
  let table = levelTables.get(key);
  if (table === undefined) {
    table = new Float32Array(256);
    const inMax = spec.signed ? 127 : 255;
    for (let byte = 0; byte < 256; byte++) {
      const code = spec.signed && byte >= 128 ? byte - 256 : byte;
      const t = Math.fround(code / inMax);
      table[byte] = spec.softsign ? Math.fround(t / Math.fround(2 - Math.abs(t))) : t;
    }
    levelTables.set(key, table);
  }
  return table;
}

/**
 * Quantizes `count` fp32 values `src[srcOff ..]` (already square-rooted for sqrt specs) into
 * `codes[codeOff ..]` and returns the group's fp16 scale bits (quantizing steps 2–6 of
 * docs/flashoptim.md#8-bit-grouped-quantizer). Shared by the standalone quantizer and the
 * fused kernels.
 */
export function quantizeGroup(
  src: Float32Array,
  srcOff: number,
  count: number,
  signed: boolean,
  softsign: boolean,
  codes: Int8Array | Uint8Array,
  codeOff: number,
): number {
  const end = srcOff + count;
  let a = 0;
  let nan = false;
  for (let i = srcOff; i < end; i++) {
    const ax = Math.abs(src[i]);
    if (ax > a) a = ax;
    else if (Number.isNaN(ax)) nan = true;
  }
  if (nan) {
    codes.fill(0, codeOff, codeOff + count);
    return F16_NAN;
  }
  if (a < MIN_SCALE) a = MIN_SCALE;
  const outMax = signed ? 127 : 255;
  // x·(1/a) instead of x/a: for fp32 x and a the exact quotient is never within 2^-49
  // (relative) of an fp32 rounding boundary and the double product is within ~2^-52 of it, so
  // fround gives the same n whenever n is normal; a subnormal n yields code 0 either way.
  // Codes: ((z + 256) | 0) − 256 is floor(z) for z > −256, and NaN becomes −256 ≡ 0 (mod 256).
  const inv = 1 / a;
  let o = codeOff;
  if (softsign) {
    for (let i = srcOff; i < end; i++, o++) {
      const n = Math.fround(src[i] * inv);
      const t = Math.fround((2 * n) / Math.fround(1 + Math.abs(n)));
      codes[o] = ((Math.fround(Math.fround(t * outMax) + 0.5) + 256) | 0) - 256;
    }
  } else {
    for (let i = srcOff; i < end; i++, o++) {
      const n = Math.fround(src[i] * inv);
      codes[o] = ((Math.fround(Math.fround(n * outMax) + 0.5) + 256) | 0) - 256;
    }
  }
  return f16BitsOfF32(a);
}

function checkCodes(codes: Int8Array | Uint8Array, spec: QuantSpec, what: string): void {
  if (spec.signed ? !(codes instanceof Int8Array) : !(codes instanceof Uint8Array)) {
    throw new MixprecError(
      `${what}: codes are a ${codes.constructor.name}, expected ${spec.signed ? 'an Int8Array (signed spec)' : 'a Uint8Array (unsigned spec)'}`,
    );
  }
}

function checkLengths(n: number, codes: number, scales: number, what: string): void {
  if (codes !== n) {
    throw new MixprecError(`${what}: codes have length ${codes}, expected ${n} (one per element)`);
  }
  if (scales !== numGroups(n)) {
    throw new MixprecError(
      `${what}: scales have length ${scales}, expected ${numGroups(n)} (ceil(${n}/${GROUP_SIZE}))`,
    );
  }
}

/**
 * Quantizes fp32 `x` (docs/flashoptim.md#8-bit-grouped-quantizer) into `codes` (Int8Array when
 * signed, Uint8Array otherwise, one per element) and `scales` (fp16 bit patterns, one per
 * group).
 */
export function quantizeInto(
  x: Float32Array,
  spec: QuantSpec,
  codes: Int8Array | Uint8Array,
  scales: Uint16Array,
): void {
  checkCodes(codes, spec, 'quantizeInto');
  checkLengths(x.length, codes.length, scales.length, 'quantizeInto');
  const n = x.length;
  let src = x;
  if (spec.sqrt) {
    src = new Float32Array(n);
    for (let i = 0; i < n; i++) src[i] = Math.sqrt(x[i]);
  }
  for (let g = 0, off = 0; off < n; g++, off += GROUP_SIZE) {
    const count = Math.min(GROUP_SIZE, n - off);
    scales[g] = quantizeGroup(src, off, count, spec.signed, spec.softsign, codes, off);
  }
}

/** Decodes codes and fp16 scales back to fp32 values in `out` (docs/flashoptim.md#8-bit-grouped-quantizer). */
export function dequantizeInto(
  codes: Int8Array | Uint8Array,
  scales: Uint16Array,
  spec: QuantSpec,
  out: Float32Array,
): void {
  checkCodes(codes, spec, 'dequantizeInto');
  checkLengths(out.length, codes.length, scales.length, 'dequantizeInto');
  const levels = dequantLevels(spec);
  const n = out.length;
  for (let g = 0, off = 0; off < n; g++, off += GROUP_SIZE) {
    const end = Math.min(off + GROUP_SIZE, n);
    const scale = f16ToF32(scales[g]);
    if (spec.sqrt) {
      for (let i = off; i < end; i++) {
        const r = Math.fround(levels[codes[i] & 0xff] * scale);
        out[i] = r * r;
      }
    } else {
      for (let i = off; i < end; i++) out[i] = levels[codes[i] & 0xff] * scale;
    }
  }
}

/** Allocating form of `quantizeInto`. */
export function quantize(
  x: Float32Array,
  spec: QuantSpec,
): { codes: Int8Array | Uint8Array; scales: Uint16Array } {
  const codes = spec.signed ? new Int8Array(x.length) : new Uint8Array(x.length);
  const scales = new Uint16Array(numGroups(x.length));
  quantizeInto(x, spec, codes, scales);
  return { codes, scales };
}

/** Allocating form of `dequantizeInto`. */
export function dequantize(
  codes: Int8Array | Uint8Array,
  scales: Uint16Array,
  spec: QuantSpec,
): Float32Array {
  const out = new Float32Array(codes.length);
  dequantizeInto(codes, scales, spec, out);
  return out;
}
