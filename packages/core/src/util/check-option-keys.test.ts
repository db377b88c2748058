import { describe, expect, it } from 'vitest';
import { describeConformance, listConformanceCases, runConformance } from '../conformance/index.js';
import { OptionsError } from '../errors/options-error.js';
import {
  Adam,
  AdamW,
  autocast,
  bceWithLogits,
  CheckpointError,
  Conv1d,
  CosineAnnealing,
  castModel,
  checkTensorsMatch,
  clipGradNorm,
  createReferenceBackend,
  crossEntropy,
  Dropout,
  DtypeError,
  Embedding,
  enableGradientRelease,
  fromArray,
  GELU,
  gemm,
  gradcheck,
  LayerNorm,
  Linear,
  LinearWarmup,
  MixprecError,
  mse,
  Parameter,
  Random,
  Sequential,
  SGD,
  StepLR,
  saveCheckpoint,
  Trainer,
  trainStep,
  withDefaultDtype,
  zeros,
} from '../index.js';
import {
  checkOptionKeys,
  checkOptions,
  checkOptionValue,
  describeValue,
  optionKeys,
  optionSpec,
} from './check-option-keys.js';

interface Opts {
  readonly precision?: string;
  readonly maxSteps?: number;
  readonly callback?: () => void;
}

const SPEC = optionSpec<Opts>({ precision: 'string', maxSteps: 'integer', callback: 'function' });

describe('checkOptionKeys', () => {
  it('accepts undefined and objects with known keys only', () => {
    expect(() => checkOptionKeys('f', undefined, ['a'])).not.toThrow();
    expect(() => checkOptionKeys('f', {}, ['a'])).not.toThrow();
    expect(() => checkOptionKeys('f', { a: 1 }, ['a', 'b'])).not.toThrow();
  });

  it("names the unknown key, the function and the accepted keys, with 'did you mean'", () => {
    expect(() => checkOptionKeys('Trainer', { precison: 'x' }, ['precision', 'backend'])).toThrow(
      "Trainer: unknown option 'precison' (did you mean 'precision'?); accepted options: precision, backend",
    );
  });

  it('lists every unknown key, suggesting only for near misses', () => {
    let error: unknown;
    try {
      checkOptionKeys('f', { precison: 1, plugins: [], maxsteps: 3 }, ['precision', 'maxSteps']);
    } catch (e) {
      error = e;
    }
    expect(OptionsError.isInstance(error)).toBe(true);
    expect(MixprecError.isInstance(error)).toBe(true);
    const e = error as OptionsError;
    expect(e.name).toBe('OptionsError');
    expect(e.message).toBe(
      "f: unknown options 'precison' (did you mean 'precision'?), 'plugins', 'maxsteps' (did you mean 'maxSteps'?); accepted options: precision, maxSteps",
    );
    expect(e.where).toBe('f');
    expect(e.unknownKeys).toEqual(['precison', 'plugins', 'maxsteps']);
    expect(e.accepted).toEqual(['precision', 'maxSteps']);
    expect(e.suggestions).toEqual({ precison: 'precision', maxsteps: 'maxSteps' });
  });

  it('suggests torch snake_case spellings of camelCase keys and the reverse', () => {
    expect(() => checkOptionKeys('g', { weight_decay: 0 }, ['lr', 'weightDecay'])).toThrow(
      "did you mean 'weightDecay'?",
    );
    expect(() => checkOptionKeys('g', { weightDecay: 0 }, ['lr', 'weight_decay'])).toThrow(
      "did you mean 'weight_decay'?",
    );
  });

  it('adds hints and uses the noun and error class the caller asks for', () => {
    expect(() =>
      checkOptionKeys('save', { schedular: 1, extra: 2 }, ['scheduler'], {
        noun: 'part',
        hints: { extra: 'not a part' },
        makeError: (m) => new CheckpointError(m),
      }),
    ).toThrow(
      "save: unknown parts 'schedular' (did you mean 'scheduler'?), 'extra' (not a part); accepted parts: scheduler",
    );
    expect(() =>
      checkOptionKeys('save', { x: 1 }, [], { makeError: (m) => new CheckpointError(m) }),
    ).toThrow(CheckpointError);
  });

  it.each([
    [null, 'null'],
    ['fast', '"fast"'],
    [3, '3'],
    [[1, 2], 'an array of 2'],
    [() => 1, 'a function'],
  ])('refuses %s as not an object', (value, shown) => {
    const call = () => checkOptionKeys('h', value, ['a', 'b']);
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(`h: options is ${shown}; expected an object (accepted options: a, b)`);
  });
});

describe('checkOptions', () => {
  it('checks kinds of defined values and returns the options ({} for undefined)', () => {
    expect(checkOptions('f', undefined, SPEC)).toEqual({});
    const o = { precision: 'x', maxSteps: undefined };
    expect(checkOptions('f', o, SPEC)).toBe(o);
    expect(() => checkOptions('f', { maxSteps: '10' } as never, SPEC)).toThrow(
      `f: option 'maxSteps' is "10"; expected an integer`,
    );
    expect(() => checkOptions('f', { callback: 1 } as never, SPEC)).toThrow(
      "f: option 'callback' is 1; expected a function",
    );
    expect(() => checkOptions('f', { precison: 'x' } as never, SPEC)).toThrow(
      "did you mean 'precision'?",
    );
  });

  it('refuses a missing required key', () => {
    expect(() => checkOptions('f', {}, SPEC, { required: ['callback'] })).toThrow(
      "f: option 'callback' is missing; expected a function",
    );
  });

  it('custom checks say what they expect', () => {
    const spec = optionSpec<{ mode?: string }>({
      mode: { expected: "'a' or 'b'", test: (v) => v === 'a' || v === 'b' },
    });
    expect(() => checkOptions('f', { mode: 'c' }, spec)).toThrow(
      `f: option 'mode' is "c"; expected 'a' or 'b'`,
    );
  });

  it('checkOptionValue, optionKeys and describeValue', () => {
    expect(() => checkOptionValue('f', 'k', 2, false, 'a string', 'argument')).toThrow(
      "f: argument 'k' is 2; expected a string",
    );
    expect(optionKeys<Opts>({ precision: true, maxSteps: true, callback: true })).toEqual([
      'precision',
      'maxSteps',
      'callback',
    ]);
    expect(describeValue(new Map())).toBe('a Map');
    expect(describeValue({})).toBe('an object');
    expect(describeValue(undefined)).toBe('undefined');
  });
});

/**
 * Every options object of core refuses an unknown key, naming the function. Each row passes a
 * near miss of a real key, so the suggestion is checked too.
 */
describe('every options object in core refuses unknown keys', () => {
  const p = () => new Parameter([0, 0]);
  const model = () => new Sequential(new Linear(2, 2));
  const opt = () => new SGD([p()], { lr: 0.1 });
  const cases: [string, string, () => unknown][] = [
    ['Trainer', 'precision', () => new Trainer({ maxSteps: 1, precison: 1 } as never)],
    ['SGD', 'weight_decay', () => new SGD([p()], { weightDecay: 0.1 } as never)],
    ['Adam', 'betas', () => new Adam([p()], { beta: [0.9, 0.99] } as never)],
    ['AdamW', 'eps', () => new AdamW([p()], { epz: 1e-8 } as never)],
    [
      'SGD: parameter group 0',
      'weight_decay',
      () => new SGD([{ params: [p()], weightDecay: 1 }] as never),
    ],
    ['SGD.zeroGrad', 'dispose', () => opt().zeroGrad({ dipose: false } as never)],
    ['LinearWarmup', 'warmupSteps', () => new LinearWarmup(opt(), { warmup_steps: 3 } as never)],
    ['CosineAnnealing', 'tMax', () => new CosineAnnealing(opt(), { T_max: 3 } as never)],
    ['StepLR', 'stepSize', () => new StepLR(opt(), { step_size: 3 } as never)],
    ['Linear', 'bias', () => new Linear(2, 2, { bais: false } as never)],
    ['Conv1d', 'stride', () => new Conv1d(1, 1, 1, { strides: 2 } as never)],
    ['LayerNorm', 'eps', () => new LayerNorm(2, { esp: 1e-5 } as never)],
    ['Embedding', 'dtype', () => new Embedding(2, 2, { dtpye: 'float32' } as never)],
    ['Dropout', 'seed', () => new Dropout(0.1, { sed: 1 } as never)],
    ['GELU', 'approximate', () => new GELU({ aproximate: 'tanh' } as never)],
    ['Parameter', 'requiresGrad', () => new Parameter([1], { requireGrad: false } as never)],
    ['Module.to', 'filter', () => model().to('float16', { filters: () => true } as never)],
    ['loadStateDict', 'strict', () => model().loadStateDict({}, { strikt: false } as never)],
    [
      'registerBuffer',
      'persistent',
      () => model().registerBuffer('b', zeros([1]), { persistant: true } as never),
    ],
    ['Tensor.gelu', 'approximate', () => zeros([1]).gelu({ aproximate: 'tanh' } as never)],
    ['castModel', 'selective', () => castModel(model(), { selectiv: true } as never)],
    [
      'crossEntropy',
      'ignoreIndex',
      () => crossEntropy(zeros([1, 2]), fromArray(new Int32Array(1)), { ignore_index: 1 } as never),
    ],
    ['mse', 'reduction', () => mse(zeros([1]), zeros([1]), { reductio: 'sum' } as never)],
    [
      'bceWithLogits',
      'posWeight',
      () => bceWithLogits(zeros([1]), zeros([1]), { pos_weight: zeros([1]) } as never),
    ],
    ['clipGradNorm', 'normType', () => clipGradNorm([p()], 1, { norm_type: 2 } as never)],
    ['autocast', 'enabled', () => autocast('bfloat16', () => 1, { enable: true } as never)],
    [
      'enableGradientRelease',
      'preStep',
      () => {
        const m = model();
        return enableGradientRelease(m, new SGD(m.parameters()), { prestep: () => true } as never);
      },
    ],
    ['createReferenceBackend', 'name', () => createReferenceBackend({ nme: 'x' } as never)],
    [
      'gemm',
      'transA',
      () =>
        gemm(new Float64Array(1), 0, new Float64Array(1), 0, new Float64Array(1), 0, 1, 1, 1, {
          transa: true,
        } as never),
    ],
    [
      'checkTensorsMatch',
      'expectedIn',
      () => checkTensorsMatch({}, {}, 'f', { expected_in: 'x' } as never),
    ],
    ['trainStep', 'stepNumber', () => trainStep({ step_number: 1 } as never)],
  ];
  it.each(cases)('%s', async (where, suggestion, call) => {
    let error: unknown;
    try {
      await call(); // trainStep is async
    } catch (e) {
      error = e;
    }
    expect(OptionsError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(`^${where.replace(/[.:]/g, '\\$&')}: unknown`),
    );
    expect((error as Error).message).toContain(`did you mean '${suggestion}'?`);
  });

  it('async ones: gradcheck, saveCheckpoint', async () => {
    await expect(gradcheck((x) => x, [], { atoll: 1 } as never)).rejects.toThrow(
      "gradcheck: unknown option 'atoll' (did you mean 'atol'?)",
    );
    await expect(
      saveCheckpoint('/nonexistent-dir/x', {
        tensors: {},
        metadata: { step: 0 },
        meta: 1,
      } as never),
    ).rejects.toThrow(CheckpointError);
  });
});

describe('option values and dtypes in core', () => {
  const p = () => new Parameter([0, 0]);

  it('autocast: dtype suggestion, device and fn errors (no raw TypeError)', () => {
    expect(() => autocast('bf16' as never, () => 1)).toThrow(
      "autocast: dtype 'bf16' is not an autocast dtype (did you mean 'bfloat16'?); expected 'bfloat16' or 'float16'",
    );
    const device = () => autocast('bfloat16', () => 1, { device: 'gpu' as never });
    expect(device).toThrow(OptionsError);
    expect(device).toThrow("autocast: option 'device' is \"gpu\"; expected 'cuda' or 'cpu'");
    const fn = () => autocast('bfloat16', 3 as never);
    expect(fn).toThrow(MixprecError);
    expect(fn).not.toThrow(TypeError);
  });

  it.each([
    ['castModel', () => castModel(new Linear(2, 2), { dtype: 'bf16' as never })],
    ['Module.to', () => new Linear(2, 2).to('bf16' as never)],
    ['withDefaultDtype', () => withDefaultDtype('bf16' as never, () => 1)],
    ['Linear', () => new Linear(2, 2, { dtype: 'bf16' as never })],
    ['Conv1d', () => new Conv1d(1, 1, 1, { dtype: 'bf16' as never })],
    ['LayerNorm', () => new LayerNorm(2, { dtype: 'bf16' as never })],
    ['Embedding', () => new Embedding(2, 2, { dtype: 'bf16' as never })],
    ['Parameter', () => new Parameter([1], { dtype: 'bf16' as never })],
    ['cast', () => zeros([1]).cast('bf16' as never)],
  ])('%s: an unknown dtype is a DtypeError with the closest name', (where, call) => {
    expect(call).toThrow(DtypeError);
    expect(call).toThrow(`${where}: dtype 'bf16' is not a mixprec`);
    expect(call).toThrow("did you mean 'bfloat16'?");
  });

  it('module parameters must be floating', () => {
    expect(() => new Linear(2, 2, { dtype: 'int32' })).toThrow(
      "Linear: dtype 'int32'; expected a floating dtype",
    );
  });

  it.each([
    [
      'Linear',
      () => new Linear(2, 2, { bias: 'no' } as never),
      'option \'bias\' is "no"; expected a boolean',
    ],
    ['Dropout', () => new Dropout(0.1, { seed: 1.5 }), "option 'seed' is 1.5; expected an integer"],
    [
      'GELU',
      () => new GELU({ approximate: 'fast' } as never),
      "option 'approximate' is \"fast\"; expected 'none' or 'tanh'",
    ],
    [
      'mse',
      () => mse(zeros([1]), zeros([1]), { reduction: 'avg' } as never),
      "option 'reduction' is \"avg\"; expected 'mean', 'sum' or 'none'",
    ],
    [
      'StepLR',
      () => new StepLR(new SGD([p()]), { stepSize: 1, gamma: '0.5' } as never),
      'option \'gamma\' is "0.5"; expected a number',
    ],
    [
      'enableGradientRelease',
      () => {
        const m = new Linear(1, 1);
        return enableGradientRelease(m, new SGD(m.parameters()), { warn: 'log' } as never);
      },
      'option \'warn\' is "log"; expected a function',
    ],
  ])('%s checks the kind of a value', (where, call, message) => {
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(`${where}: ${message}`);
  });

  it('LR schedulers check their options before touching the optimizer', () => {
    const opt = new SGD([p()], { lr: 0.1 });
    expect(() => new CosineAnnealing(opt, { tMax: 0 })).toThrow('tMax is 0');
    expect(() => new LinearWarmup(opt, undefined as never)).toThrow(
      'LinearWarmup: warmupSteps is undefined; expected an integer >= 0',
    );
    expect(opt.paramGroups[0].initial_lr).toBeUndefined();
    expect(() => new StepLR({} as never, { stepSize: 1 })).toThrow(
      'StepLR: optimizer is an object; expected an Optimizer',
    );
  });

  it('a parameter group whose params are not tensors is a clear error', () => {
    expect(() => new SGD([{ params: 3 }] as never)).toThrow(
      'SGD: parameter group 0 params is 3; expected a Tensor or an iterable of Tensors',
    );
  });

  it('Random refuses a non-integer seed with a MixprecError', () => {
    expect(() => new Random(1.5)).toThrow(MixprecError);
    expect(() => new Random(1.5)).toThrow('Random: seed is 1.5; expected an integer');
    expect(() => new Random(1).setState([1, 2])).toThrow('expected 4 integer words');
  });

  it('conformance: unknown option keys, and did-you-mean for an unmatched only prefix', async () => {
    const createBackend = () => createReferenceBackend();
    await expect(runConformance({ createBackend, vectorDir: '/x' } as never)).rejects.toThrow(
      "runConformance: unknown option 'vectorDir' (did you mean 'vectorsDir'?)",
    );
    await expect(runConformance({} as never)).rejects.toThrow(
      "runConformance: option 'createBackend' is missing; expected a function",
    );
    await expect(describeConformance({ createBackend, timout: 5 } as never)).rejects.toThrow(
      "describeConformance: unknown option 'timout' (did you mean 'timeout'?)",
    );
    const only = () => listConformanceCases(['matmull']);
    expect(only).toThrow(OptionsError);
    expect(only).toThrow(
      `'only' entries ["matmull"] match no case ('matmull': did you mean 'matmul'?)`,
    );
  });
});
