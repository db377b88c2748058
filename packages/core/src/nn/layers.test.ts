import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../backend/default-registry.js';
import { fromArray, randn } from '../tensor/creation.js';
import { manualSeed } from '../util/random.js';
import { expectClose, values } from './__fixtures__/expect-close.js';
import { GELU, ReLU, SiLU } from './activations.js';
import { Conv1d } from './conv1d.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { Flatten } from './flatten.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { Sequential } from './sequential.js';

beforeAll(async () => {
  await setBackend('reference');
  manualSeed(2024);
});

describe('Linear', () => {
  it.each([true, false])(
    'x @ Wᵀ + b over the last axis matches an f64 loop (bias %s)',
    async (bias) => {
      const lin = new Linear(4, 3, { bias });
      const x = randn([2, 5, 4], { seed: 1 });
      const [xv, w, b] = [
        await values(x),
        await values(lin.weight),
        bias ? await values(lin.bias!) : [],
      ];
      const expected: number[] = [];
      for (let r = 0; r < 10; r++) {
        for (let o = 0; o < 3; o++) {
          let acc = bias ? b[o] : 0;
          for (let i = 0; i < 4; i++) acc += xv[r * 4 + i] * w[o * 4 + i];
          expected.push(acc);
        }
      }
      const y = lin.forward(x);
      expect(y.shape).toEqual([2, 5, 3]);
      expectClose(await values(y), expected);
      expect(lin.weight.shape).toEqual([3, 4]);
    },
  );

  it('initial values lie within ±1/√in', async () => {
    const lin = new Linear(16, 8);
    const all = [...(await values(lin.weight)), ...(await values(lin.bias!))];
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.2);
  });
});

/** f64 reference: out[b][o][t] = bias[o] + Σ_c Σ_k W[o][c][k] · x[b][c][t·s + k·d - p] (0 outside). */
function conv1dRef(
  x: number[],
  w: number[],
  bias: number[] | undefined,
  [B, C, T]: number[],
  [O, K]: number[],
  s: number,
  p: number,
  d: number,
): { out: number[]; tOut: number } {
  const tOut = Math.floor((T + 2 * p - d * (K - 1) - 1) / s) + 1;
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      for (let t = 0; t < tOut; t++) {
        let acc = bias ? bias[o] : 0;
        for (let c = 0; c < C; c++) {
          for (let k = 0; k < K; k++) {
            const pos = t * s + k * d - p;
            if (pos >= 0 && pos < T) acc += w[(o * C + c) * K + k] * x[(b * C + c) * T + pos];
          }
        }
        out.push(acc);
      }
    }
  }
  return { out, tOut };
}

describe('Conv1d', () => {
  it.each([
    { kernel: 3, stride: 1, padding: 0, dilation: 1, bias: true },
    { kernel: 3, stride: 2, padding: 1, dilation: 1, bias: true },
    { kernel: 3, stride: 1, padding: 2, dilation: 2, bias: false },
    { kernel: 2, stride: 3, padding: 1, dilation: 3, bias: true },
    { kernel: 1, stride: 1, padding: 0, dilation: 1, bias: true },
  ])('matches an f64 loop for %o', async ({ kernel, stride, padding, dilation, bias }) => {
    const conv = new Conv1d(3, 4, kernel, { stride, padding, dilation, bias });
    const x = randn([2, 3, 11], { seed: 5 });
    const ref = conv1dRef(
      await values(x),
      await values(conv.weight),
      bias ? await values(conv.bias!) : undefined,
      [2, 3, 11],
      [4, kernel],
      stride,
      padding,
      dilation,
    );
    const y = conv.forward(x);
    expect(y.shape).toEqual([2, 4, ref.tOut]);
    expect(conv.outputLength(11)).toBe(ref.tOut);
    expectClose(await values(y), ref.out);
  });

  it('initializes from U(±1/√(inC·K)) and rejects bad input shapes', async () => {
    const conv = new Conv1d(2, 5, 8);
    expect(conv.weight.shape).toEqual([5, 2, 8]);
    const w = await values(conv.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(() => conv.forward(randn([1, 3, 9], { seed: 0 }))).toThrow(
      "Conv1d.forward: argument 'x' has shape [1,3,9]; expected [B, 2, T]",
    );
    expect(() => conv.forward(randn([1, 2, 4], { seed: 0 }))).toThrow(
      /shorter than the dilated kernel/,
    );
    expect(() => new Conv1d(2, 2, 3, { stride: 0 })).toThrow(/Passed `Conv1d\(2, 2, 3/);
  });
});

describe('LayerNorm', () => {
  it('normalizes over trailing dims with the biased variance, then scales and shifts', async () => {
    const ln = new LayerNorm([3, 4], { eps: 1e-3 });
    const g = Array.from({ length: 12 }, (_v, i) => 0.5 + i / 10);
    const h = Array.from({ length: 12 }, (_v, i) => i / 7 - 1);
    ln.weight!.assign(fromArray(g, { shape: [3, 4] }));
    ln.bias!.assign(fromArray(h, { shape: [3, 4] }));
    const x = randn([2, 3, 4], { seed: 9 }).mul(3).add(1);
    const xv = await values(x);
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = xv.slice(r * 12, r * 12 + 12);
      const mean = row.reduce((a, v) => a + v, 0) / 12;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / 12;
      for (const [i, v] of row.entries()) {
        expected.push(((v - mean) / Math.sqrt(variance + 1e-3)) * g[i] + h[i]);
      }
    }
    expectClose(await values(ln.forward(x)), expected, 1e-5);
  });

  it('defaults: ones and zeros; without affine there are no parameters', async () => {
    const ln = new LayerNorm(4);
    expect(await values(ln.weight!)).toEqual([1, 1, 1, 1]);
    expect(await values(ln.bias!)).toEqual([0, 0, 0, 0]);
    expect(new LayerNorm(4, { elementwiseAffine: false }).numParameters()).toBe(0);
    expect(() => ln.forward(randn([2, 3], { seed: 0 }))).toThrow(/expected trailing dims \[4\]/);
  });
});

describe('Embedding', () => {
  it('looks rows up by index, for any index shape', async () => {
    const emb = new Embedding(6, 3);
    const w = await values(emb.weight);
    const ids = [
      [5, 0, 2],
      [2, 2, 1],
    ];
    const y = emb.forward(fromArray(new Int32Array(ids.flat()), { shape: [2, 3] }));
    expect(y.shape).toEqual([2, 3, 3]);
    expect(await values(y)).toEqual(ids.flat().flatMap((i) => w.slice(i * 3, i * 3 + 3)));
  });

  it('initializes from N(0, 1)', async () => {
    const w = await values(new Embedding(100, 50).weight);
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const variance = w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.08);
  });
});

describe('Dropout', () => {
  const x = randn([64, 32], { seed: 3 });

  it('is deterministic per seed, fresh per call, and scales kept values by 1/(1-p)', async () => {
    const xv = await values(x);
    const a1 = await values(new Dropout(0.25, { seed: 7 }).forward(x));
    const a2 = await values(new Dropout(0.25, { seed: 7 }).forward(x));
    const b = await values(new Dropout(0.25, { seed: 8 }).forward(x));
    expect(a1).toEqual(a2);
    expect(b).not.toEqual(a1);
    let dropped = 0;
    a1.forEach((v, i) => {
      if (v === 0) dropped++;
      else expect(v).toBeCloseTo(xv[i] / 0.75, 5);
    });
    expect(dropped / a1.length).toBeGreaterThan(0.2);
    expect(dropped / a1.length).toBeLessThan(0.3);
    const d = new Dropout(0.25, { seed: 7 });
    const first = await values(d.forward(x));
    expect(await values(d.forward(x))).not.toEqual(first);
  });

  it('getState/setState replays the mask stream', async () => {
    const d = new Dropout(0.5, { seed: 1 });
    d.forward(x);
    const state = d.getState();
    const next = await values(d.forward(x));
    d.setState(state);
    expect(await values(d.forward(x))).toEqual(next);
  });

  it('is the identity in eval mode and rejects p outside [0, 1]', () => {
    const d = new Dropout(0.9).eval();
    expect(d.forward(x)).toBe(x);
    expect(() => new Dropout(1.5)).toThrow(
      'Passed `Dropout(1.5)`; expected a probability 0 <= p <= 1',
    );
  });
});

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(v: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(v));
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(v) * (1 - poly * Math.exp(-v * v));
}

describe('activations and containers', () => {
  const xs = [-3, -1.5, -0.2, 0, 0.3, 1, 2.5];
  const x = fromArray(xs);
  it.each([
    ['ReLU', new ReLU(), (v: number) => Math.max(v, 0)],
    ['SiLU', new SiLU(), (v: number) => v / (1 + Math.exp(-v))],
    ['GELU', new GELU(), (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
    [
      'GELU tanh',
      new GELU({ approximate: 'tanh' }),
      (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    ],
  ] as const)('%s matches its formula', async (_name, layer, f) => {
    expectClose(await values(layer.forward(x)), xs.map(f), 1e-6);
  });

  it('Sequential feeds modules in order; Flatten merges trailing dims', async () => {
    const l1 = new Linear(3, 2);
    const seq = new Sequential(l1, new ReLU(), new Flatten(0));
    expect(seq.length).toBe(3);
    expect(seq.at(0)).toBe(l1);
    expect([...seq]).toHaveLength(3);
    const input = randn([4, 3], { seed: 2 });
    const want = (await values(l1.forward(input))).map((v) => Math.max(v, 0));
    const y = seq.forward(input);
    expect(y.shape).toEqual([8]);
    expect(await values(y)).toEqual(want);
    expect(new Flatten().forward(randn([2, 3, 4], { seed: 0 })).shape).toEqual([2, 12]);
  });
});
