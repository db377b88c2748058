/**
 * Runs the SIMD kernels of `convert.wat` over whole typed arrays. A wasm module cannot read JS
 * typed arrays in place, so each array goes through the module's memory in chunks: copy a chunk
 * in (TypedArray.set, a memcpy), run one to three kernel passes, copy the result out. The chunk
 * is small enough to stay in L2, which keeps the copies cheap next to the conversion.
 *
 * The module is compiled and instantiated synchronously (`new WebAssembly.Module/Instance`,
 * fine for ~1.4 KB in Node and workers) on the first bulk call that wants it. A runtime
 * without WebAssembly SIMD fails validation there, and core falls back to the TS loops
 * (`conversionEngine()` reports which one runs).
 */
import { lazyWasm } from '../../util/lazy-wasm.js';
import { CONVERT_WASM_BASE64 } from './convert-wasm.generated.js';

type Kernel = (src: number, dst: number, n: number) => void;

/** The exports of convert.wat. */
interface ConvertExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly f32_to_bf16: Kernel;
  readonly f32_round_bf16: Kernel;
  readonly f32_to_f16: Kernel;
  readonly bf16_to_f32: Kernel;
  readonly f16_to_f32: Kernel;
  readonly f64_to_f32_odd: Kernel;
}

/** Elements per chunk. Regions (bytes): input f64-wide, then middle and output fp32-wide. */
const CHUNK = 16384;
const IN = 0;
const MID = CHUNK * 8;
const OUT = MID + CHUNK * 4;
const MEMORY_BYTES = OUT + CHUNK * 4;

type Chunkable = Float32Array | Float64Array | Uint16Array;

/** Bulk conversions on the wasm SIMD kernels (same contracts as the TS loops). */
export class WasmEngine {
  private readonly k: ConvertExports;
  private readonly inF32: Float32Array;
  private readonly inF64: Float64Array;
  private readonly inU16: Uint16Array;
  private readonly midF32: Float32Array;
  private readonly outF32: Float32Array;
  private readonly outU16: Uint16Array;

  constructor(kernels: ConvertExports) {
    const buffer = kernels.memory.buffer;
    if (buffer.byteLength < MEMORY_BYTES) {
      throw new Error(
        `wasm memory is ${buffer.byteLength} bytes; the chunk layout needs ${MEMORY_BYTES}`,
      );
    }
    this.k = kernels;
    // The module never grows its memory, so these views stay attached.
    this.inF32 = new Float32Array(buffer, IN, CHUNK);
    this.inF64 = new Float64Array(buffer, IN, CHUNK);
    this.inU16 = new Uint16Array(buffer, IN, CHUNK);
    this.midF32 = new Float32Array(buffer, MID, CHUNK);
    this.outF32 = new Float32Array(buffer, OUT, CHUNK);
    this.outU16 = new Uint16Array(buffer, OUT, CHUNK);
  }

  /**
   * Copies `src` through `inView`, runs `passes` on each chunk (element count rounded up to 4,
   * the kernels' step), and copies `outView` to `dst`. A Float32Array result copied into a
   * Float64Array is widened exactly by TypedArray.set. `dst` may be `src` (each chunk is read
   * in before it is written back).
   */
  private pump(
    src: Chunkable,
    inView: Chunkable,
    dst: Chunkable,
    outView: Chunkable,
    passes: (n: number) => void,
  ): void {
    const n = src.length;
    for (let off = 0; off < n; off += CHUNK) {
      const len = Math.min(CHUNK, n - off);
      inView.set(src.subarray(off, off + len));
      passes((len + 3) & ~3);
      dst.set(outView.subarray(0, len), off);
    }
  }

  f32ToBf16(src: Float32Array, dst: Uint16Array): void {
    const k = this.k;
    this.pump(src, this.inF32, dst, this.outU16, (n) => k.f32_to_bf16(IN, OUT, n));
  }

  f32ToF16(src: Float32Array, dst: Uint16Array): void {
    const k = this.k;
    this.pump(src, this.inF32, dst, this.outU16, (n) => k.f32_to_f16(IN, OUT, n));
  }

  /** bf16 → fp32, or → f64 when `dst` is a Float64Array. */
  bf16ToFloat(src: Uint16Array, dst: Float32Array | Float64Array): void {
    const k = this.k;
    this.pump(src, this.inU16, dst, this.outF32, (n) => k.bf16_to_f32(IN, OUT, n));
  }

  /** fp16 → fp32, or → f64 when `dst` is a Float64Array. */
  f16ToFloat(src: Uint16Array, dst: Float32Array | Float64Array): void {
    const k = this.k;
    this.pump(src, this.inU16, dst, this.outF32, (n) => k.f16_to_f32(IN, OUT, n));
  }

  /** f64 → half bits, one rounding (round to odd in fp32, then RNE to the half). */
  f64ToHalf(src: Float64Array, dst: Uint16Array, half: 'bf16' | 'f16'): void {
    const k = this.k;
    const narrow = half === 'bf16' ? k.f32_to_bf16 : k.f32_to_f16;
    this.pump(src, this.inF64, dst, this.outU16, (n) => {
      k.f64_to_f32_odd(IN, MID, n);
      narrow(MID, OUT, n);
    });
  }

  /** Rounds fp32 values to the half format's values, in place. */
  roundF32(values: Float32Array, half: 'bf16' | 'f16'): void {
    const k = this.k;
    if (half === 'bf16') {
      this.pump(values, this.inF32, values, this.outF32, (n) => k.f32_round_bf16(IN, OUT, n));
      return;
    }
    this.pump(values, this.inF32, values, this.midF32, (n) => {
      k.f32_to_f16(IN, OUT, n);
      k.f16_to_f32(OUT, MID, n);
    });
  }

  /** Rounds doubles to the half format's values (one rounding), in place. */
  roundF64(values: Float64Array, half: 'bf16' | 'f16'): void {
    const k = this.k;
    if (half === 'bf16') {
      this.pump(values, this.inF64, values, this.outF32, (n) => {
        k.f64_to_f32_odd(IN, MID, n);
        k.f32_round_bf16(MID, OUT, n);
      });
      return;
    }
    this.pump(values, this.inF64, values, this.midF32, (n) => {
      k.f64_to_f32_odd(IN, MID, n);
      k.f32_to_f16(MID, OUT, n);
      k.f16_to_f32(OUT, MID, n);
    });
  }
}

const module = lazyWasm(
  CONVERT_WASM_BASE64,
  (exports) => new WasmEngine(exports as ConvertExports),
);

/**
 * The wasm engine, instantiated on first call; null when this runtime cannot run it (no
 * WebAssembly, or no SIMD: the module then fails to compile). The reason is kept for
 * `wasmFailure()`.
 */
export function wasmEngine(): WasmEngine | null {
  return module.get();
}

/** Why the wasm engine could not load (undefined when it loaded or was never tried). */
export function wasmFailure(): string | undefined {
  return module.failure();
}
