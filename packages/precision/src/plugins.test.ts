import {
  AdamW,
  fromArray,
  getDefaultDtype,
  Linear,
  Module,
  ones,
  Sequential,
  setBackend,
  type Tensor,
  zeros,
} from '@mixprec/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FlashPrecision, shouldSkipModuleConversion } from './flash-precision.js';
import { FullPrecision } from './full-precision.js';
import { fp16FlushedEps, HalfPrecision } from './half-precision.js';
import { HalfPrecisionForAudio } from './half-precision-for-audio.js';

beforeAll(async () => {
  await setBackend('reference');
});

const f32 = (n = 2) => zeros([n]);
const long = () => zeros([2], { dtype: 'int32' });
const dtypes = (m: Module) => m.namedParameters().map(([name, p]) => [name, p.dtype]);
const paramBytes = (m: Module) =>
  m.parameters().reduce((n, p) => n + p.size * (p.dtype === 'float32' ? 4 : 2), 0);

class AudioModel extends Module {
  readonly frontEnd = new Linear(4, 4);
  readonly head = new Linear(4, 2);
  override forward(x: Tensor): Tensor {
    return this.head.forward(this.frontEnd.forward(x));
  }
}

describe('HalfPrecision (Lightning test_half)', () => {
  it.each([
    ['bf16-true', 'bfloat16'],
    ['16-true', 'float16'],
    ['fp16-true', 'float16'],
  ] as const)('%s → %s; precision kept', (precision, dtype) => {
    const p = new HalfPrecision(precision);
    expect(p.dtype).toBe(dtype);
    expect(p.precision).toBe(precision);
  });

  it.each(['bf16-true', '16-true'] as const)(
    '%s: modules created in moduleInitContext are half',
    (s) => {
      const p = new HalfPrecision(s);
      const layer = p.moduleInitContext(() => {
        expect(getDefaultDtype()).toBe(p.dtype);
        return new Linear(2, 2);
      });
      expect(layer.weight.dtype).toBe(p.dtype);
      expect(getDefaultDtype()).toBe('float32');
      expect(p.tensorInitContext(() => ones([1])).dtype).toBe(p.dtype);
      expect(p.forwardContext(() => getDefaultDtype())).toBe(p.dtype);
      expect(getDefaultDtype()).toBe('float32');
    },
  );

  it('convertModule casts weight and bias in place (parameter identity kept)', () => {
    const layer = new Linear(2, 2);
    const weight = layer.weight;
    new HalfPrecision('bf16-true').convertModule(layer);
    expect(layer.weight).toBe(weight);
    expect(dtypes(layer)).toEqual([
      ['weight', 'bfloat16'],
      ['bias', 'bfloat16'],
    ]);
  });

  it('bf16-true halves the parameter bytes of 32-true', () => {
    const a = new Sequential(new Linear(8, 16), new Linear(16, 4));
    const b = new Sequential(new Linear(8, 16), new Linear(16, 4));
    new FullPrecision('32-true').convertModule(a);
    new HalfPrecision('bf16-true').convertModule(b);
    expect(paramBytes(b) * 2).toBe(paramBytes(a));
  });

  it.each([
    [['frontEnd.*'], ['float32', 'float32', 'bfloat16', 'bfloat16']],
    [(name: string) => name.endsWith('bias'), ['bfloat16', 'float32', 'bfloat16', 'float32']],
    [undefined, ['bfloat16', 'bfloat16', 'bfloat16', 'bfloat16']],
  ])('keepFp32 %o keeps the named tensors fp32', (keepFp32, expected) => {
    const m = new AudioModel();
    new HalfPrecision('bf16-true', { keepFp32 }).convertModule(m);
    expect(m.parameters().map((p) => p.dtype)).toEqual(expected);
  });

  // Lightning's test_wrappers conversion matrix: floating → half, integer untouched.
  it('convertInput casts floating tensors recursively, leaves others', () => {
    const out = new HalfPrecision('bf16-true').convertInput({
      x: f32(),
      ids: long(),
      list: [f32(), 'text', 3],
      nested: { y: zeros([1], { dtype: 'float64' }) },
    });
    expect(out.x.dtype).toBe('bfloat16');
    expect(out.ids.dtype).toBe('int32');
    expect((out.list[0] as Tensor).dtype).toBe('bfloat16');
    expect(out.list.slice(1)).toEqual(['text', 3]);
    expect(out.nested.y.dtype).toBe('bfloat16');
  });

  it('rejects unknown strings instead of silently meaning fp16', () => {
    expect(() => new HalfPrecision('16-mixed' as 'bf16-true')).toThrow(
      `Passed \`HalfPrecision(precision="16-mixed")\`; expected one of 'fp16-true', 'bf16-true', '16-true'`,
    );
  });
});

describe('FullPrecision (Lightning test_double)', () => {
  it('64-true: fp64 params, batches, and default dtype inside contexts only', () => {
    const p = new FullPrecision('64-true');
    const layer = new Linear(2, 2);
    p.convertModule(layer);
    expect(dtypes(layer).map(([, d]) => d)).toEqual(['float64', 'float64']);
    expect(p.convertInput([f32(), long()]).map((t) => t.dtype)).toEqual(['float64', 'int32']);
    expect(p.forwardContext(() => zeros([1]).dtype)).toBe('float64');
    expect(p.forwardContext(() => zeros([1], { dtype: 'float16' }).dtype)).toBe('float16');
    expect(p.moduleInitContext(() => new Linear(1, 1)).weight.dtype).toBe('float64');
    expect(getDefaultDtype()).toBe('float32');
  });

  it('32-true changes nothing (inputs keep their dtypes, as Lightning)', () => {
    const p = new FullPrecision('32-true');
    const half = zeros([1], { dtype: 'float16' });
    expect(p.convertInput(half)).toBe(half);
    expect(p.forwardContext(() => getDefaultDtype())).toBe('float32');
    expect(p.dtype).toBe('float32');
  });
});

describe('HalfPrecisionForAudio (NeMo)', () => {
  it('keeps audio tensors fp32 while other floating tensors go bf16', () => {
    const out = new HalfPrecisionForAudio('bf16-true').convertInput({
      audio: f32(),
      audio_lens: long(),
      tokens: f32(),
      inputs: { source_audio: f32(), text_ids: f32(), Audio: f32() },
      labels: long(),
    });
    expect(out.audio.dtype).toBe('float32');
    expect(out.audio_lens.dtype).toBe('int32');
    expect(out.tokens.dtype).toBe('bfloat16');
    expect(out.inputs.source_audio.dtype).toBe('float32');
    expect(out.inputs.text_ids.dtype).toBe('bfloat16');
    expect(out.inputs.Audio.dtype).toBe('bfloat16');
    expect(out.labels.dtype).toBe('int32');
  });

  it('keeps the audio tensor object itself and its dtype (not forced to fp32)', () => {
    const audio = zeros([2], { dtype: 'float64' });
    expect(new HalfPrecisionForAudio('fp16-true').convertInput({ audio }).audio).toBe(audio);
  });

  it('recurses into a dict under an audio key; non-dict batches go half', () => {
    const p = new HalfPrecisionForAudio('bf16-true');
    const out = p.convertInput({ audio_cfg: { audio: f32(), gain: f32() } });
    expect(out.audio_cfg.audio.dtype).toBe('float32');
    expect(out.audio_cfg.gain.dtype).toBe('bfloat16');
    expect(p.convertInput(f32()).dtype).toBe('bfloat16');
    expect(p.convertInput([f32()])[0].dtype).toBe('bfloat16');
  });
});

describe('fp16 optimizer eps warning', () => {
  const outcome = { gradientsFinite: true };
  const halfModel = (dtype: 'float16' | 'bfloat16') => {
    const m = new Linear(2, 2).to(dtype);
    for (const p of m.parameters()) p.grad = zeros(p.shape, { dtype });
    return m;
  };

  it('fp16-true warns once, naming the group and eps, when eps rounds to 0 in fp16', async () => {
    const warnings: string[] = [];
    const p = new HalfPrecision('fp16-true', { warn: (m) => warnings.push(m) });
    const opt = new AdamW(halfModel('float16').parameters(), { lr: 1e-3 });
    await p.optimizerStep(opt, outcome);
    await p.optimizerStep(opt, outcome);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/AdamW parameter group 0 has eps 1e-8, which is 0 in float16/);
    expect(warnings[0]).toMatch(/expected eps >= 6e-8/i);
  });

  it('fp16-flash with a plain optimizer warns the same way; bf16-flash does not', async () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    await new FlashPrecision('fp16-flash', { warn }).optimizerStep(
      new AdamW(halfModel('float16').parameters()),
      outcome,
    );
    await new FlashPrecision('bf16-flash', { warn }).optimizerStep(
      new AdamW(halfModel('bfloat16').parameters()),
      outcome,
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^fp16-flash: AdamW parameter group 0 has eps 1e-8/);
  });

  it('stays quiet for an fp16-representable eps, for bf16-true and for fp32 groups', async () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    await new HalfPrecision('fp16-true', { warn }).optimizerStep(
      new AdamW(halfModel('float16').parameters(), { eps: 1e-4 }),
      outcome,
    );
    await new HalfPrecision('bf16-true', { warn }).optimizerStep(
      new AdamW(halfModel('bfloat16').parameters()),
      outcome,
    );
    expect(warnings).toEqual([]);
    expect(fp16FlushedEps(new AdamW(new Linear(2, 2).parameters()))).toEqual([]);
    expect(fp16FlushedEps(new AdamW(halfModel('float16').parameters(), { eps: 2e-8 }))).toEqual([
      { group: 0, eps: 2e-8 },
    ]);
    // 3e-8 rounds up to the smallest subnormal: not flushed.
    expect(fp16FlushedEps(new AdamW(halfModel('float16').parameters(), { eps: 3e-8 }))).toEqual([]);
  });
});

describe('FlashPrecision (NeMo)', () => {
  it('forward context keeps the default dtype fp32', () => {
    const p = new FlashPrecision('bf16-flash');
    expect(p.forwardContext(() => [zeros([1]).dtype, ones([1]).dtype, getDefaultDtype()])).toEqual([
      'float32',
      'float32',
      'float32',
    ]);
  });

  it('casts a plain fp32 model (weights and biases)', () => {
    const m = new Sequential(new Linear(2, 2), new Linear(2, 2));
    new FlashPrecision('bf16-flash').convertModule(m);
    expect(m.parameters().every((p) => p.dtype === 'bfloat16')).toBe(true);
  });

  it('casts through core castModel: full-precision layers stay fp32 and take fp32 inputs', () => {
    const m = new AudioModel();
    new FlashPrecision('bf16-flash', { fullPrecisionLayers: ['frontEnd'] }).convertModule(m);
    expect(dtypes(m)).toEqual([
      ['frontEnd.weight', 'float32'],
      ['frontEnd.bias', 'float32'],
      ['head.weight', 'bfloat16'],
      ['head.bias', 'bfloat16'],
    ]);
    expect(m.frontEnd.forward(zeros([1, 4]).cast('bfloat16')).dtype).toBe('float32');
    const keep = new AudioModel();
    new FlashPrecision('fp16-flash', { keepFp32: ['head.b*'] }).convertModule(keep);
    expect(dtypes(keep).map(([, d]) => d)).toEqual(['float16', 'float16', 'float16', 'float32']);
  });

  it('leaves a partly cast model alone', () => {
    const first = new Linear(2, 2);
    const m = new Sequential(first, new Linear(2, 2));
    first.to('bfloat16');
    expect(shouldSkipModuleConversion(m)).toBe(true);
    new FlashPrecision('bf16-flash').convertModule(m);
    expect(m.parameters().map((p) => p.dtype)).toEqual([
      'bfloat16',
      'bfloat16',
      'float32',
      'float32',
    ]);
  });

  it('converts inputs audio-aware; long tensors unchanged; bare tensor half', () => {
    const p = new FlashPrecision('bf16-flash');
    const out = p.convertInput({
      inputs: { audio_signal: f32(), text_ids: f32() },
      labels: f32(),
      lens: long(),
    });
    expect(out.inputs.audio_signal.dtype).toBe('float32');
    expect(out.inputs.text_ids.dtype).toBe('bfloat16');
    expect(out.labels.dtype).toBe('bfloat16');
    expect(out.lens.dtype).toBe('int32');
    expect(p.convertInput(fromArray([1.5])).dtype).toBe('bfloat16');
  });

  it.each([
    ['bf16-flash', 'bf16-flash', 'bfloat16'],
    ['fp16-flash', 'fp16-flash', 'float16'],
    ['bf16-automodel', 'bf16-flash', 'bfloat16'],
    ['fp16-automodel', 'fp16-flash', 'float16'],
  ])('%s → %s (%s)', (input, precision, dtype) => {
    const p = new FlashPrecision(input);
    expect([p.precision, p.dtype]).toEqual([precision, dtype]);
  });

  it('regression guard: HalfPrecision bf16-true does set the default dtype in forward', () => {
    expect(new HalfPrecision('bf16-true').forwardContext(() => getDefaultDtype())).toBe('bfloat16');
    expect(getDefaultDtype()).toBe('float32');
  });
});
