/**
 * Runs the FlashAdam(W) fast path (bf16 param, int8 ECC, int8/uint8 quantized moments with fp16
 * group scales) on the WebAssembly SIMD kernel of `flash.wat`. A wasm module cannot read JS typed
 * arrays in place, so each array goes through the module's memory in chunks of whole 32-element
 * groups: copy a chunk of every array in (TypedArray.set, a memcpy), run the kernel, copy the
 * param bits, ECC codes, moment codes and scales back. The chunk is small enough to stay in L2.
 *
 * Bit-identical to `adamFast` in flash-kernels.ts (NaN payloads aside). The module is compiled
 * and instantiated synchronously on first use; a runtime without WebAssembly SIMD fails there and
 * the JS loop runs instead (`flashKernelEngine()` reports which one).
 */
import { lazyWasm } from '../../../util/lazy-wasm.js';
import { rhoScaleTable } from '../ecc.js';
import { dequantLevels, MOMENTUM_QUANT, VARIANCE_QUANT } from '../quantize.js';
import { FLASH_WASM_BASE64 } from './flash-wasm.generated.js';

type AdamKernel = (
  p: number,
  e: number,
  mc: number,
  vc: number,
  ms: number,
  vs: number,
  g: number,
  scratch: number,
  n: number,
  gradKind: number,
  b1: number,
  b2: number,
  omb1: number,
  omb2: number,
  lr: number,
  eps: number,
  bc1: number,
  bc2: number,
  decay: number,
  wd: number,
  tabM: number,
  tabV: number,
  tabR: number,
) => void;

/** The exports of flash.wat. */
interface FlashExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly adam: AdamKernel;
}

/** Elements per chunk (a multiple of the 32-element group) and the regions' byte offsets. */
const CHUNK = 16384;
const CHUNK_GROUPS = CHUNK / 32;
const P = 0;
const E = P + CHUNK * 2;
const MC = E + CHUNK;
const VC = MC + CHUNK;
const MS = VC + CHUNK;
const VS = MS + CHUNK_GROUPS * 2;
const GR = VS + CHUNK_GROUPS * 2;
const SCRATCH = GR + CHUNK * 4;
const TAB_M = SCRATCH + CHUNK * 8 + CHUNK_GROUPS * 8;
const TAB_V = TAB_M + 1024;
const TAB_R = TAB_V + 1024;
const MEMORY_BYTES = TAB_R + 1024;

/** How the kernel reads the gradient region: fp32 values, bf16 bits or fp16 bits. */
const GRAD_KIND = { float32: 0, bfloat16: 1, float16: 2 } as const;

/** One fast-path Adam update: the arrays (updated in place) and the fp32 scalars. */
export interface FlashAdamWasmJob {
  readonly pd: Uint16Array;
  readonly grad: Float32Array | Uint16Array;
  readonly gradDtype: 'float32' | 'bfloat16' | 'float16';
  readonly ecc: Int8Array;
  readonly mc: Int8Array;
  readonly ms: Uint16Array;
  readonly vc: Uint8Array;
  readonly vs: Uint16Array;
  readonly b1: number;
  readonly b2: number;
  readonly omb1: number;
  readonly omb2: number;
  readonly lr: number;
  readonly eps: number;
  readonly bc1: number;
  readonly bc2: number;
  readonly decay: number;
  readonly wd: number;
}

/** The fast-path Adam update on the wasm SIMD kernel. */
export class FlashWasmEngine {
  private readonly adamKernel: AdamKernel;
  private readonly p: Uint16Array;
  private readonly e: Int8Array;
  private readonly mc: Int8Array;
  private readonly vc: Uint8Array;
  private readonly ms: Uint16Array;
  private readonly vs: Uint16Array;
  private readonly gF32: Float32Array;
  private readonly gU16: Uint16Array;

  constructor(kernels: FlashExports) {
    const buffer = kernels.memory.buffer;
    if (buffer.byteLength < MEMORY_BYTES) {
      throw new Error(
        `wasm memory is ${buffer.byteLength} bytes; the chunk layout needs ${MEMORY_BYTES}`,
      );
    }
    this.adamKernel = kernels.adam;
    // The module never grows its memory, so these views stay attached.
    this.p = new Uint16Array(buffer, P, CHUNK);
    this.e = new Int8Array(buffer, E, CHUNK);
    this.mc = new Int8Array(buffer, MC, CHUNK);
    this.vc = new Uint8Array(buffer, VC, CHUNK);
    this.ms = new Uint16Array(buffer, MS, CHUNK_GROUPS);
    this.vs = new Uint16Array(buffer, VS, CHUNK_GROUPS);
    this.gF32 = new Float32Array(buffer, GR, CHUNK);
    this.gU16 = new Uint16Array(buffer, GR, CHUNK);
    // The decode tables of the JS kernels, by code byte: the same fp32 values, looked up.
    new Float32Array(buffer, TAB_M, 256).set(dequantLevels(MOMENTUM_QUANT));
    new Float32Array(buffer, TAB_V, 256).set(dequantLevels(VARIANCE_QUANT));
    new Float32Array(buffer, TAB_R, 256).set(rhoScaleTable(127));
  }

  /** Runs one update over the whole parameter, chunk by chunk, in place. */
  adam(job: FlashAdamWasmJob): void {
    const { pd, grad, ecc, mc, ms, vc, vs } = job;
    const gradKind = GRAD_KIND[job.gradDtype];
    const kernel = this.adamKernel;
    const n = pd.length;
    for (let off = 0; off < n; off += CHUNK) {
      const len = Math.min(CHUNK, n - off);
      const groups = Math.ceil(len / 32);
      const padded = groups * 32;
      const g0 = off / 32;
      const end = off + len;
      this.p.set(pd.subarray(off, end));
      this.e.set(ecc.subarray(off, end));
      this.mc.set(mc.subarray(off, end));
      this.vc.set(vc.subarray(off, end));
      if (grad instanceof Float32Array) this.gF32.set(grad.subarray(off, end));
      else this.gU16.set(grad.subarray(off, end));
      this.ms.set(ms.subarray(g0, g0 + groups));
      this.vs.set(vs.subarray(g0, g0 + groups));
      if (padded > len) {
        // Lanes past the end compute on zeros (kept out of the group maxima, never copied back).
        this.p.fill(0, len, padded);
        this.e.fill(0, len, padded);
        this.mc.fill(0, len, padded);
        this.vc.fill(0, len, padded);
        this.gF32.fill(0, len, padded);
      }
      kernel(
        P,
        E,
        MC,
        VC,
        MS,
        VS,
        GR,
        SCRATCH,
        len,
        gradKind,
        job.b1,
        job.b2,
        job.omb1,
        job.omb2,
        job.lr,
        job.eps,
        job.bc1,
        job.bc2,
        job.decay,
        job.wd,
        TAB_M,
        TAB_V,
        TAB_R,
      );
      pd.set(this.p.subarray(0, len), off);
      ecc.set(this.e.subarray(0, len), off);
      mc.set(this.mc.subarray(0, len), off);
      vc.set(this.vc.subarray(0, len), off);
      ms.set(this.ms.subarray(0, groups), g0);
      vs.set(this.vs.subarray(0, groups), g0);
    }
  }
}

const module = lazyWasm(
  FLASH_WASM_BASE64,
  (exports) => new FlashWasmEngine(exports as FlashExports),
);

/**
 * The wasm engine, instantiated on first call; null when this runtime cannot run it (no
 * WebAssembly, or no SIMD: the module then fails to compile). The reason is kept for
 * `flashWasmFailure()`.
 */
export function flashWasmEngine(): FlashWasmEngine | null {
  return module.get();
}

/** Why the wasm engine could not load (undefined when it loaded or was never tried). */
export function flashWasmFailure(): string | undefined {
  return module.failure();
}
