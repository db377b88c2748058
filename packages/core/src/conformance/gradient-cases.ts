import type { GradcheckOptions } from '../autograd/gradcheck.js';
import type { DifferentiableOp } from '../ops/catalogue.js';
import { fromArray } from '../tensor/creation.js';
import { concat } from '../tensor/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Random } from '../util/random.js';

/**
 * The gradient checks of every differentiable op: small float64 functions with their input
 * shapes and value ranges, checked by `gradcheck` (central differences). Variants cover
 * broadcasting, keepdims, batched matmul and ties. `satisfies Record<DifferentiableOp, …>`:
 * an op marked differentiable in the catalogue is a compile error here until it is checked.
 */
export interface GradCase {
  readonly label: string;
  readonly shapes: readonly (readonly number[])[];
  readonly fn: (...xs: Tensor[]) => Tensor;
  /** Draws element `j` of input `k` (default uniform in [−2, 2)). */
  readonly draw?: (rng: Random, k: number, j: number) => number;
  /** Overrides of the gradcheck options (eps, tolerances, which inputs). */
  readonly options?: Pick<GradcheckOptions, 'eps' | 'rtol' | 'atol' | 'wrt'>;
}

const uniform = (lo: number, hi: number) => (rng: Random) => lo + (hi - lo) * rng.uniform();
/** Values at least 0.1 away from 0, for ops with a kink there. */
const awayFromZero = (rng: Random) => (rng.uniform() < 0.5 ? -1 : 1) * (0.1 + 1.9 * rng.uniform());
/** Pairs that tie on even positions: central differences see a tie as ½, the rule's split. */
const tiesOnEven = (rng: Random, _k: number, j: number) =>
  j % 2 === 0 ? 0.25 * (j + 1) : uniform(-2, 2)(rng);

const unaryCase = (label: string, fn: (x: Tensor) => Tensor, draw?: GradCase['draw']) => ({
  label,
  shapes: [[3, 4]],
  fn,
  draw,
});

/** The plain same-shape case plus broadcasting from [4] and [3,1] against [2,3,4]. */
function binaryCases(
  op: string,
  fn: (a: Tensor, b: Tensor) => Tensor,
  draw?: GradCase['draw'],
): GradCase[] {
  return [
    {
      label: `${op} same shape`,
      shapes: [
        [3, 4],
        [3, 4],
      ],
      fn,
      draw,
    },
    { label: `${op} [2,3,4] with [4]`, shapes: [[2, 3, 4], [4]], fn, draw },
    {
      label: `${op} [3,1] with [2,3,4]`,
      shapes: [
        [3, 1],
        [2, 3, 4],
      ],
      fn,
      draw,
    },
  ];
}

const positive = uniform(0.5, 2);
const GATHER_INDICES = [2, 0, 2, 3, 2];
const WHERE_MASK = [true, false, false, true, true, false, true, false, false, false, true, true];

/** Every differentiable op's checks. */
export const GRAD_CASES = {
  // x·3 on multiples of 2^-8 (and a step of 2^-10) is exact in float32, so the float32 round
  // trip is exactly differentiable with gradient 3 and central differences are exact too.
  cast: [
    {
      label: 'cast f64→f32→f64',
      shapes: [[6]],
      fn: (x) => x.cast('float32').mul(3).cast('float64'),
      draw: (rng) => Math.round(uniform(-4, 4)(rng) * 256) / 256,
      options: { eps: 2 ** -10 },
    },
  ],
  neg: [unaryCase('neg', (x) => x.neg())],
  abs: [unaryCase('abs', (x) => x.abs(), awayFromZero)],
  exp: [unaryCase('exp', (x) => x.exp())],
  log: [unaryCase('log', (x) => x.log(), positive)],
  sqrt: [unaryCase('sqrt', (x) => x.sqrt(), positive)],
  rsqrt: [unaryCase('rsqrt', (x) => x.rsqrt(), positive)],
  relu: [unaryCase('relu', (x) => x.relu(), awayFromZero)],
  gelu: [
    unaryCase('gelu(none)', (x) => x.gelu(), uniform(-4, 4)),
    unaryCase('gelu(tanh)', (x) => x.gelu({ approximate: 'tanh' }), uniform(-4, 4)),
  ],
  tanh: [unaryCase('tanh', (x) => x.tanh())],
  sigmoid: [unaryCase('sigmoid', (x) => x.sigmoid(), uniform(-4, 4))],

  add: binaryCases('add', (a, b) => a.add(b)),
  sub: binaryCases('sub', (a, b) => a.sub(b)),
  mul: binaryCases('mul', (a, b) => a.mul(b)),
  div: binaryCases(
    'div',
    (a, b) => a.div(b),
    (rng, k) => (k === 0 ? uniform(-2, 2)(rng) : positive(rng)),
  ),
  pow: [
    ...binaryCases(
      'pow',
      (a, b) => a.pow(b),
      (rng, k) => (k === 0 ? positive(rng) : uniform(-2, 2)(rng)),
    ),
    {
      // a < 0 with integer exponents: real-valued, and only the base gradient exists there.
      label: 'pow negative base, integer exponent (wrt base)',
      shapes: [[6], [6]],
      fn: (a, b) => a.pow(b),
      draw: (rng, k, j) => (k === 0 ? -positive(rng) : [2, 3, -1, -2, 1, 0][j]),
      options: { wrt: [0] },
    },
  ],
  maximum: [
    ...binaryCases('maximum', (a, b) => a.maximum(b)),
    { label: 'maximum ties', shapes: [[8], [8]], fn: (a, b) => a.maximum(b), draw: tiesOnEven },
  ],
  minimum: [
    ...binaryCases('minimum', (a, b) => a.minimum(b)),
    { label: 'minimum ties', shapes: [[8], [8]], fn: (a, b) => a.minimum(b), draw: tiesOnEven },
  ],

  where: [
    {
      label: 'where [3,4] mask, a [3,4], b [4]',
      shapes: [[3, 4], [4]],
      fn: (a, b) => a.where(fromArray(WHERE_MASK, { dtype: 'bool', shape: [3, 4] }), b),
    },
  ],

  sum: [
    { label: 'sum all', shapes: [[3, 4]], fn: (x) => x.sum() },
    { label: 'sum axis 1', shapes: [[2, 3, 4]], fn: (x) => x.sum(1) },
    { label: 'sum axes [0,2] keepdims', shapes: [[2, 3, 4]], fn: (x) => x.sum([0, 2], true) },
  ],
  mean: [
    { label: 'mean all', shapes: [[3, 4]], fn: (x) => x.mean() },
    { label: 'mean axis -1 keepdims', shapes: [[2, 3, 4]], fn: (x) => x.mean(-1, true) },
  ],
  max: [
    { label: 'max axis 1', shapes: [[3, 4]], fn: (x) => x.max(1) },
    { label: 'max axes [0,2] keepdims', shapes: [[2, 3, 4]], fn: (x) => x.max([0, 2], true) },
    {
      // Two-way ties: amax gives each ½, which is also what central differences see.
      label: 'max axis 1 with two-way ties',
      shapes: [[2, 4]],
      fn: (x) => x.max(1),
      draw: (_rng, _k, j) => [1, 3, 3, -2, 0.5, 0.5, -1, 0.25][j],
    },
  ],

  reshape: [{ label: 'reshape [2,3,4]→[4,6]', shapes: [[2, 3, 4]], fn: (x) => x.reshape([4, 6]) }],
  permute: [{ label: 'permute [2,0,1]', shapes: [[2, 3, 4]], fn: (x) => x.permute([2, 0, 1]) }],
  expand: [{ label: 'expand [3,1]→[2,3,4]', shapes: [[3, 1]], fn: (x) => x.expand([2, 3, 4]) }],
  slice: [
    {
      label: 'slice [0:2, 1:3, 0:4:2]',
      shapes: [[2, 3, 4]],
      fn: (x) => x.slice([0, 1, 0], [2, 3, 4], [1, 1, 2]),
    },
  ],
  concat: [
    {
      label: 'concat axis 1 of three',
      shapes: [
        [2, 3],
        [2, 1],
        [2, 2],
      ],
      fn: (a, b, c) => concat([a, b, c], 1),
    },
  ],
  gather: [
    {
      label: 'gather axis 1 with repeated indices',
      shapes: [[2, 4, 3]],
      fn: (x) => x.gather(fromArray(Int32Array.from(GATHER_INDICES)), 1),
    },
  ],

  matmul: [
    {
      label: 'matmul [3,4]@[4,2]',
      shapes: [
        [3, 4],
        [4, 2],
      ],
      fn: (a, b) => a.matmul(b),
    },
    {
      label: 'matmul [2,3,4]@[4,2]',
      shapes: [
        [2, 3, 4],
        [4, 2],
      ],
      fn: (a, b) => a.matmul(b),
    },
    {
      label: 'matmul [2,1,3,4]@[3,4,2]',
      shapes: [
        [2, 1, 3, 4],
        [3, 4, 2],
      ],
      fn: (a, b) => a.matmul(b),
    },
  ],

  softmax: [
    { label: 'softmax axis -1', shapes: [[3, 4]], fn: (x) => x.softmax(-1) },
    { label: 'softmax axis 0', shapes: [[3, 4]], fn: (x) => x.softmax(0) },
  ],
  logSoftmax: [
    { label: 'logSoftmax axis -1', shapes: [[3, 4]], fn: (x) => x.logSoftmax(-1) },
    { label: 'logSoftmax axis 0', shapes: [[3, 4]], fn: (x) => x.logSoftmax(0) },
  ],
} satisfies Record<DifferentiableOp, readonly GradCase[]>;

/** The inputs of a case, drawn from `rng`. */
export function gradCaseInputs(
  c: GradCase,
  rng: Random,
): { data: Float64Array; shape: readonly number[] }[] {
  return c.shapes.map((shape, k) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const draw = c.draw ?? uniform(-2, 2);
    return { data: Float64Array.from({ length: n }, (_v, j) => draw(rng, k, j)), shape };
  });
}
