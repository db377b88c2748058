import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdamW,
  castModel,
  castStorage,
  createReferenceBackend,
  crossEntropy,
  type DType,
  dequantize,
  fromArray,
  GELU,
  Linear,
  loadTrainerCheckpoint,
  MOMENTUM_QUANT,
  type Module,
  manualSeed,
  Parameter,
  randn,
  Sequential,
  saveTrainerCheckpoint,
  setBackend,
  type Tensor,
  Trainer,
} from '@mixprec/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlashAdamW, FlashLion, FlashSGD } from './index.js';

beforeAll(async () => {
  await setBackend('reference');
});
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function param(values: ArrayLike<number>, dtype: DType, shape = [values.length]): Parameter {
  return new Parameter(
    fromArray(castStorage(Float32Array.from(values), 'float32', dtype), { dtype, shape }),
  );
}
const raw = async (t: Tensor) => Array.from(await t.raw());
const f32 = async (t: Tensor) => Array.from((await t.cast('float32').data()) as Float32Array);
const gaussian = async (n: number, seed: number, scale = 1) => {
  manualSeed(seed);
  return f32(randn([n], { seed }).mul(scale));
};

/** Two parameters (70 and 33 elements), three steps of fixed pseudo-random gradients. */
async function trained(
  make: (ps: Parameter[]) => FlashAdamW | FlashLion | FlashSGD,
  dtype: DType = 'bfloat16',
) {
  const ps = [param(await gaussian(70, 1), dtype), param(await gaussian(33, 2), dtype)];
  const opt = make(ps);
  for (let s = 0; s < 3; s++) {
    for (const [i, p] of ps.entries()) p.grad = fromArray(await gaussian(p.size, 10 * s + i, 0.1));
    await opt.step();
  }
  return { ps, opt };
}

describe('stateDict formats (docs/flashoptim.md#state-dicts)', () => {
  it('compressed: codes, scales and error bits as stored; groups carry the flash keys', async () => {
    const { opt } = await trained((ps) => new FlashAdamW(ps, { compressStateDict: true }));
    const sd = opt.stateDict();
    const entry = sd.state[0] as Record<string, Tensor | number>;
    const kinds = Object.fromEntries(
      Object.entries(entry).map(([k, v]) => [
        k,
        typeof v === 'number' ? v : `${v.dtype}[${v.shape}]`,
      ]),
    );
    expect(kinds).toEqual({
      step: 3,
      'exp_avg::quantized': 'int8[70]',
      'exp_avg::scales': 'float16[3]',
      'exp_avg_sq::quantized': 'uint8[70]',
      'exp_avg_sq::scales': 'float16[3]',
      error_bits: 'int8[70]',
    });
    expect(sd.param_groups[0]).toMatchObject({
      lr: 1e-3,
      initial_lr: 1e-3,
      master_bytewidth: 3,
      quantize: true,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0.01,
      params: [0, 1],
    });
  });

  it('uncompressed: each moment as bf16, equal to the dequantized codes rounded to bf16', async () => {
    const { ps, opt } = await trained((ps) => new FlashLion(ps));
    const entry = opt.stateDict().state[1] as Record<string, Tensor>;
    expect(Object.keys(entry).sort()).toEqual(['error_bits', 'exp_avg', 'step']);
    expect(entry.exp_avg.dtype).toBe('bfloat16');
    const live = opt.stateOf(ps[1])!;
    const expected = dequantize(
      (await live['exp_avg::quantized'].raw()) as Int8Array,
      (await live['exp_avg::scales'].raw()) as Uint16Array,
      MOMENTUM_QUANT,
    );
    expect(await raw(entry.exp_avg)).toEqual(
      Array.from(castStorage(expected, 'float32', 'bfloat16')),
    );
  });

  it.each([true, false])(
    'round trip into a fresh optimizer (compressed %s) continues identically',
    async (compressStateDict) => {
      const make = (ps: Parameter[]) => new FlashAdamW(ps, { compressStateDict, lr: 1e-2 });
      const a = await trained(make);
      const b = await trained(make); // same params, then scrambled state below
      const fresh = make(b.ps);
      await fresh.loadStateDict(a.opt.stateDict());
      for (const [i, p] of a.ps.entries()) {
        const [sa, sb] = [a.opt.stateOf(p)!, fresh.stateOf(b.ps[i])];
        // Before the next step the loaded state is host data; compare values.
        expect(sb).toBeDefined();
        expect(await raw(sb!.error_bits)).toEqual(await raw(sa.error_bits));
        if (compressStateDict)
          expect(await raw(sb!['exp_avg::quantized'])).toEqual(await raw(sa['exp_avg::quantized']));
      }
      for (const [i, p] of a.ps.entries()) {
        const g = fromArray(await gaussian(p.size, 99 + i, 0.1));
        p.grad = g;
        b.ps[i].grad = g;
      }
      await a.opt.step();
      await fresh.step();
      for (const [i, p] of a.ps.entries()) {
        const [va, vb] = [await f32(p), await f32(b.ps[i])];
        if (compressStateDict) expect(vb).toEqual(va);
        else
          va.forEach((v, j) => {
            expect(Math.abs(v - vb[j])).toBeLessThan(2e-2 * Math.abs(v) + 1e-3);
          });
        expect(vb.every(Number.isFinite)).toBe(true);
      }
    },
  );

  it('loads a vanilla AdamW state dict (moments quantized on load, zero corrections)', async () => {
    const init = await gaussian(64, 5);
    const vanillaParam = param(init, 'float32');
    const vanilla = new AdamW([vanillaParam], { lr: 0.1 });
    vanillaParam.grad = fromArray(await gaussian(64, 6));
    await vanilla.step();
    const target = param(init, 'bfloat16');
    const flash = new FlashAdamW([target], { lr: 0.1 });
    await flash.loadStateDict(vanilla.stateDict());
    target.grad = fromArray(new Float32Array(64));
    await flash.step(); // places and uses the loaded state
    const live = flash.stateOf(target)!;
    const m = dequantize(
      (await live['exp_avg::quantized'].raw()) as Int8Array,
      (await live['exp_avg::scales'].raw()) as Uint16Array,
      MOMENTUM_QUANT,
    );
    const ref = (await f32(vanilla.stateOf(vanillaParam)!.exp_avg)).map((v) => v * 0.9);
    const dot = ref.reduce((acc, v, i) => acc + v * m[i], 0);
    const norm = Math.hypot(...ref) * Math.hypot(...m);
    expect(dot / norm).toBeGreaterThan(0.99);
  });

  it("accepts flashoptim's 2-byte error bits (int8 by value, int16 bit-cast) and refuses a wrong width", async () => {
    for (const bits of [24, 32] as const) {
      const { ps, opt } = await trained(
        (ps) => new FlashSGD(ps, { momentum: 0.9, masterWeightBits: bits }),
      );
      const sd = opt.stateDict();
      const ecc = (sd.state[0] as Record<string, Tensor>).error_bits;
      const values = await raw(ecc);
      const twoByte =
        bits === 24
          ? ecc.cast('bfloat16')
          : fromArray(new Uint16Array(new Int16Array(values).buffer), {
              dtype: 'bfloat16',
              shape: ecc.shape,
            });
      const patched = { ...sd, state: { ...sd.state, 0: { ...sd.state[0], error_bits: twoByte } } };
      const fresh = new FlashSGD(ps, { momentum: 0.9, masterWeightBits: bits });
      await fresh.loadStateDict(patched);
      ps[0].grad = fromArray(new Float32Array(70));
      await fresh.step();
      expect(fresh.stateOf(ps[0])!.error_bits.dtype).toBe(bits === 24 ? 'int8' : 'int16');
      const wrong = {
        ...sd,
        state: { ...sd.state, 0: { ...sd.state[0], error_bits: fromArray(new Float32Array(70)) } },
      };
      await expect(
        new FlashSGD(ps, { momentum: 0.9, masterWeightBits: bits }).loadStateDict(wrong),
      ).rejects.toThrow(/error_bits is float32; expected int/);
    }
  });
});

describe('fp32 model state dict (docs/flashoptim.md#fp32-model-state-dict)', () => {
  class Two extends Sequential {}

  it.each([
    ['bfloat16', 24],
    ['bfloat16', 32],
    ['float16', 24],
    ['float16', 32],
  ] as const)('%s/%s: export, overwrite, import, export again is exact', async (dtype, bits) => {
    manualSeed(4);
    const model = castModel(new Two(new Linear(32, 32), new Linear(32, 32)), { dtype });
    const opt = new FlashAdamW(model.parameters(), { lr: 1e-2, masterWeightBits: bits });
    for (let s = 0; s < 3; s++) {
      for (const p of model.parameters())
        p.grad = fromArray(await gaussian(p.size, 40 + s, 0.1), { shape: p.shape });
      await opt.step();
    }
    const first = await opt.getFp32ModelStateDict(model);
    expect(Object.values(first).every((t) => t.dtype === 'float32')).toBe(true);
    // The masters differ from the half weights (the correction is really used).
    const w = model.parameters()[0];
    expect(await f32(first['0.weight'])).not.toEqual(await f32(w));
    const constant = Object.fromEntries(
      Object.entries(first).map(([k, t]) => [
        k,
        fromArray(new Float32Array(t.size).fill(0.123), { shape: t.shape }),
      ]),
    );
    await opt.setFp32ModelStateDict(model, constant);
    expect((await f32(w))[0]).toBeCloseTo(0.123, 2);
    await opt.setFp32ModelStateDict(model, first);
    const again = await opt.getFp32ModelStateDict(model);
    for (const k of Object.keys(first)) expect(await f32(again[k]), k).toEqual(await f32(first[k]));
  });

  it('before the first step, imported fp32 weights keep their low bits (flashoptim drops them)', async () => {
    const model = castModel(new Two(new Linear(8, 8)), { dtype: 'bfloat16' });
    const opt = new FlashAdamW(model.parameters(), { masterWeightBits: 32 });
    const target = Object.fromEntries(
      await Promise.all(
        model
          .namedParameters()
          .map(
            async ([n, p], i) =>
              [n, fromArray(await gaussian(p.size, 60 + i), { shape: p.shape })] as const,
          ),
      ),
    );
    await opt.setFp32ModelStateDict(model, target);
    const back = await opt.getFp32ModelStateDict(model);
    for (const [n, t] of Object.entries(target)) {
      const [a, b] = [await f32(t), await f32(back[n])];
      a.forEach((v, i) => {
        expect(Math.abs(b[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -20);
      });
    }
  });

  it('refuses a non-fp32 value, naming it', async () => {
    const model = castModel(new Two(new Linear(2, 2)), { dtype: 'bfloat16' });
    const opt = new FlashAdamW(model.parameters());
    await expect(
      opt.setFp32ModelStateDict(model, {
        '0.weight': fromArray([1, 2, 3, 4], { shape: [2, 2] }).cast('bfloat16'),
      }),
    ).rejects.toThrow(/'0.weight' is bfloat16; expected a float32 Tensor/);
  });
});

describe('Trainer checkpoints', () => {
  function makeRun(): { model: Module; optimizer: FlashAdamW } {
    manualSeed(7);
    const model = castModel(new Sequential(new Linear(8, 16), new GELU(), new Linear(16, 3)), {
      dtype: 'bfloat16',
    });
    return {
      model,
      optimizer: new FlashAdamW(model.parameters(), { lr: 1e-2, compressStateDict: true }),
    };
  }
  /** Host arrays of 3 epochs × 4 batches; tensors are made fresh for every trainer. */
  const host = async () => {
    const epochs: { x: number[]; y: Int32Array }[][] = [];
    for (let e = 0; e < 3; e++) {
      const batches = [];
      for (let b = 0; b < 4; b++)
        batches.push({
          x: await gaussian(64, 1000 * e + b),
          y: Int32Array.from({ length: 8 }, (_, i) => (i + b + e) % 3),
        });
      epochs.push(batches);
    }
    return (e: number) =>
      epochs[e % 3].map(({ x, y }) => ({
        x: fromArray(x, { shape: [8, 8] }).cast('bfloat16'),
        y: fromArray(y),
      }));
  };
  const step = (model: Module, batch: { x: Tensor; y: Tensor }) => ({
    loss: crossEntropy(model.forward(batch.x) as Tensor, batch.y),
    count: 8,
  });

  it('resumes bit for bit with a compressed flash state (N straight = N/2 + checkpoint + N/2)', async () => {
    const trainData = await host();
    const straight = makeRun();
    await new Trainer({ backend: createReferenceBackend(), maxSteps: 8 }).fit({
      ...straight,
      step,
      trainData,
    });
    const dir = mkdtempSync(join(tmpdir(), 'mixprec-flash-resume-'));
    dirs.push(dir);
    const first = makeRun();
    const t2 = new Trainer({ backend: createReferenceBackend(), maxSteps: 4 });
    await t2.fit({ ...first, step, trainData });
    await saveTrainerCheckpoint(dir, { trainer: t2, ...first });
    const resumed = makeRun();
    const t3 = new Trainer({ backend: createReferenceBackend(), maxSteps: 8 });
    await loadTrainerCheckpoint(dir, { trainer: t3, ...resumed });
    await t3.fit({ ...resumed, step, trainData });
    const [a, b] = [straight.model.stateDict(), resumed.model.stateDict()];
    for (const name of Object.keys(a)) expect(await raw(b[name]), name).toEqual(await raw(a[name]));
    const [ea, eb] = [
      straight.optimizer.stateOf(straight.model.parameters()[0])!,
      resumed.optimizer.stateOf(resumed.model.parameters()[0])!,
    ];
    expect(await raw(eb.error_bits)).toEqual(await raw(ea.error_bits));
  });
});
