import {
  AdamW,
  castModel,
  castStorage,
  type DType,
  enableGradientRelease,
  fromArray,
  GELU,
  Linear,
  MixprecError,
  Module,
  manualSeed,
  Parameter,
  randn,
  Sequential,
  SGD,
  setBackend,
  type Tensor,
} from '@mixprec/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  FlashAdam,
  FlashAdamW,
  FlashLion,
  FlashSGD,
  FlashSGDW,
  instantiateFlashOptimizer,
  NumericsError,
} from './index.js';

beforeAll(async () => {
  await setBackend('reference');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const quiet = { warn: () => {} };

/** A parameter holding `values` rounded to `dtype`. */
function param(
  values: ArrayLike<number>,
  dtype: DType = 'bfloat16',
  shape = [values.length],
): Parameter {
  const f32 = Float32Array.from(values);
  return new Parameter(fromArray(castStorage(f32, 'float32', dtype), { dtype, shape }));
}
const values = async (t: Tensor) => Array.from((await t.cast('float32').data()) as Float32Array);
const seeded = (n: number, seed: number, scale = 1) => {
  manualSeed(seed);
  return randn([n], { seed }).mul(scale);
};

describe('constructor validation (flashoptim order and messages)', () => {
  it.each([
    [() => new FlashAdamW([param([1])], { eps: -1 }), /Invalid epsilon value: -1/],
    [() => new FlashAdamW([param([1])], { betas: [0.9, 1.5] }), /beta parameter at index 1: 1.5/],
    [() => new FlashAdam([param([1])], { weightDecay: -0.1 }), /Invalid weight_decay value: -0.1/],
    [() => new FlashLion([param([1])], { betas: [-0.1, 0.9] }), /index 0: -0.1/],
    [() => new FlashSGD([param([1])], { nesterov: true }), /Nesterov momentum requires a momentum/],
    [
      () => new FlashSGD([param([1])], { nesterov: true, momentum: 0.9, dampening: 0.1 }),
      /zero dampening/,
    ],
    [
      () => new FlashAdamW([param([1])], { quantize: false, compressStateDict: true }),
      /compressStateDict true with quantize false/,
    ],
    [() => new FlashAdamW([param([1])], { lr: -1 }), /Invalid learning rate: -1/],
    [
      () => new FlashAdamW([param([1])], { masterWeightBits: 16 as never }),
      /masterWeightBits 16; expected 24, 32 or null/,
    ],
    [
      () => new FlashAdamW([param([1], 'float64')], quiet),
      /parameter 0 is float64; expected float32/,
    ],
  ])('%#: refuses bad settings with a message naming the value', (make, message) => {
    expect(make).toThrow(message);
  });

  it('subclass checks run before the base checks (bad eps wins over compress without quantize)', () => {
    expect(
      () => new FlashAdamW([param([1])], { eps: -1, quantize: false, compressStateDict: true }),
    ).toThrow(/epsilon/);
  });

  it('refuses master bits on an all-fp32 model unless the flashoptim env var allows it', () => {
    expect(() => new FlashAdamW([param([1], 'float32')])).toThrow(
      /masterWeightBits 24 has no effect when all parameters are float32/,
    );
    expect(() => new FlashAdamW([param([1], 'float32')], { masterWeightBits: null })).not.toThrow();
    vi.stubEnv('FLASHOPTIM_ALLOW_INEFFECTIVE_MASTER_WEIGHT_BITS', '1');
    expect(() => new FlashAdamW([param([1], 'float32')])).not.toThrow();
  });

  it('warns about pure half training without master bits', () => {
    const warnings: string[] = [];
    new FlashAdamW([param([1])], { masterWeightBits: null, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/masterWeightBits null with half-precision parameters/);
  });

  it('groups carry initial_lr (their own lr), master_bytewidth and quantize; a group may override them', () => {
    const opt = new FlashAdamW(
      [
        { params: [param([1])] },
        { params: [param([2])], lr: 0.5, quantize: false, master_bytewidth: 4 },
      ],
      { lr: 0.1 },
    );
    expect(
      opt.paramGroups.map((g) => [g.lr, g.initial_lr, g.master_bytewidth, g.quantize]),
    ).toEqual([
      [0.1, 0.1, 3, true],
      [0.5, 0.5, 4, false],
    ]);
    expect(() => new FlashAdamW([{ params: [param([1])], master_bytewidth: 2 }])).toThrow(
      /master_bytewidth 2; expected 0, 3 or 4/,
    );
  });
});

describe('state layout', () => {
  it('bf16 + 24 bits + quantized: int8/uint8 codes, fp16 scales per 32, int8 error bits', async () => {
    const p = param(Array.from({ length: 70 }, (_, i) => i / 70));
    p.grad = fromArray(new Float32Array(70).fill(0.01)).cast('bfloat16');
    const opt = new FlashAdamW([p]);
    await opt.step();
    const s = opt.stateOf(p)!;
    const layout = Object.fromEntries(
      Object.entries(s).map(([k, t]) => [k, `${t.dtype}[${t.shape.join(',')}]`]),
    );
    expect(layout).toEqual({
      'exp_avg::quantized': 'int8[70]',
      'exp_avg::scales': 'float16[3]',
      'exp_avg_sq::quantized': 'uint8[70]',
      'exp_avg_sq::scales': 'float16[3]',
      error_bits: 'int8[70]',
    });
  });

  it.each([
    ['float16', 32, false, { exp_avg: 'float16', error_bits: 'int16' }],
    ['float32', null, false, { exp_avg: 'float32' }],
    ['bfloat16', null, true, { 'exp_avg::quantized': 'int8', 'exp_avg::scales': 'float16' }],
  ] as const)('%s params, %s bits, quantize %s', async (dtype, bits, quantize, expected) => {
    const p = param([0.5, -0.25], dtype);
    p.grad = fromArray([0.1, 0.2]).cast(dtype);
    const opt = new FlashLion([p], { masterWeightBits: bits, quantize, ...quiet });
    await opt.step();
    const s = opt.stateOf(p)!;
    expect(Object.fromEntries(Object.entries(s).map(([k, t]) => [k, t.dtype]))).toEqual(expected);
  });

  it('SGD keeps a momentum buffer for every parameter once any group uses momentum', async () => {
    const [a, b] = [param([1, 2]), param([3])];
    a.grad = fromArray([1, 1]).cast('bfloat16');
    b.grad = fromArray([1]).cast('bfloat16');
    const opt = new FlashSGD([{ params: [a], momentum: 0.9 }, { params: [b] }], { lr: 0.1 });
    await opt.step();
    expect(Object.keys(opt.stateOf(b)!)).toContain('momentum_buffer::quantized');
    const plain = new FlashSGD([param([1])], { lr: 0.1 });
    expect(plain.paramGroups[0].momentum).toBe(0);
  });
});

/** The worked examples of docs/flashoptim.md through the public classes (the numerics are exact there). */
describe('docs/flashoptim.md#worked-examples trajectories through the classes', () => {
  const init = [1.0, -0.5, 0.25, 2.0];
  const grad = [0.1, -0.2, 0.3, -0.4];
  async function run(make: (p: Parameter) => { step(): Promise<unknown> }) {
    const p = param(init);
    const opt = make(p);
    const bits: string[][] = [];
    for (let s = 0; s < 2; s++) {
      p.grad = fromArray(grad);
      await opt.step();
      bits.push(Array.from((await p.raw()) as Uint16Array, (b) => `0x${b.toString(16)}`));
    }
    return { p, bits };
  }

  it('FlashAdamW(lr 1e-3, wd 0.01): param bits and reconstructed masters', async () => {
    let opt: FlashAdamW | undefined;
    const { p, bits } = await run((q) => {
      opt = new FlashAdamW([q], { lr: 1e-3 });
      return opt;
    });
    expect(bits).toEqual([
      ['0x3f80', '0xbeff', '0x3e7f', '0x4000'],
      ['0x3f7f', '0xbeff', '0x3e7e', '0x4000'],
    ]);
    expect(Array.from(await opt!.stateOf(p)!.error_bits.raw())).toEqual([122, 8, -14, 32]);
  });

  it('FlashLion(lr 1e-3) and FlashSGD(lr 1e-2, momentum 0.9): step-2 param bits', async () => {
    const lion = await run((q) => new FlashLion([q], { lr: 1e-3 }));
    expect(lion.bits[1]).toEqual(['0x3f7f', '0xbeff', '0x3e7e', '0x4000']);
    const sgd = await run((q) => new FlashSGD([q], { lr: 1e-2, momentum: 0.9 }));
    expect(sgd.bits[1]).toEqual(['0x3f7f', '0xbefd', '0x3e77', '0x4001']);
  });
});

describe('training behaviour (flashoptim test_optimizers)', () => {
  const configs = [
    ['FlashAdamW bf16/24/q', (p: Parameter[]) => new FlashAdamW(p, { lr: 1e-2 }), 'bfloat16'],
    [
      'FlashAdam fp16/32/q',
      (p: Parameter[]) => new FlashAdam(p, { lr: 1e-2, masterWeightBits: 32 }),
      'float16',
    ],
    [
      'FlashLion bf16/24/q',
      (p: Parameter[]) => new FlashLion(p, { lr: 1e-2, betas: [0.5, 0.75] }),
      'bfloat16',
    ],
    [
      'FlashSGD bf16/24 momentum',
      (p: Parameter[]) => new FlashSGD(p, { lr: 1e-2, momentum: 0.9 }),
      'bfloat16',
    ],
    [
      'FlashSGDW fp32/none nesterov',
      (p: Parameter[]) =>
        new FlashSGDW(p, {
          lr: 1e-2,
          momentum: 0.9,
          nesterov: true,
          masterWeightBits: null,
          weightDecay: 0.1,
        }),
      'float32',
    ],
    [
      'FlashAdamW fp32/none unquantized',
      (p: Parameter[]) => new FlashAdamW(p, { lr: 1e-2, masterWeightBits: null, quantize: false }),
      'float32',
    ],
  ] as const;

  it.each(configs)(
    '%s: mean((XW − Z)²) decreases at every one of 10 steps',
    async (_, make, dtype) => {
      manualSeed(3);
      const x = randn([32, 16], { seed: 1 });
      const z = randn([32, 8], { seed: 2 });
      const w = param(await values(randn([16, 8], { seed: 4 }).mul(0.3)), dtype, [16, 8]);
      const opt = make([w]);
      const losses: number[] = [];
      for (let s = 0; s < 10; s++) {
        opt.zeroGrad();
        const loss = x.matmul(w.cast('float32')).sub(z).pow(2).mean();
        loss.backward();
        losses.push(await loss.item());
        await opt.step();
      }
      for (let s = 1; s < losses.length; s++) expect(losses[s]).toBeLessThan(losses[s - 1]);
    },
  );

  it('zero gradients: moments stay exactly zero; without decay W is unchanged, with decay no |w| grows', async () => {
    for (const wd of [0, 0.1]) {
      const init = await values(seeded(40, 5).abs());
      const w = param(init);
      const opt = new FlashAdamW([w], { weightDecay: wd });
      for (let s = 0; s < 5; s++) {
        w.grad = fromArray(new Float32Array(40)).cast('bfloat16');
        await opt.step();
      }
      const state = opt.stateOf(w)!;
      expect(Array.from(await state['exp_avg::quantized'].raw()).every((c) => c === 0)).toBe(true);
      expect(Array.from(await state['exp_avg_sq::scales'].raw()).every((c) => c === 0)).toBe(true);
      const after = await values(w);
      const before = Array.from(
        castStorage(Float32Array.from(init), 'float32', 'bfloat16'),
        (b) => b,
      );
      if (wd === 0) expect(Array.from((await w.raw()) as Uint16Array)).toEqual(before);
      else
        after.forEach((v, i) => {
          expect(Math.abs(v)).toBeLessThanOrEqual(Math.abs(init[i]) + 1e-2);
        });
    }
  });

  /** Ten steps of the same random gradients; final parameters within rtol 1e-5, atol 1e-7. */
  async function expectSameTrajectory(
    n: number,
    seed: number,
    makeFlash: (p: Parameter[]) => { step(): Promise<unknown> },
    makeTorch: (p: Parameter[]) => { step(): Promise<unknown> },
  ) {
    const init = await values(seeded(n, seed));
    const [a, b] = [param(init, 'float32'), param(init, 'float32')];
    const [flash, plain] = [makeFlash([a]), makeTorch([b])];
    for (let s = 0; s < 10; s++) {
      const g = seeded(n, 100 * seed + s);
      a.grad = g;
      b.grad = g;
      await flash.step();
      await plain.step();
    }
    const [va, vb] = [await values(a), await values(b)];
    va.forEach((v, i) => {
      expect(Math.abs(v - vb[i])).toBeLessThanOrEqual(1e-7 + 1e-5 * Math.abs(vb[i]));
    });
  }

  it('FlashAdamW fp32 unquantized without master bits matches torch-semantics AdamW', async () => {
    await expectSameTrajectory(
      64,
      9,
      (p) =>
        new FlashAdamW(p, { lr: 1e-2, weightDecay: 0.1, quantize: false, masterWeightBits: null }),
      (p) => new AdamW(p, { lr: 1e-2, weight_decay: 0.1 }),
    );
  });

  it('FlashSGD fp32 without master bits matches torch SGD (momentum 0.9, dampening 0)', async () => {
    await expectSameTrajectory(
      32,
      11,
      (p) => new FlashSGD(p, { lr: 1e-2, momentum: 0.9, masterWeightBits: null, quantize: false }),
      (p) => new SGD(p, { lr: 1e-2, momentum: 0.9 }),
    );
  });

  it('error correction increases precision: 32-bit < 24-bit < none (mean |Δθ − Δθ_fp32|)', async () => {
    const init = await values(seeded(256, 21));
    const grads = Array.from({ length: 30 }, (_, s) => seeded(256, 300 + s, 0.05));
    const ref = param(init, 'float32');
    const refOpt = new FlashAdamW([ref], { lr: 1e-3, masterWeightBits: null, ...quiet });
    for (const g of grads) {
      ref.grad = g;
      await refOpt.step();
    }
    const refDelta = (await values(ref)).map((v, i) => v - init[i]);
    const errorOf = async (bits: 24 | 32 | null) => {
      const p = param(init);
      const opt = new FlashAdamW([p], { lr: 1e-3, masterWeightBits: bits, ...quiet });
      for (const g of grads) {
        p.grad = g;
        await opt.step();
      }
      const v = bits === null ? await values(p) : await reconstructed(opt, p);
      return v.reduce((acc, x, i) => acc + Math.abs(x - init[i] - refDelta[i]), 0) / v.length;
    };
    const [none, e24, e32] = [await errorOf(null), await errorOf(24), await errorOf(32)];
    expect(e24).toBeLessThan(none);
    expect(e32).toBeLessThan(none);
    expect(e32).toBeLessThan(e24 + 1e-5);
  });

  it('multi param groups: the 0.1 group moves more than the 0.001 group', async () => {
    const ones = new Array(32).fill(1);
    const [a, b] = [param(ones, 'float32'), param(ones, 'float32')];
    const opt = new FlashLion(
      [
        { params: [a], lr: 0.1 },
        { params: [b], lr: 0.001 },
      ],
      { masterWeightBits: null },
    );
    a.grad = fromArray(new Float32Array(32).fill(1));
    b.grad = fromArray(new Float32Array(32).fill(1));
    await opt.step();
    const [da, db] = [(await values(a))[0] - 1, (await values(b))[0] - 1];
    expect(da).toBeLessThan(0);
    expect(db).toBeLessThan(0);
    expect(Math.abs(da)).toBeGreaterThan(Math.abs(db));
  });
});

/** The master weights of `p` from its error bits (through the public fp32 export). */
async function reconstructed(opt: FlashAdamW, p: Parameter): Promise<number[]> {
  const sd = await opt.getFp32ModelStateDict(new Holder(p));
  return values(sd.weight);
}

/** A module holding one parameter named `weight`. */
class Holder extends Module {
  constructor(readonly weight: Parameter) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return x;
  }
}

describe('checkNumerics (docs/flashoptim.md#numerics-check)', () => {
  it.each([
    ['bfloat16', 24, 1, 1e-1, false],
    ['bfloat16', 24, 1, 1e-7, true],
    ['bfloat16', null, 1, 1e-3, true],
    ['bfloat16', null, 0.01, 1e-3, false],
    ['float16', 32, 100, 1e-7, true],
    ['float32', null, 1, 1e-7, true],
    ['float32', null, 1, 1e-3, false],
  ] as const)(
    'FlashLion %s/%s, weights in {−%s, 0}, lr %s → NumericsError %s',
    async (dtype, bits, a, lr, raises) => {
      const p = param(
        Array.from({ length: 64 }, (_, i) => (i % 2 ? -a : 0)),
        dtype,
      );
      p.grad = fromArray(new Float32Array(64).fill(1));
      const opt = new FlashLion([p], { lr, masterWeightBits: bits, checkNumerics: true, ...quiet });
      const before = Array.from(await p.raw());
      const result = opt.step();
      if (raises) {
        await expect(result).rejects.toThrow(NumericsError);
        expect(Array.from(await p.raw())).toEqual(before); // checked before any update
      } else await expect(result).resolves.toBeUndefined();
    },
  );

  it('the error says what to do; recomputeParamStats re-measures shrunk weights', async () => {
    const p = param(new Array(32).fill(1));
    p.grad = fromArray(new Float32Array(32).fill(1));
    const opt = new FlashLion([p], { lr: 1e-5, checkNumerics: true });
    const error = await opt.step().catch((e: unknown) => e);
    expect(NumericsError.isInstance(error)).toBe(true);
    expect(MixprecError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /FlashLion: parameter 0 \(bfloat16, 24-bit master weights\) has max \|value\| 1; lr 0.00001 .*Expected lr >= .*recomputeParamStats/,
    );
    p.assign(fromArray(new Float32Array(32).fill(1e-3)).cast('bfloat16'));
    await expect(opt.step()).rejects.toThrow(NumericsError);
    await opt.recomputeParamStats();
    await expect(opt.step()).resolves.toBeUndefined();
  });
});

describe('config targets', () => {
  it.each([
    ['flashoptim.FlashAdamW', FlashAdamW],
    ['flashoptim.optimizers.FlashLion', FlashLion],
    ['flash_adam_w', FlashAdamW],
    ['flash_sgd_w', FlashSGDW],
    ['flash_adam', FlashAdam],
    ['@mixprec/optim-flash.FlashSGD', FlashSGD],
  ])('%s → %s', (target, cls) => {
    expect(instantiateFlashOptimizer({ _target_: target }, [param([1])])).toBeInstanceOf(cls);
  });

  it('maps snake_case arguments and refuses unknown targets and arguments', () => {
    const opt = instantiateFlashOptimizer(
      {
        _target_: 'flashoptim.FlashAdamW',
        lr: 3e-4,
        weight_decay: 0.1,
        master_weight_bits: 32,
        compress_state_dict: true,
        fused: true,
      },
      [param([1])],
    ) as FlashAdamW;
    expect([
      opt.paramGroups[0].lr,
      opt.paramGroups[0].weight_decay,
      opt.masterWeightBits,
      opt.compressStateDict,
    ]).toEqual([3e-4, 0.1, 32, true]);
    expect(() =>
      instantiateFlashOptimizer({ _target_: 'torch.optim.AdamW' }, [param([1])]),
    ).toThrow(
      /unknown optimizer _target_ "torch.optim.AdamW"; expected one of flashoptim.FlashAdam,/,
    );
    expect(() =>
      instantiateFlashOptimizer({ _target_: 'flashoptim.FlashAdamW', amsgrad: true }, [param([1])]),
    ).toThrow(/unknown argument 'amsgrad'/);
    expect(() =>
      instantiateFlashOptimizer({ _target_: 'flashoptim.FlashAdamW', fused: false }, [param([1])]),
    ).toThrow(/fused false; expected true/);
  });
});

describe('gradient release with a flash optimizer', () => {
  it('FlashAdamW bf16/24: released updates equal a manual step(), bit for bit, and no grad is kept', async () => {
    const build = () => {
      manualSeed(5);
      const model = castModel(new Sequential(new Linear(8, 16), new GELU(), new Linear(16, 4)), {
        dtype: 'bfloat16',
      });
      return { model, opt: new FlashAdamW(model.parameters(), { lr: 1e-2 }) };
    };
    const x = randn([6, 8], { seed: 9 }).cast('bfloat16');
    const lossOf = (m: Module) => (m.forward(x) as Tensor).cast('float32').pow(2).mean();
    const manual = build();
    const released = build();
    const handle = enableGradientRelease(released.model, released.opt);
    for (let s = 0; s < 3; s++) {
      manual.opt.zeroGrad();
      const a = lossOf(manual.model);
      a.backward();
      const before = await a.item(); // read before step() updates the weights it depends on
      await manual.opt.step();
      const b = lossOf(released.model);
      b.backward();
      await handle.realize([b]);
      expect(await b.item()).toBe(before);
    }
    for (const [i, p] of released.model.parameters().entries()) {
      const q = manual.model.parameters()[i];
      expect(Array.from(await p.raw())).toEqual(Array.from(await q.raw()));
      expect(Array.from(await released.opt.stateOf(p)!.error_bits.raw())).toEqual(
        Array.from(await manual.opt.stateOf(q)!.error_bits.raw()),
      );
      expect(p.grad).toBeUndefined();
    }
    handle.remove();
  });
});

describe('checkNumerics under gradient release', () => {
  it('each released update is checked first (NumericsError from inside the run)', async () => {
    const w = param(new Array(32).fill(1));
    class One extends Module {
      readonly weight = w;
      override forward(x: Tensor): Tensor {
        return x.mul(this.weight.cast('float32'));
      }
    }
    const model = new One();
    const opt = new FlashLion(model.parameters(), { lr: 1e-7, checkNumerics: true });
    const handle = enableGradientRelease(model, opt);
    const loss = (model.forward(fromArray(new Float32Array(32).fill(1))) as Tensor).sum();
    loss.backward();
    await expect(handle.realize([loss])).rejects.toThrow(NumericsError);
    handle.remove();
  });
});
