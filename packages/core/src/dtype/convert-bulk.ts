/**
 * Bulk float conversions on whole typed arrays, dispatched to the wasm SIMD kernels or the TS
 * loops. The rules are documented in `convert.ts`.
 */
import { DtypeError } from '../errors/dtype-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import {
  jsBf16ToF32,
  jsF16ToF32,
  jsF32ToBf16,
  jsF32ToF16,
  jsF64ToHalf,
  jsHalfToF64,
  jsRoundF32InPlace,
  jsRoundF64InPlace,
} from './convert-js.js';
import { type WasmEngine, wasmEngine } from './wasm/wasm-engine.js';

/** Which implementation runs bulk conversions. */
export type ConversionEngine = 'wasm-simd' | 'js';

/**
 * Below this many elements the TS loops win: copying through wasm memory has a fixed cost
 * (measured crossover on Node 20: 32-64 elements).
 */
const WASM_MIN_LENGTH = 64;

let forcedJs = false;

/**
 * The engine bulk conversions of 64+ elements use: 'wasm-simd', or 'js' when
 * WebAssembly SIMD is unavailable (or `setConversionEngine('js')` was called). The first call
 * instantiates the wasm module.
 */
export function conversionEngine(): ConversionEngine {
  return !forcedJs && wasmEngine() ? 'wasm-simd' : 'js';
}

/**
 * Forces the TS loops ('js') or restores the default ('auto': wasm SIMD when available), and
 * returns the engine now in use. For benchmarks and for verifying both engines; results are
 * bit-identical either way.
 */
export function setConversionEngine(engine: 'auto' | 'js'): ConversionEngine {
  forcedJs = engine === 'js';
  return conversionEngine();
}

function pick(length: number): WasmEngine | null {
  return length >= WASM_MIN_LENGTH && !forcedJs ? wasmEngine() : null;
}

function output<T extends { readonly length: number }>(
  op: string,
  srcLength: number,
  dst: T | undefined,
  alloc: (n: number) => T,
): T {
  if (dst === undefined) return alloc(srcLength);
  if (dst.length !== srcLength) {
    throw new ShapeMismatchError(
      `${op}: argument 'dst' has ${dst.length} elements; expected ${srcLength} (the length of 'src')`,
    );
  }
  return dst;
}

const u16 = (n: number): Uint16Array => new Uint16Array(n);
const f32 = (n: number): Float32Array => new Float32Array(n);
const f64 = (n: number): Float64Array => new Float64Array(n);

/** fp32 → bf16 bit patterns (RNE). Returns `dst`, allocated when absent. */
export function f32ToBf16(src: Float32Array, dst?: Uint16Array): Uint16Array {
  const out = output('f32ToBf16', src.length, dst, u16);
  const wasm = pick(src.length);
  if (wasm) wasm.f32ToBf16(src, out);
  else jsF32ToBf16(src, out);
  return out;
}

/** fp32 → fp16 bit patterns (RNE, overflow to ±inf, subnormals kept). */
export function f32ToF16(src: Float32Array, dst?: Uint16Array): Uint16Array {
  const out = output('f32ToF16', src.length, dst, u16);
  const wasm = pick(src.length);
  if (wasm) wasm.f32ToF16(src, out);
  else jsF32ToF16(src, out);
  return out;
}

/** bf16 bit patterns → fp32 (exact; a 16-bit shift). */
export function bf16ToF32(src: Uint16Array, dst?: Float32Array): Float32Array {
  const out = output('bf16ToF32', src.length, dst, f32);
  const wasm = pick(src.length);
  if (wasm) wasm.bf16ToFloat(src, out);
  else jsBf16ToF32(src, out);
  return out;
}

/** fp16 bit patterns → fp32 (exact; NaNs quieted). */
export function f16ToF32(src: Uint16Array, dst?: Float32Array): Float32Array {
  const out = output('f16ToF32', src.length, dst, f32);
  const wasm = pick(src.length);
  if (wasm) wasm.f16ToFloat(src, out);
  else jsF16ToF32(src, out);
  return out;
}

/** bf16 bit patterns → f64 (exact). */
export function bf16ToF64(src: Uint16Array, dst?: Float64Array): Float64Array {
  const out = output('bf16ToF64', src.length, dst, f64);
  const wasm = pick(src.length);
  if (wasm) wasm.bf16ToFloat(src, out);
  else jsHalfToF64(src, out, 'bf16');
  return out;
}

/** fp16 bit patterns → f64 (exact). */
export function f16ToF64(src: Uint16Array, dst?: Float64Array): Float64Array {
  const out = output('f16ToF64', src.length, dst, f64);
  const wasm = pick(src.length);
  if (wasm) wasm.f16ToFloat(src, out);
  else jsHalfToF64(src, out, 'f16');
  return out;
}

/** f64 → bf16 bit patterns, rounded once from the exact double (not via fp32). */
export function f64ToBf16(src: Float64Array, dst?: Uint16Array): Uint16Array {
  const out = output('f64ToBf16', src.length, dst, u16);
  const wasm = pick(src.length);
  if (wasm) wasm.f64ToHalf(src, out, 'bf16');
  else jsF64ToHalf(src, out, 'bf16');
  return out;
}

/** f64 → fp16 bit patterns, rounded once from the exact double (not via fp32). */
export function f64ToF16(src: Float64Array, dst?: Uint16Array): Uint16Array {
  const out = output('f64ToF16', src.length, dst, u16);
  const wasm = pick(src.length);
  if (wasm) wasm.f64ToHalf(src, out, 'f16');
  else jsF64ToHalf(src, out, 'f16');
  return out;
}

/**
 * f64 → fp32 (RNE, overflow to ±inf): the engine's own conversion in TypedArray.set, which
 * ECMAScript defines as round-to-nearest-even. The sign of a NaN is not guaranteed.
 */
export function f64ToF32(src: Float64Array, dst?: Float32Array): Float32Array {
  const out = output('f64ToF32', src.length, dst, f32);
  out.set(src);
  return out;
}

/** fp32 → f64 (exact). */
export function f32ToF64(src: Float32Array, dst?: Float64Array): Float64Array {
  const out = output('f32ToF64', src.length, dst, f64);
  out.set(src);
  return out;
}

/**
 * Replaces each value by its value rounded to `dtype` (RNE, once, from the exact fp32 or f64
 * value; overflow to ±inf; NaN stays NaN with its sign). For backends that emulate half types
 * in fp32 / f64 containers.
 */
export function roundToHalfInPlace(
  values: Float32Array | Float64Array,
  dtype: 'float16' | 'bfloat16',
): void {
  if (dtype !== 'bfloat16' && dtype !== 'float16') {
    throw new DtypeError(
      `roundToHalfInPlace: argument 'dtype' is '${String(dtype)}'; expected 'float16' or 'bfloat16'`,
    );
  }
  const half = dtype === 'bfloat16' ? 'bf16' : 'f16';
  const wasm = pick(values.length);
  if (values instanceof Float32Array) {
    if (wasm) wasm.roundF32(values, half);
    else jsRoundF32InPlace(values, half);
  } else if (wasm) {
    wasm.roundF64(values, half);
  } else {
    jsRoundF64InPlace(values, half);
  }
}
