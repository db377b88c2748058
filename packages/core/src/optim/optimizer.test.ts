import { describe, expect, it } from 'vitest';
import { readTestVectors } from '../__fixtures__/test-vectors.js';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { DtypeError } from '../errors/dtype-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { fromArray, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import type { Optimizer, OptimizerStateDict as SD } from './optimizer.js';
import { SGD } from './sgd.js';

interface GoldenCase {
  readonly name: string;
  readonly hyperparams: Record<string, number | boolean | number[]>;
  readonly param_init: string[];
  readonly steps: Array<{ grad: string[]; param: string[]; [state: string]: unknown }>;
}

const golden = readTestVectors<{ cases: GoldenCase[] }>('optim.json');
const byName = (name: string) => golden.cases.find((c) => c.name === name)!;

const fromHex = (hex: readonly string[]) =>
  new Float32Array(new Uint32Array(hex.map((h) => Number.parseInt(h, 16))).buffer);
const toHex = (a: Float32Array) =>
  Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (u) =>
    u.toString(16).padStart(8, '0'),
  );
const hexOf = async (t: Tensor) => toHex((await t.raw()) as Float32Array);

/** The public classes with the golden case's torch hyper-parameters. */
function build(name: string, params: Tensor[]): Optimizer {
  const h = byName(name).hyperparams;
  const [lr, eps, wd] = [h.lr, h.eps, h.weight_decay] as number[];
  const betas = h.betas as [number, number] | undefined;
  if (name.startsWith('sgd')) {
    const { momentum, dampening, nesterov } = h as { [k: string]: never };
    return new SGD(params, { lr, momentum, dampening, nesterov, weight_decay: wd });
  }
  const Ctor = name === 'adamw' ? AdamW : Adam;
  return new Ctor(params, { lr, betas, eps, weight_decay: wd });
}

const STATE: Record<string, string[]> = {
  sgd_momentum: ['momentum_buffer'],
  sgd_nesterov: ['momentum_buffer'],
  adam_l2: ['exp_avg', 'exp_avg_sq'],
  adamw: ['exp_avg', 'exp_avg_sq'],
};

/** Feeds step `t`'s gradient (a host tensor, as a fresh gradient would be) and steps. */
async function feed(opt: Optimizer, p: Tensor, c: GoldenCase, t: number): Promise<void> {
  p.grad = fromArray(fromHex(c.steps[t].grad));
  await opt.step();
  opt.zeroGrad();
}

describe('optimizers through the public classes reproduce vectors/optim.json', () => {
  it.each(Object.keys(STATE))('%s: every param and state bit for 10 steps', async (name) => {
    const backend = createReferenceBackend();
    const c = byName(name);
    const p = await fromArray(fromHex(c.param_init)).requiresGrad_().realize(backend);
    const node = p.node;
    const opt = build(name, [p]);
    for (let t = 0; t < c.steps.length; t++) {
      await feed(opt, p, c, t);
      expect(await hexOf(p), `param after step ${t + 1}`).toEqual(c.steps[t].param);
      for (const s of STATE[name])
        expect(await hexOf(opt.stateOf(p)![s]), `${s} after ${t + 1}`).toEqual(c.steps[t][s]);
    }
    // In place: the parameter keeps its node; state counts follow torch.
    expect(p.node).toBe(node);
    expect(opt.stepCount).toBe(10);
    expect(opt.paramStep(p)).toBe(10);
    expect(p.grad).toBeUndefined();
  });
});

describe('Optimizer', () => {
  it('realizes every pending gradient of a step in ONE backend run', async () => {
    const backend = createReferenceBackend();
    const ps = await Promise.all([1, 2, 3].map((n) => zeros([n]).realize(backend)));
    ps.forEach((p, i) => {
      p.grad = p.add(i + 1).mul(2);
    });
    const opt = new SGD(ps, { lr: 0.5 });
    const before = backend.stats.runs;
    await opt.step();
    expect(backend.stats.runs - before).toBe(1);
    expect(await Promise.all(ps.map(async (p) => Array.from(await p.data())))).toEqual([
      [-1],
      [-2, -2],
      [-3, -3, -3],
    ]);
  });

  it('applies group values over the defaults (different lrs per group)', async () => {
    const backend = createReferenceBackend();
    const [a, b] = await Promise.all([zeros([2]).realize(backend), zeros([2]).realize(backend)]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.25 }], { lr: 0.5, momentum: 0 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.25]);
    a.grad = fromArray([1, 1]);
    b.grad = fromArray([1, 1]);
    await opt.step();
    expect(Array.from(await a.data())).toEqual([-0.5, -0.5]);
    expect(Array.from(await b.data())).toEqual([-0.25, -0.25]);
    // Schedulers set lr between steps.
    opt.paramGroups[1].lr = 1;
    await opt.step();
    expect(Array.from(await b.data())).toEqual([-1.25, -1.25]);
  });

  it('skips parameters without a gradient and creates their state lazily', async () => {
    const backend = createReferenceBackend();
    const [a, b] = await Promise.all([zeros([2]).realize(backend), zeros([2]).realize(backend)]);
    const opt = new Adam([a, b]);
    a.grad = fromArray([1, -1]);
    await opt.step();
    expect(opt.stateOf(b)).toBeUndefined();
    expect(opt.paramStep(a)).toBe(1);
    expect(opt.stateOf(a)!.exp_avg.dtype).toBe('float32');
    expect(Object.keys(opt.stateDict().state)).toEqual(['0']);
  });

  it('keeps state in the parameter dtype (bf16 moments for a bf16 parameter)', async () => {
    const backend = createReferenceBackend();
    const p = await zeros([3], { dtype: 'bfloat16' }).realize(backend);
    const opt = new AdamW([p]);
    p.grad = fromArray([1, 2, 3], { dtype: 'bfloat16' });
    await opt.step();
    expect(opt.stateOf(p)!.exp_avg_sq.dtype).toBe('bfloat16');
  });

  it.each([
    ['adam_l2', 4],
    ['sgd_nesterov', 1],
  ])(
    '%s: a stateDict round trip after %i steps continues the identical trajectory',
    async (name, k) => {
      const backend = createReferenceBackend();
      const c = byName(name);
      const p1 = await fromArray(fromHex(c.param_init)).realize(backend);
      const opt1 = build(name, [p1]);
      for (let t = 0; t < k; t++) await feed(opt1, p1, c, t);
      const p2 = await fromArray(fromHex(c.steps[k - 1].param)).realize(backend);
      const opt2 = build(name, [p2]);
      opt2.paramGroups[0].lr = 123; // overwritten by the saved group
      await opt2.loadStateDict(opt1.stateDict());
      expect(opt2.paramGroups[0].lr).toBe(opt1.paramGroups[0].lr);
      expect(opt2.paramStep(p2)).toBe(k);
      for (let t = k; t < c.steps.length; t++) {
        // opt1 steps first: opt2 must hold its own copy of the loaded state.
        await feed(opt1, p1, c, t);
        await feed(opt2, p2, c, t);
        expect(await hexOf(p2)).toEqual(await hexOf(p1));
        expect(await hexOf(p2)).toEqual(c.steps[t].param);
      }
    },
  );

  it('stateDict has torch layout with Tensors and global parameter indices', async () => {
    const backend = createReferenceBackend();
    const [a, b, d] = await Promise.all([1, 2, 3].map((n) => zeros([n]).realize(backend)));
    const opt = new SGD([{ params: [a] }, { params: [b, d], momentum: 0.9 }], { lr: 0.1 });
    d.grad = fromArray([1, 1, 1]);
    await opt.step();
    const sd = opt.stateDict();
    expect(sd.param_groups.map((g) => g.params)).toEqual([[0], [1, 2]]);
    expect(sd.param_groups[1]).toMatchObject({ lr: 0.1, momentum: 0.9, nesterov: false });
    expect(sd.state[2].step).toBe(1);
    expect(Array.from(await (sd.state[2].momentum_buffer as Tensor).data())).toEqual([1, 1, 1]);
  });

  describe('loadStateDict rejects a mismatched dict and changes nothing', () => {
    const setup = async () => {
      const backend = createReferenceBackend();
      const [a, b] = await Promise.all([zeros([2]).realize(backend), zeros([3]).realize(backend)]);
      const opt = new Adam([a, b], { lr: 0.1 });
      a.grad = fromArray([1, 1]);
      b.grad = fromArray([1, 1, 1]);
      await opt.step();
      return { opt, sd: opt.stateDict() };
    };
    it.each([
      [
        'group count',
        (sd: SD) => ({ ...sd, param_groups: [...sd.param_groups, sd.param_groups[0]] }),
        MixprecError,
        'the state dict has 2 parameter groups; expected 1',
      ],
      [
        'param count',
        (sd: SD) => ({ ...sd, param_groups: [{ ...sd.param_groups[0], params: [0] }] }),
        MixprecError,
        'parameter group 0 has 1 parameters; expected 2',
      ],
      [
        'shape',
        (sd: SD) => ({ ...sd, state: { ...sd.state, 1: { ...sd.state[1], exp_avg: zeros([2]) } } }),
        ShapeMismatchError,
        'state[1].exp_avg has shape [2]; expected [3]',
      ],
      [
        'dtype',
        (sd: SD) => ({
          ...sd,
          state: { ...sd.state, 0: { ...sd.state[0], exp_avg: zeros([2], { dtype: 'float16' }) } },
        }),
        DtypeError,
        'state[0].exp_avg is float16; expected float32',
      ],
      [
        'missing moment',
        (sd: SD) => ({ ...sd, state: { 0: { step: 1, exp_avg: sd.state[0].exp_avg } } }),
        MixprecError,
        'state[0] lacks exp_avg_sq; expected all of exp_avg, exp_avg_sq',
      ],
      [
        'index',
        (sd: SD) => ({ ...sd, state: { 5: sd.state[0] } }),
        MixprecError,
        "state key '5'; expected a parameter index 0..1",
      ],
      [
        'not a state dict',
        (_sd: SD): unknown => null,
        MixprecError,
        'Adam.loadStateDict: got null; expected { state, param_groups }',
      ],
      [
        'invalid saved lr',
        (sd: SD) => ({ ...sd, param_groups: [{ ...sd.param_groups[0], lr: -1 }] }),
        MixprecError,
        'Adam: Invalid learning rate: -1',
      ],
    ] as const)('%s', async (_what, mutate, ErrorClass, message) => {
      const { opt, sd } = await setup();
      const load = opt.loadStateDict(mutate(sd) as SD);
      await expect(load).rejects.toThrow(ErrorClass);
      await expect(opt.loadStateDict(mutate(sd) as SD)).rejects.toThrow(message);
      expect(opt.paramGroups[0].lr).toBe(0.1);
      expect(opt.paramStep(opt.paramGroups[0].params[0])).toBe(1);
    });
  });
});
