import { describe, expect, it } from 'vitest';
import { readTestVectors } from '../__fixtures__/test-vectors.js';
import { bf16BitsToF32, f64ToBf16Bits } from '../dtype/convert.js';
import { DtypeError } from '../errors/dtype-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import {
  fmaF32,
  type HostTensor,
  hostOptimizerStep,
  registerUpdateRule,
  type UpdateRule,
  updateRuleNames,
} from './host-optimizer-step.js';

interface GoldenStep {
  readonly grad: string[];
  readonly param: string[];
  readonly [state: string]: unknown;
}
interface GoldenCase {
  readonly name: string;
  readonly hyperparams: Record<string, number | boolean | number[]>;
  readonly param_init: string[];
  readonly steps: GoldenStep[];
}

const golden = readTestVectors<{ cases: GoldenCase[] }>('optim.json');

const fromHex = (hex: readonly string[]) =>
  new Float32Array(new Uint32Array(hex.map((h) => Number.parseInt(h, 16))).buffer);
const toHex = (a: Float32Array) =>
  Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (u) =>
    u.toString(16).padStart(8, '0'),
  );

const ALGORITHM: Record<string, string> = {
  sgd_momentum: 'sgd',
  sgd_nesterov: 'sgd',
  adam_l2: 'adam',
  adamw: 'adamw',
};
const STATE: Record<string, string[]> = {
  sgd: ['momentum_buffer'],
  adam: ['exp_avg', 'exp_avg_sq'],
  adamw: ['exp_avg', 'exp_avg_sq'],
};

/** torch's hyper-parameters as `hostOptimizerStep` names them (betas split in two). */
function hyperOf(c: GoldenCase): Record<string, number | boolean> {
  const { betas, ...rest } = c.hyperparams;
  const out = rest as Record<string, number | boolean>;
  return Array.isArray(betas) ? { ...out, beta1: betas[0], beta2: betas[1] } : out;
}

describe('hostOptimizerStep against vectors/optim.json (torch 1.13)', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))(
    '%s reproduces every recorded bit',
    (_name, c) => {
      const algorithm = ALGORITHM[c.name];
      const param = fromHex(c.param_init);
      const state: Record<string, HostTensor> = {};
      for (const name of STATE[algorithm])
        state[name] = { data: new Float32Array(param.length), dtype: 'float32' };
      c.steps.forEach((step, t) => {
        hostOptimizerStep(
          algorithm,
          hyperOf(c),
          t + 1,
          param,
          'float32',
          fromHex(step.grad),
          'float32',
          state,
        );
        expect(toHex(param), `param after step ${t + 1}`).toEqual(step.param);
        for (const name of STATE[algorithm]) {
          expect(toHex(state[name].data as Float32Array), `${name} after step ${t + 1}`).toEqual(
            step[name],
          );
        }
      });
    },
  );
});

describe('fmaF32', () => {
  it('rounds a·b + c once where Math.fround(a*b + c) rounds twice', () => {
    // a·b = 64 − 2^-40 exactly; c + a·b rounds in f64 to the fp32 tie 2^30 + 192, whose even
    // neighbour 2^30 + 256 is wrong: the exact value lies below the tie.
    const [a, b, c] = [1 + 2 ** -23, 64 * (1 - 2 ** -23), 2 ** 30 + 128];
    expect(Math.fround(a * b + c)).toBe(2 ** 30 + 256);
    expect(fmaF32(a, b, c)).toBe(2 ** 30 + 128);
    expect(fmaF32(-a, b, -c)).toBe(-(2 ** 30 + 128));
  });

  it.each([
    [2, 3, 1, 7],
    [0.5, 0.5, 0, 0.25],
    [-0, 1, -0, -0],
    [1e30, 1e30, 0, Number.POSITIVE_INFINITY],
    [
      Math.fround(0.1),
      Math.fround(0.3),
      Math.fround(-0.03),
      Math.fround(Math.fround(0.1) * Math.fround(0.3) - Math.fround(0.03)),
    ],
  ])('fma(%s, %s, %s) = %s', (a, b, c, expected) => {
    expect(Object.is(fmaF32(a, b, c), expected)).toBe(true);
  });
});

describe('half parameters and state', () => {
  it.each([
    // lr 0.5, g = 2^-8: fp32 result 1 − 2^-9 is the bf16 tie between 1 − 2^-8 and 1 → 1.
    [1, 2 ** -8, 1],
    // g = 3·2^-9: 1 − 3·2^-10 lies below that tie, so it rounds down to 1 − 2^-8.
    [1, 3 * 2 ** -9, 1 - 2 ** -8],
    [2, -1, 2.5],
  ])('sgd on a bf16 param %s with grad %s gives %s', (p, g, expected) => {
    const param = new Uint16Array([f64ToBf16Bits(p)]);
    const grad = new Uint16Array([f64ToBf16Bits(g)]);
    hostOptimizerStep('sgd', { lr: 0.5 }, 1, param, 'bfloat16', grad, 'bfloat16', {});
    expect(bf16BitsToF32(param[0])).toBe(expected);
  });

  it('adam with bf16 state rounds each stored tensor once after an fp32 update', () => {
    const param = new Float32Array([1]);
    const m = new Uint16Array(1);
    const v = new Uint16Array(1);
    const state = {
      exp_avg: { data: m, dtype: 'bfloat16' },
      exp_avg_sq: { data: v, dtype: 'bfloat16' },
    } as const;
    hostOptimizerStep(
      'adam',
      { lr: 0.1 },
      1,
      param,
      'float32',
      new Float32Array([0.3]),
      'float32',
      state,
    );
    // m = fp32(1 − β1)·g and v = fp32(fp32(1 − β2)·g)·g in fp32, each rounded once to bf16.
    const g = Math.fround(0.3);
    const m32 = Math.fround(Math.fround(1 - 0.9) * g);
    const v32 = Math.fround(Math.fround(Math.fround(1 - 0.999) * g) * g);
    expect(bf16BitsToF32(m[0])).toBe(bf16BitsToF32(f64ToBf16Bits(m32)));
    expect(bf16BitsToF32(v[0])).toBe(bf16BitsToF32(f64ToBf16Bits(v32)));
    // First Adam step moves p by lr·sign(g) (up to eps): 1 − 0.1.
    expect(param[0]).toBeCloseTo(0.9, 6);
  });

  it('updates float64 params in float64', () => {
    const param = new Float64Array([1]);
    hostOptimizerStep(
      'sgd',
      { lr: 0.1 },
      1,
      param,
      'float64',
      new Float64Array([0.1]),
      'float64',
      {},
    );
    expect(param[0]).toBe(1 - 0.1 * 0.1);
  });
});

describe('errors and registration', () => {
  const p = () => new Float32Array(2);
  it.each([
    [
      'lion',
      { lr: 1 },
      "optimizerStep: unknown algorithm 'lion'; expected one of sgd, adam, adamw",
    ],
    [
      'sgd',
      { lr: 1, weightDecay: 0 },
      "sgd: unknown hyper-parameter 'weightDecay'; expected one of lr, momentum",
    ],
    ['sgd', {}, "sgd: hyper-parameter 'lr' is missing"],
    ['sgd', { lr: 1, nesterov: 1 }, "sgd: hyper-parameter 'nesterov' is 1; expected a boolean"],
    [
      'sgd',
      { lr: 1, nesterov: true },
      'sgd: nesterov with momentum 0 and dampening 0; expected momentum > 0',
    ],
    ['sgd', { lr: 1, momentum: 0.9 }, "sgd: state 'momentum_buffer' was not passed"],
  ] as const)('%s %j throws', (algorithm, hyper, message) => {
    expect(() =>
      hostOptimizerStep(algorithm, hyper, 1, p(), 'float32', p(), 'float32', {}),
    ).toThrow(message);
  });

  it('checks sizes, dtypes and the step', () => {
    expect(() =>
      hostOptimizerStep('sgd', { lr: 1 }, 1, p(), 'float32', new Float32Array(3), 'float32', {}),
    ).toThrow(ShapeMismatchError);
    expect(() =>
      hostOptimizerStep('sgd', { lr: 1 }, 1, new Int32Array(2), 'int32', p(), 'float32', {}),
    ).toThrow(DtypeError);
    expect(() =>
      hostOptimizerStep('sgd', { lr: 1 }, 0, p(), 'float32', p(), 'float32', {}),
    ).toThrow('step 0; expected an integer >= 1');
  });

  it('registerUpdateRule adds an algorithm and refuses a different rule under a taken name', () => {
    const signSgd: UpdateRule = {
      hyper: { lr: undefined },
      update(ctx) {
        for (let i = 0; i < ctx.param.length; i++)
          ctx.param[i] = ctx.round(ctx.param[i] - ctx.num('lr') * Math.sign(ctx.grad[i]));
      },
    };
    registerUpdateRule('test-sign-sgd', signSgd);
    registerUpdateRule('test-sign-sgd', signSgd);
    expect(updateRuleNames()).toContain('test-sign-sgd');
    const param = new Float32Array([1, 1]);
    hostOptimizerStep(
      'test-sign-sgd',
      { lr: 0.25 },
      1,
      param,
      'float32',
      new Float32Array([-3, 2]),
      'float32',
      {},
    );
    expect(Array.from(param)).toEqual([1.25, 0.75]);
    expect(() => registerUpdateRule('sgd', signSgd)).toThrow(
      "algorithm 'sgd' is already registered",
    );
  });
});
