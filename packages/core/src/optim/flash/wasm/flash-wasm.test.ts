import { afterAll, describe, expect, it } from 'vitest';
import { f32ToBf16Bits, f32ToF16Bits } from '../../../dtype/convert-scalar.js';
import {
  type FlashAdamHyper,
  flashAdamStep,
  flashKernelEngine,
  type MomentStore,
  setFlashKernelEngine,
} from '../flash-kernels.js';
import { numGroups } from '../quantize.js';
import { flashWasmEngine, flashWasmFailure } from './flash-wasm-engine.js';

/** The state of one fast-path parameter: bf16 bits, int8 ECC and both quantized moments. */
interface State {
  param: { data: Uint16Array; dtype: 'bfloat16' };
  ecc: Int8Array;
  expAvg: MomentStore & { kind: 'quantized'; codes: Int8Array };
  expAvgSq: MomentStore & { kind: 'quantized'; codes: Uint8Array };
}

function clone(s: State): State {
  return {
    param: { data: s.param.data.slice(), dtype: 'bfloat16' },
    ecc: s.ecc.slice(),
    expAvg: { kind: 'quantized', codes: s.expAvg.codes.slice(), scales: s.expAvg.scales.slice() },
    expAvgSq: {
      kind: 'quantized',
      codes: s.expAvgSq.codes.slice(),
      scales: s.expAvgSq.scales.slice(),
    },
  };
}

function makeRng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

type Rng = () => number;

/** Special bf16 parameter patterns: zeros, subnormals, extremes, inf, NaN. */
const PARAM_EDGES = [
  0x0000, 0x8000, 0x0001, 0x8001, 0x007f, 0x807f, 0x0080, 0x8080, 0x0040, 0x7f7f, 0xff7f, 0x7f7e,
  0x7f80, 0xff80, 0x7fc0, 0xffc0, 0x3f80, 0xbf80, 0x0100, 0x0480, 0x7f00,
];
/** Special fp32 gradients. */
const GRAD_EDGES = [
  0,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  3.4e38,
  -3.4e38,
  1e-40,
  -1e-45,
  1e-30,
  65519.99,
  65520,
  1e20,
  1 + 2 ** -11,
  1 + 3 * 2 ** -11,
  2 ** -25,
  3 * 2 ** -25,
  2 ** -14 - 2 ** -26,
  1e-9,
  1e-13,
];

/** Random fp16 scale bits: mostly ordinary magnitudes, sometimes anything (NaN, inf, subnormal). */
function randomScale(rnd: Rng): number {
  const u = rnd();
  if (u < 0.1) return (rnd() * 65536) | 0;
  if (u < 0.15) return 0;
  if (u < 0.2) return [0x7c00, 0x7e00, 0x0001, 0x03ff, 0x8000, 0xfc00][(rnd() * 6) | 0];
  return f32ToF16Bits(rnd() * 0.1);
}

function makeState(n: number, rnd: Rng, edges: boolean, randomMoments: boolean): State {
  const groups = numGroups(n);
  const param = new Uint16Array(n);
  const ecc = new Int8Array(n);
  const mc = new Int8Array(n);
  const vc = new Uint8Array(n);
  const ms = new Uint16Array(groups);
  const vs = new Uint16Array(groups);
  for (let i = 0; i < n; i++) {
    param[i] =
      edges && rnd() < 0.2
        ? PARAM_EDGES[(rnd() * PARAM_EDGES.length) | 0]
        : f32ToBf16Bits((rnd() - 0.5) * 4);
    if (randomMoments) {
      ecc[i] = ((rnd() * 255) | 0) - 127;
      mc[i] = ((rnd() * 255) | 0) - 127;
      vc[i] = (rnd() * 256) | 0;
    }
  }
  if (randomMoments) {
    for (let g = 0; g < groups; g++) {
      ms[g] = randomScale(rnd);
      vs[g] = randomScale(rnd);
    }
  }
  return {
    param: { data: param, dtype: 'bfloat16' },
    ecc,
    expAvg: { kind: 'quantized', codes: mc, scales: ms },
    expAvgSq: { kind: 'quantized', codes: vc, scales: vs },
  };
}

function makeGrad(n: number, rnd: Rng, edges: boolean, step: number): Float32Array {
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    // Whole zero groups (group index ≡ step mod 5), plus scattered edge values.
    if (edges && ((i >>> 5) + step) % 5 === 0) g[i] = 0;
    else if (edges && u < 0.15) g[i] = GRAD_EDGES[(rnd() * GRAD_EDGES.length) | 0];
    else if (u < 0.05) g[i] = (rnd() - 0.5) * 1e-6;
    else g[i] = (rnd() - 0.5) * 0.2;
  }
  return g;
}

const isBf16NaN = (b: number) => (b & 0x7fff) > 0x7f80;
const isF16NaN = (b: number) => (b & 0x7fff) > 0x7c00;

/** Index of the first difference (any NaN matches any NaN), or -1. */
function firstDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  nanOf?: (x: number) => boolean,
): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] && !(nanOf?.(a[i]) && nanOf(b[i]))) return i;
  }
  return -1;
}

function expectSame(js: State, wasm: State, at: string): void {
  const checks: [string, ArrayLike<number>, ArrayLike<number>, ((x: number) => boolean)?][] = [
    ['param', js.param.data, wasm.param.data, isBf16NaN],
    ['ecc', js.ecc, wasm.ecc],
    ['exp_avg codes', js.expAvg.codes, wasm.expAvg.codes],
    ['exp_avg scales', js.expAvg.scales, wasm.expAvg.scales, isF16NaN],
    ['exp_avg_sq codes', js.expAvgSq.codes, wasm.expAvgSq.codes],
    ['exp_avg_sq scales', js.expAvgSq.scales, wasm.expAvgSq.scales, isF16NaN],
  ];
  for (const [name, a, b, nan] of checks) {
    const i = firstDiff(a, b, nan);
    const detail = i < 0 ? 'same' : `${name}[${i}]: js ${a[i]} wasm ${b[i]}`;
    expect(detail, `${at}: ${name}`).toBe('same');
  }
}

type GradForm = 'float32' | 'bfloat16' | 'float16';

function gradOf(g: Float32Array, form: GradForm) {
  if (form === 'float32') return { data: g, dtype: 'float32' as const };
  const bits = new Uint16Array(g.length);
  for (let i = 0; i < g.length; i++) {
    bits[i] = form === 'bfloat16' ? f32ToBf16Bits(g[i]) : f32ToF16Bits(g[i]);
  }
  return { data: bits, dtype: form };
}

function step(
  engine: 'js' | 'wasm-simd',
  s: State,
  grad: ReturnType<typeof gradOf>,
  k: number,
  hyper: FlashAdamHyper,
) {
  setFlashKernelEngine(engine);
  flashAdamStep({ ...s, grad, step: k, hyper });
}

/** Runs `steps` updates on identical states with both engines and compares after each. */
function compareEngines(opts: {
  n: number;
  seed: number;
  grad: GradForm;
  hyper: FlashAdamHyper;
  edges: boolean;
  randomMoments: boolean;
  steps: number;
}): void {
  const rnd = makeRng(opts.seed);
  const js = makeState(opts.n, rnd, opts.edges, opts.randomMoments);
  const wasm = clone(js);
  for (let k = 1; k <= opts.steps; k++) {
    const grad = gradOf(makeGrad(opts.n, rnd, opts.edges, k), opts.grad);
    step('js', js, grad, k, opts.hyper);
    step('wasm-simd', wasm, grad, k, opts.hyper);
    expectSame(js, wasm, `n=${opts.n} ${opts.grad} step ${k}`);
  }
}

const ADAMW: FlashAdamHyper = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  decoupled: true,
  decoupleLr: false,
  initialLr: 1e-3,
};
const HYPERS: [string, FlashAdamHyper][] = [
  ['AdamW wd 0.01', ADAMW],
  ['AdamW no decay', { ...ADAMW, weightDecay: 0 }],
  [
    'AdamW decouple_lr, big lr',
    { ...ADAMW, lr: 0.5, weightDecay: 0.1, decoupleLr: true, initialLr: 1 },
  ],
  ['Adam coupled wd 0.1', { ...ADAMW, decoupled: false, weightDecay: 0.1, lr: 1e-2 }],
  ['Adam coupled wd 0', { ...ADAMW, decoupled: false, weightDecay: 0 }],
  // β1 = β2 = 0: the new moments are the gradient itself, so the edge gradients (fp16 ties,
  // tiny maxima whose scale rounds to 0, 65520 → inf) become the group maxima.
  ['β = 0 (moments = grad)', { ...ADAMW, beta1: 0, beta2: 0, lr: 1e-2 }],
];

const SIZES = [1, 31, 32, 33, 1000, 4099, 70000];

afterAll(() => {
  setFlashKernelEngine('auto');
});

describe('flash wasm engine', () => {
  it('loads (WebAssembly SIMD is available on Node 20) and is the default engine', () => {
    expect(flashWasmEngine(), flashWasmFailure()).not.toBeNull();
    expect(setFlashKernelEngine('auto')).toBe('wasm-simd');
    expect(flashKernelEngine()).toBe('wasm-simd');
    expect(setFlashKernelEngine('js')).toBe('js');
    expect(flashKernelEngine()).toBe('js');
    expect(setFlashKernelEngine('wasm-simd')).toBe('wasm-simd');
    expect(() => setFlashKernelEngine('gpu' as 'js')).toThrow(/unknown/);
    setFlashKernelEngine('auto');
  });
});

describe('flash wasm engine = JS fast path, bit for bit', () => {
  for (const n of SIZES) {
    for (const grad of ['float32', 'bfloat16'] as const) {
      it(`random data, n=${n}, ${grad} grads, AdamW, 4 steps`, () => {
        compareEngines({
          n,
          seed: n * 7 + 1,
          grad,
          hyper: ADAMW,
          edges: false,
          randomMoments: false,
          steps: 4,
        });
      });
    }
  }
  for (const [name, hyper] of HYPERS) {
    for (const grad of ['float32', 'bfloat16', 'float16'] as const) {
      it(`edge values, ${name}, ${grad} grads, n=4099, 5 steps`, () => {
        compareEngines({
          n: 4099,
          seed: 11,
          grad,
          hyper,
          edges: true,
          randomMoments: false,
          steps: 5,
        });
      });
      it(`edge values + random moment states (any scale bits), ${name}, ${grad} grads, n=1000`, () => {
        compareEngines({
          n: 1000,
          seed: 23,
          grad,
          hyper,
          edges: true,
          randomMoments: true,
          steps: 3,
        });
      });
    }
  }
  for (const n of [0, 1, 31, 33, 32768, 70000]) {
    it(`edge values + random moments, n=${n} (partial groups, several chunks)`, () => {
      compareEngines({
        n,
        seed: 5,
        grad: 'float32',
        hyper: ADAMW,
        edges: true,
        randomMoments: true,
        steps: 3,
      });
    });
  }
  it('all-zero gradients and params: zero groups (scale fp16(1e-12) = 0)', () => {
    const n = 100;
    const js = makeState(n, makeRng(1), false, false);
    js.param.data.fill(0);
    const wasm = clone(js);
    const grad = { data: new Float32Array(n), dtype: 'float32' as const };
    for (let k = 1; k <= 3; k++) {
      step('js', js, grad, k, ADAMW);
      step('wasm-simd', wasm, grad, k, ADAMW);
      expectSame(js, wasm, `zeros step ${k}`);
    }
    expect(Array.from(wasm.expAvg.scales)).toEqual([0, 0, 0, 0]);
  });
  it('every bf16 param pattern with every ECC code, one step each', () => {
    // 65536 params × a sweep of ECC codes: all exponent fields (subnormal 2^s included).
    const n = 65536;
    const rnd = makeRng(99);
    const js = makeState(n, rnd, false, true);
    for (let i = 0; i < n; i++) {
      js.param.data[i] = i;
      js.ecc[i] = ((i * 37) % 255) - 127;
    }
    const wasm = clone(js);
    const g = makeGrad(n, rnd, true, 1);
    for (const [name, hyper] of HYPERS) {
      const a = clone(js);
      const b = clone(wasm);
      step('js', a, { data: g, dtype: 'float32' }, 2, hyper);
      step('wasm-simd', b, { data: g, dtype: 'float32' }, 2, hyper);
      expectSame(a, b, `all bf16 patterns, ${name}`);
    }
  });
});
