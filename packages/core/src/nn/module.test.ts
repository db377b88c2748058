import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../backend/default-registry.js';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { fromArray, zeros } from '../tensor/creation.js';
import { withDefaultDtype } from '../tensor/default-dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { manualSeed, Random } from '../util/random.js';
import { values } from './__fixtures__/expect-close.js';
import { GELU, ReLU } from './activations.js';
import { Embedding } from './embedding.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { Sequential } from './sequential.js';

class Block extends Module {
  readonly norm = new LayerNorm(4);
  readonly ff = new Sequential(new Linear(4, 8), new GELU(), new Linear(8, 4));
  override forward(x: Tensor): Tensor {
    return x.add(this.ff.forward(this.norm.forward(x)));
  }
}

class Model extends Module {
  readonly scale = new Parameter([1.5]);
  readonly embed = new Embedding(10, 4);
  readonly layers = [new Block(), new Block()];
  readonly head: Linear;
  constructor() {
    super();
    this.head = new Linear(4, 3, { bias: false });
    this.registerBuffer('step', zeros([], { dtype: 'int32' }));
    this.registerBuffer('mask', zeros([4]), { persistent: false });
  }
  override forward(ids: Tensor): Tensor {
    let h = this.embed.forward(ids).mul(this.scale);
    for (const b of this.layers) h = b.forward(h);
    return this.head.forward(h);
  }
}

const BLOCK_PARAMS = [
  'norm.weight',
  'norm.bias',
  'ff.0.weight',
  'ff.0.bias',
  'ff.2.weight',
  'ff.2.bias',
];
const MODEL_PARAMS = [
  'scale',
  'embed.weight',
  ...BLOCK_PARAMS.map((n) => `layers.0.${n}`),
  ...BLOCK_PARAMS.map((n) => `layers.1.${n}`),
  'head.weight',
];

beforeAll(async () => {
  await setBackend('reference');
});

describe('Module discovery', () => {
  it('names parameters by dotted field path: own first, then children in declaration order', () => {
    const m = new Model();
    expect(m.namedParameters().map(([n]) => n)).toEqual(MODEL_PARAMS);
    expect(new Sequential(new Linear(2, 3), new ReLU()).namedParameters().map(([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
    ]);
    expect(m.namedChildren().map(([n]) => n)).toEqual(['embed', 'layers.0', 'layers.1', 'head']);
    expect(m.namedModules().map(([n]) => n)).toEqual([
      '',
      'embed',
      'layers.0',
      'layers.0.norm',
      'layers.0.ff',
      'layers.0.ff.0',
      'layers.0.ff.1',
      'layers.0.ff.2',
      'layers.1',
      'layers.1.norm',
      'layers.1.ff',
      'layers.1.ff.0',
      'layers.1.ff.1',
      'layers.1.ff.2',
      'head',
    ]);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['step', 'mask']);
    expect(m.numParameters()).toBe(1 + 40 + 2 * (4 + 4 + 32 + 8 + 32 + 4) + 12);
  });

  it('lists a shared parameter once', () => {
    const a = new Linear(2, 2);
    const shared = new Sequential(a, a);
    expect(shared.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
  });

  it('train/eval reach every descendant; apply visits children before the parent', () => {
    const m = new Model().eval();
    expect(m.namedModules().every(([, x]) => !x.training)).toBe(true);
    m.train();
    expect(m.namedModules().every(([, x]) => x.training)).toBe(true);
    const order: string[] = [];
    new Sequential(new ReLU(), new GELU()).apply((x) => order.push(x.constructor.name));
    expect(order).toEqual(['ReLU', 'GELU', 'Sequential']);
  });

  it('registerBuffer rejects dotted names and field names; buffer() names what exists', () => {
    const m = new Model();
    expect(() => m.registerBuffer('a.b', zeros([1]))).toThrow(/without '\.'/);
    expect(() => m.registerBuffer('head', zeros([1]))).toThrow(MixprecError);
    expect(() => m.buffer('nope')).toThrow(
      "buffer: 'nope' is not registered on Model; registered: step, mask",
    );
  });
});

describe('dtype conversion in place', () => {
  it('to(bfloat16) keeps Parameter identity, converts floats only, and keeps values', async () => {
    const m = new Model();
    const before = m.parameters();
    const w = await values(m.head.weight);
    m.to('bfloat16');
    const after = m.parameters();
    expect(after).toHaveLength(before.length);
    after.forEach((p, i) => {
      expect(p).toBe(before[i]);
      expect(p.dtype).toBe('bfloat16');
    });
    expect(m.buffer('step').dtype).toBe('int32');
    expect(m.buffer('mask').dtype).toBe('bfloat16');
    // bf16 keeps 8 significant bits: rounding moves a value by at most 2^-8 of itself.
    const got = await values(m.head.weight);
    for (const [i, v] of got.entries()) {
      expect(Math.abs(v - w[i])).toBeLessThanOrEqual(Math.abs(w[i]) * 2 ** -8);
    }
    const out = m.forward(fromArray(new Int32Array([1, 2, 3]), { shape: [3] }));
    expect(out.shape).toEqual([3, 3]);
  });

  it('a filter keeps chosen tensors (e.g. norms) in float32', () => {
    const m = new Model();
    m.cast('float16', { filter: (_name, _t, owner) => !(owner instanceof LayerNorm) });
    const dtypes = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.dtype]));
    expect(dtypes['layers.0.norm.weight']).toBe('float32');
    expect(dtypes['layers.1.ff.2.bias']).toBe('float16');
    expect(() => m.to('int32')).toThrow(/expected a floating dtype/);
  });

  it('withDefaultDtype builds half parameters; the dtype option wins', () => {
    const lin = withDefaultDtype('bfloat16', () => new Linear(4, 2));
    expect(lin.parameters().map((p) => p.dtype)).toEqual(['bfloat16', 'bfloat16']);
    expect(new Linear(4, 2, { dtype: 'float16' }).weight.dtype).toBe('float16');
    expect(new Linear(4, 2).weight.dtype).toBe('float32');
  });
});

describe('state dicts', () => {
  it('round-trips into a fresh model (values copied, not shared)', async () => {
    const a = new Model();
    const b = new Model();
    const sd = a.stateDict();
    expect(Object.keys(sd)).toEqual([...MODEL_PARAMS, 'step']);
    const bWeight = b.head.weight;
    b.loadStateDict(sd);
    expect(b.head.weight).toBe(bWeight);
    expect(b.head.weight.node).not.toBe(a.head.weight.node);
    for (const [name, p] of b.namedParameters()) {
      expect(await values(p), name).toEqual(await values(sd[name]));
    }
  });

  it('lists every missing, unexpected and mismatched key in one CheckpointError', () => {
    const m = new Linear(3, 2);
    const sd = {
      weight: zeros([3, 2]),
      extra: zeros([1]),
    };
    let error: unknown;
    try {
      m.loadStateDict(sd);
    } catch (e) {
      error = e;
    }
    expect(CheckpointError.isInstance(error)).toBe(true);
    expect(MixprecError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      "loadStateDict: state does not fit Linear: missing keys [bias]; unexpected keys [extra]; shape mismatch for 'weight': got [3,2], expected [2,3]; expected the keys, shapes and dtypes of its stateDict() (pass { strict: false } to allow missing or unexpected keys)",
    );
  });

  it('non-strict loading skips missing/unexpected keys but still rejects a bad shape', async () => {
    const m = new Linear(2, 1);
    m.loadStateDict({ bias: fromArray([0.25]), other: zeros([1]) }, { strict: false });
    expect(await values(m.bias!)).toEqual([0.25]);
    expect(() => m.loadStateDict({ bias: zeros([2]) }, { strict: false })).toThrow(
      /shape mismatch for 'bias': got \[2\], expected \[1\]/,
    );
  });

  it('a dtype mismatch is an error unless { cast: true }; nothing changes on error', async () => {
    const m = new Linear(2, 1);
    const half = { weight: fromArray([[1, 2]], { dtype: 'bfloat16' }), bias: fromArray([3]) };
    const before = m.weight.node;
    expect(() => m.loadStateDict(half)).toThrow(
      "dtype mismatch for 'weight': got bfloat16, expected float32 (pass { cast: true } to convert)",
    );
    expect(m.weight.node).toBe(before);
    m.loadStateDict(half, { cast: true });
    expect(m.weight.dtype).toBe('float32');
    expect(await values(m.weight)).toEqual([1, 2]);
  });

  it('Parameter.assign rejects a different shape', () => {
    const p = new Parameter([1, 2, 3]);
    expect(p.name).toBeUndefined();
    expect(() => p.assign(zeros([2]))).toThrow(
      "Parameter.assign: argument 't' has shape [2]; expected the parameter's shape [3]",
    );
  });
});

describe('seeded initialization', () => {
  it('manualSeed reproduces a model; weights follow U(-1/√in, 1/√in) from the generator', async () => {
    manualSeed(123);
    const a = await values(new Linear(5, 3).weight);
    manualSeed(123);
    const lin = new Linear(5, 3);
    expect(await values(lin.weight)).toEqual(a);
    // Independent reimplementation: the same stream, weight first, then bias.
    const rng = new Random(123);
    const bound = 1 / Math.sqrt(5);
    const expected = Array.from({ length: 18 }, () => Math.fround(bound * (2 * rng.uniform() - 1)));
    expect([...a, ...(await values(lin.bias!))]).toEqual(expected);
    manualSeed(124);
    expect(await values(new Linear(5, 3).weight)).not.toEqual(a);
  });
});
