import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../backend/default-registry.js';
import { fromArray, randn, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { manualSeed } from '../util/random.js';
import { ReLU } from './activations.js';
import { castModel } from './cast-model.js';
import { Embedding } from './embedding.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { Sequential } from './sequential.js';

beforeAll(async () => {
  await setBackend('reference');
  manualSeed(11);
});

/** A user's batch-statistics norm: the class marker asks a selective cast to keep it fp32. */
class BatchNormLike extends Module {
  static readonly keepsFp32 = true;
  readonly weight = new Parameter(fromArray([1, 1, 1, 1]));
  constructor() {
    super();
    this.registerBuffer('runningMean', zeros([4]));
    this.registerBuffer('batches', zeros([], { dtype: 'int32' }));
  }
  override forward(x: Tensor): Tensor {
    return x.sub(this.buffer('runningMean')).mul(this.weight);
  }
}

class Block extends Module {
  readonly attn = new Linear(4, 4);
  readonly head = new Linear(4, 4);
  override forward(x: Tensor): Tensor {
    return this.head.forward(this.attn.forward(x));
  }
}

class Net extends Module {
  readonly embed = new Embedding(8, 4);
  readonly norm = new LayerNorm(4);
  readonly bn = new BatchNormLike();
  readonly decoder = new Block();
  readonly multi_head_attn = new Linear(4, 4);
  readonly head = new Linear(4, 3);
  override forward(ids: Tensor): Tensor {
    const h = this.bn.forward(this.norm.forward(this.embed.forward(ids)));
    return this.head.forward(this.multi_head_attn.forward(this.decoder.forward(h)));
  }
}

const dtypes = (m: Module): Record<string, string> =>
  Object.fromEntries(
    [...m.namedParameters(), ...m.namedBuffers()].map(([name, t]) => [name, t.dtype]),
  );

describe('castModel (flashoptim cast_model)', () => {
  it('casts every floating tensor by default, LayerNorm included, keeps a keepsFp32 norm and integer buffers', () => {
    const net = castModel(new Net());
    const d = dtypes(net);
    expect(d['embed.weight']).toBe('bfloat16');
    expect(d['norm.weight']).toBe('bfloat16');
    expect(d['decoder.attn.weight']).toBe('bfloat16');
    expect(d['head.bias']).toBe('bfloat16');
    expect(d['bn.weight']).toBe('float32');
    expect(d['bn.runningMean']).toBe('float32');
    expect(d['bn.batches']).toBe('int32');
  });

  it('selective: false casts the keepsFp32 norm too (float buffers cast, integer buffers kept)', () => {
    const d = dtypes(castModel(new Net(), { dtype: 'float16', selective: false }));
    expect(d['bn.weight']).toBe('float16');
    expect(d['bn.runningMean']).toBe('float16');
    expect(d['bn.batches']).toBe('int32');
  });

  it('keeps the Parameter objects, so optimizers holding them see the new dtype', () => {
    const net = new Net();
    const before = net.parameters();
    castModel(net);
    expect(net.parameters()).toEqual(before);
    expect(before.every((p, i) => p === net.parameters()[i])).toBe(true);
  });

  it("matches names like fnmatch: 'head' is top level only, '*.head' nested, 'decoder.*' children", () => {
    const top = dtypes(castModel(new Net(), { fullPrecisionLayers: ['head'] }));
    expect(top['head.weight']).toBe('float32');
    expect(top['decoder.head.weight']).toBe('bfloat16');
    expect(top['multi_head_attn.weight']).toBe('bfloat16');
    const nested = dtypes(castModel(new Net(), { fullPrecisionLayers: ['*.head'] }));
    expect(nested['decoder.head.weight']).toBe('float32');
    expect(nested['head.weight']).toBe('bfloat16');
    const children = dtypes(castModel(new Net(), { fullPrecisionLayers: ['decoder.*'] }));
    expect(children['decoder.attn.weight']).toBe('float32');
    expect(children['decoder.head.bias']).toBe('float32');
    expect(children['embed.weight']).toBe('bfloat16');
  });

  it('keeps a matched layer recursively and accepts module objects as specs', () => {
    const net = new Net();
    const d = dtypes(castModel(net, { fullPrecisionLayers: [net.decoder] }));
    expect(d['decoder.attn.weight']).toBe('float32');
    expect(d['decoder.head.weight']).toBe('float32');
    expect(d['head.weight']).toBe('bfloat16');
  });

  it('a full-precision layer casts half inputs to fp32 and keeps its fp32 output', async () => {
    const net = castModel(new Net(), { fullPrecisionLayers: ['head'] });
    const x = randn([2, 4], { seed: 3 }).cast('bfloat16');
    const y = net.head.forward(x);
    expect(y.dtype).toBe('float32');
    const whole = net.forward(fromArray([1, 2], { dtype: 'int32' }));
    expect(whole.dtype).toBe('float32');
    expect((await whole.data()).every(Number.isFinite)).toBe(true);
  });

  it('a recast layer computes in fp32 and hands the model dtype to the next layer', async () => {
    const net = castModel(new Net(), {
      fullPrecisionRecastLayers: ['norm', 'embed', 'decoder.attn'],
    });
    expect(dtypes(net)['norm.weight']).toBe('float32');
    const ids = fromArray([0, 7, 3], { dtype: 'int32' });
    const e = net.embed.forward(ids);
    expect(e.dtype).toBe('bfloat16');
    const n = net.norm.forward(e);
    expect(n.dtype).toBe('bfloat16');
    const a = net.decoder.attn.forward(n);
    expect(a.dtype).toBe('bfloat16');
    expect((await a.data()).every(Number.isFinite)).toBe(true);
  });

  it('wraps a layer once even when cast twice', () => {
    const net = new Net();
    castModel(net, { fullPrecisionLayers: ['head'] });
    const first = net.head.forward;
    castModel(net, { fullPrecisionLayers: ['head'] });
    expect(net.head.forward).toBe(first);
    expect(Object.keys(net.head)).not.toContain('forward');
  });

  it('tied weights are cast once and stay shared', () => {
    class Tied extends Module {
      readonly embed = new Embedding(6, 4);
      readonly out = new Linear(4, 6, { bias: false });
      constructor() {
        super();
        (this.out as { weight: Parameter }).weight = this.embed.weight;
      }
      override forward(ids: Tensor): Tensor {
        return this.out.forward(this.embed.forward(ids));
      }
    }
    const m = castModel(new Tied(), { dtype: 'float16' });
    expect(m.out.weight).toBe(m.embed.weight);
    expect(m.embed.weight.dtype).toBe('float16');
    expect(m.numParameters()).toBe(24);
  });

  it('keepTensor keeps named tensors; bad specs and dtypes are errors naming the value', () => {
    const d = dtypes(castModel(new Net(), { keepTensor: (n) => n.endsWith('.bias') }));
    expect(d['head.bias']).toBe('float32');
    expect(d['head.weight']).toBe('bfloat16');
    expect(() => castModel(new Net(), { dtype: 'int8' })).toThrow(
      /dtype 'int8'; expected a floating/,
    );
    expect(() => castModel(new Net(), { fullPrecisionLayers: [42 as never] })).toThrow(
      /layer spec 42; expected a module-name glob or a Module/,
    );
  });

  it('an Sequential index pattern selects one child', () => {
    const seq = castModel(new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 2)), {
      fullPrecisionLayers: ['2'],
    });
    expect(dtypes(seq)).toEqual({
      '0.weight': 'bfloat16',
      '0.bias': 'bfloat16',
      '2.weight': 'float32',
      '2.bias': 'float32',
    });
  });
});
