import type { DType } from '../dtype/dtypes.js';
import type { OpName } from '../ops/catalogue.js';
import { record } from '../tensor/record.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Random } from '../util/random.js';
import { geluExact, geluTanhForm, logistic, powC } from './expect-math.js';
import { type FloatDt, FORMATS, roundTo, show } from './numerics.js';
import type { Probe } from './probe.js';
import {
  binaryPairs,
  chainTriples,
  halfUlpAt1,
  randomValue,
  specials,
  uniformValue,
  values,
} from './value-pools.js';

/** Builds the probes of one op case for one float dtype. */
export type ProbeFactory = (dtype: FloatDt, rng: Random) => Probe[];

interface ElementwiseSpec {
  readonly label: string;
  /** Computes the op from the input tensors (same shapes, so element i ↔ element i). */
  readonly build: (inputs: readonly Tensor[]) => Tensor;
  /** The op on decoded input values, in float64. */
  readonly f: (...xs: number[]) => number;
  readonly compare: 'exact' | 'approx';
  readonly zeroSignFree?: boolean;
  /** `bool` for comparisons; otherwise the input dtype. */
  readonly out?: 'bool';
  /** Dtype per input when it differs from the op dtype (where's condition). */
  readonly inputDtypes?: readonly DType[];
}

/**
 * An elementwise probe: expected[i] = f(inputs[i]) computed in float64 and rounded ONCE to the
 * output dtype. For + − × ÷ √ that equals "computed in fp32 and rounded once": fp32 carries
 * more than 2p + 2 bits for both half formats, so rounding twice cannot differ from once.
 */
export function elementwise(
  dtype: FloatDt,
  inputs: readonly number[][],
  spec: ElementwiseSpec,
): Probe {
  const n = inputs[0].length;
  const out: DType = spec.out ?? dtype;
  const expected = Array.from({ length: n }, (_v, i) => {
    const r = spec.f(...inputs.map((x) => x[i]));
    return out === 'bool' ? r : roundTo(r, dtype);
  });
  const dtypes = inputs.map((_x, k) => spec.inputDtypes?.[k] ?? dtype);
  return {
    label: spec.label,
    inputs: inputs.map((v, k) => ({ dtype: dtypes[k], shape: [n], values: v })),
    build: (ts) => [spec.build(ts)],
    expected: [{ dtype: out, shape: [n], values: expected }],
    compare: spec.compare,
    zeroSignFree: spec.zeroSignFree,
    describeInput: (i) =>
      `(${inputs.map((x, k) => (dtypes[k] === 'bool' ? String(x[i]) : show(x[i], dtype))).join(', ')})`,
  };
}

/** Ops without attributes, built generically. */
type PlainOp =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'relu'
  | 'tanh'
  | 'sigmoid'
  | BinaryOp;
type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

const op1 = (op: PlainOp) => (ts: readonly Tensor[]) => record(op, {}, [ts[0]]);
const op2 = (op: BinaryOp) => (ts: readonly Tensor[]) => record(op, {}, [ts[0], ts[1]]);

/** Plain values across the dtype's range plus every special value. */
function widePool(rng: Random, dtype: FloatDt, positive = false): number[] {
  const wide = Math.min(-FORMATS[dtype].emin, 60);
  return [...values(48, () => randomValue(rng, dtype, -wide, wide, positive)), ...specials(dtype)];
}

/** Values uniform in [lo, hi) plus the given extras. */
function rangePool(
  rng: Random,
  dtype: FloatDt,
  lo: number,
  hi: number,
  extra: readonly number[],
): number[] {
  return [
    ...values(48, () => uniformValue(rng, dtype, lo, hi)),
    ...extra.map((v) => roundTo(v, dtype)),
  ];
}

const unary =
  (
    op: PlainOp,
    f: (x: number) => number,
    compare: 'exact' | 'approx',
    pool: (rng: Random, dtype: FloatDt) => number[],
    zeroSignFree = false,
  ): ProbeFactory =>
  (dtype, rng) => [
    elementwise(dtype, [pool(rng, dtype)], { label: op, build: op1(op), f, compare, zeroSignFree }),
  ];

const binary =
  (op: BinaryOp, f: (a: number, b: number) => number, zeroSignFree = false): ProbeFactory =>
  (dtype, rng) => [
    elementwise(dtype, binaryPairs(rng, dtype), {
      label: op,
      build: op2(op),
      f,
      compare: 'exact',
      zeroSignFree,
    }),
  ];

const compare =
  (op: BinaryOp, f: (a: number, b: number) => boolean): ProbeFactory =>
  (dtype, rng) => [
    elementwise(dtype, binaryPairs(rng, dtype), {
      label: op,
      build: op2(op),
      f: (a, b) => Number(f(a, b)),
      compare: 'exact',
      out: 'bool',
    }),
  ];

// exp overflows fp16 beyond ~11.09, so its range reaches past that; elsewhere it stays within
// fp32's normal range (a backend may flush fp32 subnormals).
const expRange = (dtype: FloatDt): [number, number] =>
  dtype === 'float16' ? [-17, 12] : [-80, 88];
const EDGE = [0, -0, Infinity, -Infinity, Number.NaN];

/** Factories for the unary, binary, comparison and select ops. */
export const ELEMENTWISE_PROBES = {
  neg: unary('neg', (x) => -x, 'exact', widePool),
  abs: unary('abs', Math.abs, 'exact', widePool),
  relu: unary('relu', (x) => Math.max(x, 0), 'exact', widePool, true),
  sqrt: unary('sqrt', Math.sqrt, 'exact', (rng, dt) => [...widePool(rng, dt, true), -2, -0]),
  exp: unary('exp', Math.exp, 'approx', (rng, dt) =>
    rangePool(rng, dt, ...expRange(dt), [...EDGE, 1]),
  ),
  log: unary('log', Math.log, 'approx', (rng, dt) => [
    ...widePool(rng, dt, true),
    -1,
    -0,
    0.75,
    1.25,
  ]),
  // rsqrt(−0) is −∞ in IEEE but +∞ through pow(x, −0.5): −0 is left out as not portable.
  rsqrt: unary(
    'rsqrt',
    (x) => 1 / Math.sqrt(x),
    'approx',
    (rng, dt) => [...widePool(rng, dt, true).filter((v) => !Object.is(v, -0)), -4],
  ),
  tanh: unary('tanh', Math.tanh, 'approx', (rng, dt) => rangePool(rng, dt, -6, 6, EDGE)),
  sigmoid: unary('sigmoid', logistic, 'approx', (rng, dt) => rangePool(rng, dt, -20, 20, EDGE)),
  // Both GELU forms; inputs stay ≥ −3 where an fp32 formula 1 + erf(…) is still accurate to
  // well under a half ulp (the limit is the fp32 formula, not the backend).
  gelu: (dtype, rng) => {
    const xs = rangePool(rng, dtype, -3, 8, [0, -0, Number.NaN, 1, -1]);
    return [
      elementwise(dtype, [xs], {
        label: 'gelu(none)',
        build: (ts) => record('gelu', { approximate: 'none' }, [ts[0]]),
        f: geluExact,
        compare: 'approx',
      }),
      elementwise(dtype, [xs], {
        label: 'gelu(tanh)',
        build: (ts) => record('gelu', { approximate: 'tanh' }, [ts[0]]),
        f: geluTanhForm,
        compare: 'approx',
      }),
    ];
  },

  add: binary('add', (a, b) => a + b),
  sub: binary('sub', (a, b) => a - b),
  mul: binary('mul', (a, b) => a * b),
  div: binary('div', (a, b) => a / b),
  // maximum(−0, +0) has no portable zero sign; NaN propagates (torch.maximum).
  maximum: binary('maximum', Math.max, true),
  minimum: binary('minimum', Math.min, true),
  pow: (dtype, rng) => {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 40; i++) {
      a.push(randomValue(rng, dtype, -4, 3, true));
      b.push(uniformValue(rng, dtype, -3, 3));
    }
    // Negative bases only with integer exponents, where the result is real.
    for (let i = 0; i < 12; i++) {
      a.push(randomValue(rng, dtype, -2, 2));
      b.push([2, 3, -1, -2, 0, 1][i % 6]);
    }
    // Edges with one IEEE answer (and 300² overflowing fp16); pow(1, NaN) and pow(NaN, 0)
    // are left out because JS and C disagree on them.
    const edges = [
      [0, 2],
      [0, -1],
      [-0, 3],
      [Number.NaN, 2],
      [Infinity, -2],
      [Infinity, 2],
      [4, 0.5],
      [-8, 1 / 3],
      [300, 2],
    ];
    for (const [x, y] of edges) {
      a.push(roundTo(x, dtype));
      b.push(roundTo(y, dtype));
    }
    return [
      elementwise(dtype, [a, b], { label: 'pow', build: op2('pow'), f: powC, compare: 'approx' }),
    ];
  },

  eq: compare('eq', (a, b) => a === b),
  ne: compare('ne', (a, b) => a !== b),
  lt: compare('lt', (a, b) => a < b),
  le: compare('le', (a, b) => a <= b),
  gt: compare('gt', (a, b) => a > b),
  ge: compare('ge', (a, b) => a >= b),
  where: (dtype, rng) => {
    const [a, b] = binaryPairs(rng, dtype);
    const cond = a.map(() => (rng.uniform() < 0.5 ? 1 : 0));
    return [
      elementwise(dtype, [cond, a, b], {
        label: 'where',
        build: (ts) => record('where', {}, [ts[0], ts[1], ts[2]]),
        f: (c, x, y) => (c ? x : y),
        compare: 'exact',
        inputDtypes: ['bool'],
      }),
    ];
  },
} satisfies Partial<Record<OpName, ProbeFactory>>;

/**
 * The half-rounding trap. a + b alone: fp32 keeps bits the half dtype drops, so the result
 * must be rounded (bf16 add(1, 2^-9) is exactly 1, not 1.001953125). (a + b) − a: with the
 * intermediate rounded it is 0 for those pairs, without it the dropped bits come back. x·y + z
 * for triples where rounding x·y first changes the sum. Catches backends that run half graphs
 * in fp32 and round only at the outputs (ORT's Cast→op→Cast collapse).
 */
export function chainProbes(dtype: 'bfloat16' | 'float16', rng: Random): Probe[] {
  const u = halfUlpAt1(dtype);
  const a = [1, 1, -1, 1 + 2 * u, 2, 1, 4].map((v) => roundTo(v, dtype));
  const b = [u / 2, u, -u / 2, u, u, u / 4, u].map((v) => roundTo(v, dtype));
  const [xs, ys, zs] = chainTriples(rng, dtype, 24);
  return [
    elementwise(dtype, [a, b], {
      label: 'a + b',
      build: op2('add'),
      f: (x, y) => x + y,
      compare: 'exact',
    }),
    elementwise(dtype, [a, b], {
      label: '(a + b) - a',
      build: ([x, y]) => record('sub', {}, [record('add', {}, [x, y]), x]),
      f: (x, y) => roundTo(x + y, dtype) - x,
      compare: 'exact',
    }),
    elementwise(dtype, [xs, ys, zs], {
      label: 'x * y + z',
      build: ([x, y, z]) => record('add', {}, [record('mul', {}, [x, y]), z]),
      f: (x, y, z) => roundTo(x * y, dtype) + z,
      compare: 'exact',
    }),
  ];
}
