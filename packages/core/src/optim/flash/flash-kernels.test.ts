import { describe, expect, it } from 'vitest';
import { f32ToBf16Bits, f32ToF16Bits } from '../../dtype/convert-scalar.js';
import { MixprecError } from '../../errors/mixprec-error.js';
import { flashCases, h16, h32, hex } from './__fixtures__/flash-vectors.js';
import { reconstructFp32 } from './ecc.js';
import {
  type FlashAdamHyper,
  type FlashLionHyper,
  type FlashSgdHyper,
  flashAdamStep,
  flashLionStep,
  flashSgdStep,
  type MomentStore,
} from './flash-kernels.js';
import { f16ToF32, f32FromBits } from './fp32.js';
import { dequantize, MOMENTUM_QUANT, numGroups } from './quantize.js';

interface AdamStepRecord {
  step: number;
  grad: string[];
  param_bf16: string[];
  ecc_int8: number[];
  master_decoded: string[];
  exp_avg_codes: number[];
  exp_avg_scales_fp16: string[];
  exp_avg_sq_codes: number[];
  exp_avg_sq_scales_fp16: string[];
}
interface AdamCase {
  kind: 'flash_adamw';
  name: string;
  n: number;
  hyperparams: {
    lr: number;
    betas: [number, number];
    eps: number;
    weight_decay: number;
    decouple_lr: boolean;
    master_weight_bits: number;
    quantize: boolean;
  };
  param_init_bf16: string[];
  ecc_init: number[];
  steps: AdamStepRecord[];
}

const cases = flashCases<AdamCase>('flash_adamw');

function quantizedZeros(n: number, signed: boolean): MomentStore {
  return {
    kind: 'quantized',
    codes: signed ? new Int8Array(n) : new Uint8Array(n),
    scales: new Uint16Array(numGroups(n)),
  };
}
const codesOf = (s: MomentStore) => (s.kind === 'quantized' ? Array.from(s.codes) : []);
const scalesOf = (s: MomentStore) => (s.kind === 'quantized' ? Array.from(s.scales, h16) : []);
const bf16 = (xs: number[]) => new Uint16Array(xs.map(f32ToBf16Bits));
const close = (got: ArrayLike<number>, want: number[], tol: number) =>
  want.forEach((w, i) => {
    expect(Math.abs(got[i] - w), `element ${i}`).toBeLessThanOrEqual(tol);
  });

/**
 * The "master" of docs/flashoptim.md#worked-examples is θ before narrowing; the stored state
 * keeps it only to within half an int8 ECC step (2^s/(2·127), s from the narrow value's
 * exponent), plus print precision.
 */
function closeToMasters(narrow: Uint16Array, ecc: Int8Array, want: number[]): void {
  const dec = reconstructFp32(narrow, 'bfloat16', ecc);
  want.forEach((w, i) => {
    const s = ((narrow[i] & 0x7fff) >>> 7) - 127 - 8;
    const tol = 2 ** s / 254 + Math.abs(w) * 1e-7;
    expect(Math.abs(dec[i] - w), `element ${i}`).toBeLessThanOrEqual(tol);
  });
}

describe('flashAdamStep: golden trajectories (flash.json)', () => {
  it('has both flash_adamw cases', () => {
    expect(cases.map((c) => c.name).sort()).toEqual(['bf16_n70_5steps', 'spec_example']);
  });
  // fp32 gradients take the specialised bf16/int8/quantized loop; the same values as float64
  // gradients take the generic per-group path, so both paths are held to the golden bits.
  for (const c of cases)
    for (const gradDtype of ['float32', 'float64'] as const) {
      it(`${c.name} (${gradDtype} grads): every step matches param bits, ECC, moments and masters exactly`, () => {
        const hp = c.hyperparams;
        expect(hp.master_weight_bits).toBe(24);
        const param = {
          data: new Uint16Array(c.param_init_bf16.map(hex)),
          dtype: 'bfloat16' as const,
        };
        const ecc = new Int8Array(c.ecc_init);
        const expAvg = quantizedZeros(c.n, true);
        const expAvgSq = quantizedZeros(c.n, false);
        const hyper: FlashAdamHyper = {
          lr: hp.lr,
          beta1: hp.betas[0],
          beta2: hp.betas[1],
          eps: hp.eps,
          weightDecay: hp.weight_decay,
          decoupled: true,
          decoupleLr: hp.decouple_lr,
          initialLr: hp.lr,
        };
        for (const s of c.steps) {
          const values = s.grad.map((g) => f32FromBits(hex(g)));
          const grad =
            gradDtype === 'float32'
              ? { data: new Float32Array(values), dtype: gradDtype }
              : { data: new Float64Array(values), dtype: gradDtype };
          flashAdamStep({ param, grad, ecc, expAvg, expAvgSq, step: s.step, hyper });
          const at = `step ${s.step}`;
          expect(Array.from(param.data, h16), at).toEqual(s.param_bf16);
          expect(Array.from(ecc), at).toEqual(s.ecc_int8);
          expect(Array.from(reconstructFp32(param.data, 'bfloat16', ecc), h32), at).toEqual(
            s.master_decoded,
          );
          expect(codesOf(expAvg), at).toEqual(s.exp_avg_codes);
          expect(scalesOf(expAvg), at).toEqual(s.exp_avg_scales_fp16);
          expect(codesOf(expAvgSq), at).toEqual(s.exp_avg_sq_codes);
          expect(scalesOf(expAvgSq), at).toEqual(s.exp_avg_sq_scales_fp16);
        }
      });
    }
});

// docs/flashoptim.md#worked-examples, FlashLion and FlashSGD: bf16 [1, −0.5, 0.25, 2], constant
// grad, 24-bit ECC, quantized moments. Bits, ECC codes, moment codes and scales must match
// exactly (no ±1 allowance was needed).
const P0 = [1.0, -0.5, 0.25, 2.0];
const GRAD = { data: new Float32Array([0.1, -0.2, 0.3, -0.4]), dtype: 'float32' as const };

describe('flashLionStep: docs/flashoptim.md#worked-examples', () => {
  it('two steps reproduce masters, bits, ECC, codes and scales', () => {
    const param = { data: bf16(P0), dtype: 'bfloat16' as const };
    const ecc = new Int8Array(4);
    const expAvg = quantizedZeros(4, true);
    const hyper: FlashLionHyper = {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.99,
      weightDecay: 0,
      decoupleLr: false,
      initialLr: 1e-3,
    };
    flashLionStep({ param, grad: GRAD, ecc, expAvg, hyper });
    closeToMasters(param.data, ecc, [0.999, -0.499, 0.249, 2.001]);
    expect(Array.from(param.data)).toEqual([0x3f80, 0xbeff, 0x3e7f, 0x4000]);
    expect(Array.from(ecc)).toEqual([-33, -124, -6, 16]);
    expect(codesOf(expAvg)).toEqual([51, -85, 109, -127]);
    expect(expAvg.kind === 'quantized' && f16ToF32(expAvg.scales[0])).toBe(0.004001617431640625);
    flashLionStep({ param, grad: GRAD, ecc, expAvg, hyper });
    closeToMasters(param.data, ecc, [0.997985, -0.4980004, 0.2480004, 2.0019841]);
    expect(Array.from(param.data)).toEqual([0x3f7f, 0xbeff, 0x3e7e, 0x4000]);
    expect(Array.from(ecc)).toEqual([123, 6, -12, 32]);
    expect(expAvg.kind === 'quantized' && f16ToF32(expAvg.scales[0])).toBe(0.007965087890625);
  });
});

describe('flashSgdStep: docs/flashoptim.md#worked-examples', () => {
  it('two steps with momentum 0.9 reproduce masters, bits, ECC, codes and scales', () => {
    const param = { data: bf16(P0), dtype: 'bfloat16' as const };
    const ecc = new Int8Array(4);
    const momentumBuffer = quantizedZeros(4, true);
    const hyper: FlashSgdHyper = {
      lr: 1e-2,
      momentum: 0.9,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      decoupled: false,
      decoupleLr: false,
      initialLr: 1e-2,
    };
    flashSgdStep({ param, grad: GRAD, ecc, momentumBuffer, hyper });
    closeToMasters(param.data, ecc, [0.999, -0.498, 0.247, 2.004]);
    expect(Array.from(param.data)).toEqual([0x3f80, 0xbeff, 0x3e7d, 0x4000]);
    expect(Array.from(ecc)).toEqual([-33, 6, -18, 65]);
    expect(codesOf(momentumBuffer)).toEqual([51, -85, 109, -127]);
    const sc = () => momentumBuffer.kind === 'quantized' && f16ToF32(momentumBuffer.scales[0]);
    expect(sc()).toBe(0.39990234375);
    flashSgdStep({ param, grad: GRAD, ecc, momentumBuffer, hyper });
    closeToMasters(param.data, ecc, [0.9970808, -0.4941905, 0.2412956, 2.0115976]);
    expect(Array.from(param.data)).toEqual([0x3f7f, 0xbefd, 0x3e77, 0x4001]);
    expect(Array.from(ecc)).toEqual([64, -6, 22, -65]);
    expect(sc()).toBe(0.759765625);
  });
});

/** A float64 Adam/AdamW/Lion/SGD reference on plain arrays, for the unquantized fp32 paths. */
function f64Adam(p: number[], g: number[], steps: number, h: FlashAdamHyper): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const th = p.slice();
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < th.length; i++) {
      const gi = h.decoupled ? g[i] : g[i] + h.weightDecay * th[i];
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
      if (h.decoupled) th[i] *= 1 - (h.weightDecay * h.lr) / (h.decoupleLr ? h.initialLr : 1);
      const mh = m[i] / (1 - h.beta1 ** t);
      const vh = v[i] / (1 - h.beta2 ** t);
      th[i] -= (h.lr * mh) / (Math.sqrt(vh) + h.eps);
    }
  }
  return th;
}

describe('kernels: fp32 params with plain fp32 moments follow float64 references', () => {
  const p = [0.5, -1.25, 3, 0.001, -0.2, 7, 0, 1];
  const g = [0.3, -0.1, 0.05, 2, -0.7, 0.01, 1e-3, -4];
  it('Adam (coupled L2) and AdamW (decoupleLr) over 5 steps', () => {
    for (const decoupled of [false, true]) {
      const hyper: FlashAdamHyper = {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: decoupled ? 0.5 : 0.1,
        decoupled,
        decoupleLr: decoupled,
        initialLr: 0.02,
      };
      const param = { data: new Float32Array(p), dtype: 'float32' as const };
      const plain = (): MomentStore => ({
        kind: 'plain',
        data: new Float32Array(8),
        dtype: 'float32',
      });
      const expAvg = plain();
      const expAvgSq = plain();
      const grad = { data: new Float64Array(g), dtype: 'float64' as const };
      for (let t = 1; t <= 5; t++) flashAdamStep({ param, grad, expAvg, expAvgSq, step: t, hyper });
      close(param.data, f64Adam(p, g, 5, hyper), 2e-6);
    }
  });
  it('Lion with decoupled decay, sign(0) = 0', () => {
    const param = { data: new Float32Array(p), dtype: 'float32' as const };
    const expAvg: MomentStore = { kind: 'plain', data: new Float32Array(8), dtype: 'float32' };
    const gz = g.slice();
    gz[6] = 0;
    const grad = { data: new Float32Array(gz), dtype: 'float32' as const };
    const hyper = {
      lr: 0.1,
      beta1: 0.5,
      beta2: 0.75,
      weightDecay: 0.2,
      decoupleLr: false,
      initialLr: 0.1,
    };
    flashLionStep({ param, grad, expAvg, hyper });
    const want = p.map((x, i) => x * (1 - 0.02) - 0.1 * Math.sign(gz[i]));
    close(param.data, want, 1e-6);
    expect(param.data[6]).toBe(0);
    close(
      expAvg.kind === 'plain' ? expAvg.data : [],
      gz.map((x) => 0.25 * x),
      1e-7,
    );
  });
  it('SGD: nesterov + coupled decay, SGDW, dampening on the first step, momentum 0', () => {
    const run = (hyper: FlashSgdHyper, withBuffer: boolean) => {
      const param = { data: new Float32Array(p), dtype: 'float32' as const };
      const momentumBuffer: MomentStore | undefined = withBuffer
        ? { kind: 'plain', data: new Float32Array(8), dtype: 'float32' }
        : undefined;
      const grad = { data: new Float32Array(g), dtype: 'float32' as const };
      flashSgdStep({ param, grad, momentumBuffer, hyper });
      flashSgdStep({ param, grad, momentumBuffer, hyper });
      return param.data;
    };
    const base: FlashSgdHyper = {
      lr: 0.1,
      momentum: 0.9,
      dampening: 0.5,
      weightDecay: 0.1,
      nesterov: true,
      decoupled: false,
      decoupleLr: false,
      initialLr: 0.1,
    };
    const ref = (h: FlashSgdHyper) =>
      p.map((x0, i) => {
        let x = x0;
        let b = 0;
        for (let t = 0; t < 2; t++) {
          let gi = g[i];
          if (!h.decoupled) gi += h.weightDecay * x;
          if (h.momentum !== 0) b = h.momentum * b + (1 - h.dampening) * gi; // (1−d)·g on step 1
          if (h.decoupled) x *= 1 - h.weightDecay * h.lr;
          const dir = h.momentum === 0 ? gi : h.nesterov ? gi + h.momentum * b : b;
          x -= h.lr * dir;
        }
        return x;
      });
    close(run(base, true), ref(base), 2e-6);
    const sgdw = { ...base, nesterov: false, decoupled: true };
    close(run(sgdw, true), ref(sgdw), 2e-6);
    const plainSgd = { ...base, momentum: 0 };
    close(run(plainSgd, false), ref(plainSgd), 2e-6);
    // momentum 0 with a buffer present (another group uses momentum): plain path, buffer untouched.
    const buffer: MomentStore = {
      kind: 'plain',
      data: new Float32Array(8).fill(0.5),
      dtype: 'float32',
    };
    const param = { data: new Float32Array(p), dtype: 'float32' as const };
    const grad = { data: new Float32Array(g), dtype: 'float32' as const };
    flashSgdStep({ param, grad, momentumBuffer: buffer, hyper: plainSgd });
    flashSgdStep({ param, grad, momentumBuffer: buffer, hyper: plainSgd });
    close(param.data, ref(plainSgd), 2e-6);
    expect(buffer.kind === 'plain' && Array.from(buffer.data)).toEqual(new Array(8).fill(0.5));
  });
});

describe('kernels: storage forms', () => {
  it('plain bf16 moments are stored RTNE at the param dtype; no ECC → update is RTNE of θ', () => {
    const param = { data: bf16([1, -2, 0.5]), dtype: 'bfloat16' as const };
    const expAvg: MomentStore = { kind: 'plain', data: new Uint16Array(3), dtype: 'bfloat16' };
    const grad = { data: bf16([0.3, 0.3, -0.3]), dtype: 'bfloat16' as const };
    const hyper = {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.99,
      weightDecay: 0,
      decoupleLr: false,
      initialLr: 0.1,
    };
    flashLionStep({ param, grad, expAvg, hyper });
    // m = fp32(g · fp32(1 − fp32(0.99))), then RTNE to bf16.
    const g0 = Math.fround(0.30078125 * Math.fround(1 - Math.fround(0.99)));
    const m = expAvg.kind === 'plain' ? expAvg.data : new Uint16Array(0);
    expect(Array.from(m)).toEqual(Array.from(bf16([g0, g0, -g0])));
    expect(Array.from(param.data)).toEqual(Array.from(bf16([0.9, -2.1, 0.6])));
  });
  it('fp16 param: int16 ECC accumulates updates below half an ULP that plain RTNE loses', () => {
    const run = (ecc: Int16Array | undefined) => {
      const param = { data: new Uint16Array([0x3c00]), dtype: 'float16' as const }; // 1.0
      const grad = { data: new Float32Array([1]), dtype: 'float32' as const };
      const hyper: FlashSgdHyper = {
        lr: 1e-5,
        momentum: 0,
        dampening: 0,
        weightDecay: 0,
        nesterov: false,
        decoupled: false,
        decoupleLr: false,
        initialLr: 1e-5,
      };
      for (let i = 0; i < 100; i++) flashSgdStep({ param, grad, ecc, hyper });
      return param.data;
    };
    expect(run(undefined)[0]).toBe(0x3c00); // each 1e-5 step is below half an fp16 ULP
    const ecc = new Int16Array(1);
    const data = run(ecc);
    expect(data[0]).toBe(f32ToF16Bits(0.999));
    expect(Math.abs(reconstructFp32(data, 'float16', ecc)[0] - 0.999)).toBeLessThan(5e-6);
  });
  it('quantized momentum decodes to what the update computed, up to the quantizer', () => {
    const n = 100;
    const param = { data: new Float32Array(n).fill(1), dtype: 'float32' as const };
    const grad = {
      data: new Float32Array(n).map((_, i) => Math.sin(i)),
      dtype: 'float32' as const,
    };
    const expAvg = quantizedZeros(n, true);
    const hyper = {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.5,
      weightDecay: 0,
      decoupleLr: false,
      initialLr: 0.1,
    };
    flashLionStep({ param, grad, expAvg, hyper });
    if (expAvg.kind !== 'quantized') throw new Error('unreachable');
    const m = dequantize(expAvg.codes, expAvg.scales, MOMENTUM_QUANT);
    close(
      m,
      Array.from(grad.data, (x) => 0.5 * x),
      0.5 / 127,
    );
  });
});

describe('flashAdamStep: specialised loop = generic path on hostile data', () => {
  it('bf16 + int8 ECC + quantized moments agree bit for bit over 6 steps (zeros, NaN, inf, tiny, huge)', () => {
    const n = 32 * 40 + 7;
    let seed = 7;
    const rnd = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 4294967296;
    };
    const init = new Uint16Array(n).map(() => f32ToBf16Bits((rnd() - 0.5) * 4));
    const make = () => ({
      param: { data: init.slice(), dtype: 'bfloat16' as const },
      ecc: new Int8Array(n),
      expAvg: quantizedZeros(n, true),
      expAvgSq: quantizedZeros(n, false),
    });
    const fast = make();
    const slow = make();
    const hyper: FlashAdamHyper = {
      lr: 1e-2,
      beta1: 0.9,
      beta2: 0.99,
      eps: 1e-8,
      weightDecay: 0.1,
      decoupled: true,
      decoupleLr: false,
      initialLr: 1e-2,
    };
    for (let step = 1; step <= 6; step++) {
      const g = new Float32Array(n).map((_, i) => {
        const u = rnd();
        if (i < 32 * step) return 0; // whole zero groups, growing
        if (u < 0.05) return 0;
        if (u < 0.07) return (rnd() - 0.5) * 1e-30; // tiny: subnormal moments / masters
        if (u < 0.08) return (rnd() - 0.5) * 1e6; // huge: fp16 scale overflow
        return (rnd() - 0.5) * 0.2;
      });
      if (step === 3) g[700] = Number.NaN;
      if (step === 4) g[900] = Number.POSITIVE_INFINITY;
      flashAdamStep({ ...fast, grad: { data: g, dtype: 'float32' }, step, hyper });
      const g64 = { data: Float64Array.from(g), dtype: 'float64' as const };
      flashAdamStep({ ...slow, grad: g64, step, hyper });
      const at = `step ${step}`;
      expect(Array.from(fast.param.data), at).toEqual(Array.from(slow.param.data));
      expect(Array.from(fast.ecc), at).toEqual(Array.from(slow.ecc));
      expect(codesOf(fast.expAvg), at).toEqual(codesOf(slow.expAvg));
      expect(scalesOf(fast.expAvg), at).toEqual(scalesOf(slow.expAvg));
      expect(codesOf(fast.expAvgSq), at).toEqual(codesOf(slow.expAvgSq));
      expect(scalesOf(fast.expAvgSq), at).toEqual(scalesOf(slow.expAvgSq));
    }
    // The NaN reached its group: that group's moment scale is NaN, others stay finite.
    expect(scalesOf(fast.expAvg)[Math.floor(700 / 32)]).toBe('7e00');
  });
});

describe('kernels: argument checks', () => {
  const hyper = {
    lr: 0.1,
    beta1: 0.9,
    beta2: 0.99,
    weightDecay: 0,
    decoupleLr: false,
    initialLr: 0.1,
  };
  const grad = { data: new Float32Array(4), dtype: 'float32' as const };
  it('reject ECC on an fp32 param, wrong code types, mismatched sizes and bad steps', () => {
    const f32 = { data: new Float32Array(4), dtype: 'float32' as const };
    const bfp = { data: new Uint16Array(4), dtype: 'bfloat16' as const };
    const expAvg = quantizedZeros(4, true);
    expect(() => flashLionStep({ param: f32, grad, ecc: new Int8Array(4), expAvg, hyper })).toThrow(
      /error-correction codes given for a float32 param/,
    );
    expect(() =>
      flashLionStep({ param: bfp, grad, expAvg: quantizedZeros(4, false), hyper }),
    ).toThrow(/expAvg codes are a Uint8Array, expected an Int8Array/);
    expect(() =>
      flashLionStep({
        param: bfp,
        grad: { data: new Float32Array(5), dtype: 'float32' },
        expAvg,
        hyper,
      }),
    ).toThrow(/grad has 5 elements, expected 4/);
    const adam = {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      decoupled: true,
      decoupleLr: false,
      initialLr: 1e-3,
    };
    try {
      flashAdamStep({
        param: bfp,
        grad,
        expAvg,
        expAvgSq: quantizedZeros(4, false),
        step: 0,
        hyper: adam,
      });
      expect.unreachable();
    } catch (e) {
      expect(MixprecError.isInstance(e)).toBe(true);
      expect(String(e)).toMatch(/step 0 is not a positive integer/);
    }
    expect(() =>
      flashSgdStep({
        param: bfp,
        grad,
        hyper: { ...adam, momentum: 0.9, dampening: 0, nesterov: false, decoupled: false },
      }),
    ).toThrow(/momentum is 0.9 but no momentumBuffer/);
  });
});
