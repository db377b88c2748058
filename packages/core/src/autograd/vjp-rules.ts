import type { DifferentiableOp, ReduceAttrs } from '../ops/catalogue.js';
import { castTo, where } from '../tensor/elementwise.js';
import { record } from '../tensor/record.js';
import type { Tensor } from '../tensor/tensor.js';
import { unbroadcast } from './unbroadcast.js';
import type { VjpContext, VjpRule } from './vjp-rule.js';

/**
 * One vector-Jacobian-product rule per differentiable op of the catalogue (`satisfies` a
 * mapped type over `DifferentiableOp`, so an op marked differentiable without a rule is a
 * compile error). Rules record ordinary lazy ops in the dtype of the forward node, so the
 * backward of a half forward computes in that half dtype (as torch does); geluGrad and
 * gatherGrad are fused ops that compute in float64 and round once.
 *
 * Conventions at non-smooth points follow torch: relu'(0) = 0 and abs'(0) = 0; maximum /
 * minimum split the gradient half-half on ties; max over axes divides the gradient equally
 * among the positions equal to the max (amax). pow's exponent gradient a^b·ln(a) is taken as
 * 0 where a ≤ 0 (torch masks only a = 0 and gives NaN for a < 0; a real-valued ln(a) does
 * not exist there, so mixprec returns 0 rather than a NaN that poisons the whole step), and its
 * base gradient b·a^(b−1) is 0 where b = 0 (torch's mask, which avoids 0·∞ at a = 0).
 */

/** The input's shape with the reduced axes kept as 1. */
function keptShape(shape: readonly number[], { axes }: ReduceAttrs): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** A reduction's output or gradient reshaped to keepdims form, so it broadcasts against the input. */
function kept(t: Tensor, inputShape: readonly number[], attrs: ReduceAttrs): Tensor {
  return attrs.keepdims ? t : t.reshape(keptShape(inputShape, attrs));
}

/** Binary rules: each gradient is summed back over the axes its operand was broadcast along. */
function binaryGrads(
  { inputs, needs }: VjpContext<DifferentiableOp>,
  da: () => Tensor,
  db: () => Tensor,
): (Tensor | undefined)[] {
  return [
    needs[0] ? unbroadcast(da(), inputs[0].shape) : undefined,
    needs[1] ? unbroadcast(db(), inputs[1].shape) : undefined,
  ];
}

/** maximum (`pick` = gt) or minimum (`pick` = lt): the winner takes g, a tie gives each g/2. */
function extremumGrads(ctx: VjpContext<'maximum' | 'minimum'>, pick: 'gt' | 'lt') {
  const [a, b] = ctx.inputs;
  const g = ctx.grad;
  const tie = a.eq(b);
  const share = (winner: Tensor, loser: Tensor) =>
    where(winner[pick](loser), g, where(tie, g.mul(0.5), 0));
  return binaryGrads(
    ctx,
    () => share(a, b),
    () => share(b, a),
  );
}

/** A rule for a one-input op whose gradient is `grad` times something of input x / output y. */
const unary =
  <O extends DifferentiableOp>(f: (g: Tensor, x: Tensor, y: Tensor) => Tensor): VjpRule<O> =>
  ({ grad, inputs, output }) => [f(grad, inputs[0], output)];

/** The table. */
export const VJP_RULES = {
  cast: ({ grad, inputs }) => [castTo(grad, inputs[0].dtype)],

  neg: unary((g) => g.neg()),
  abs: unary((g, x) => where(x.gt(0), g, where(x.lt(0), g.neg(), 0))),
  exp: unary((g, _x, y) => g.mul(y)),
  log: unary((g, x) => g.div(x)),
  sqrt: unary((g, _x, y) => g.div(y.mul(2))),
  // d/dx x^(−1/2) = −½·x^(−3/2) = −½·y³.
  rsqrt: unary((g, _x, y) => g.mul(y.mul(y).mul(y)).mul(-0.5)),
  relu: unary((g, x) => where(x.gt(0), g, 0)),
  gelu: ({ grad, inputs, attrs }) => [
    record('geluGrad', { approximate: attrs.approximate }, [grad, inputs[0]]),
  ],
  tanh: unary((g, _x, y) => g.mul(y.mul(y).neg().add(1))),
  sigmoid: unary((g, _x, y) => g.mul(y).mul(y.neg().add(1))),

  add: (ctx) =>
    binaryGrads(
      ctx,
      () => ctx.grad,
      () => ctx.grad,
    ),
  sub: (ctx) =>
    binaryGrads(
      ctx,
      () => ctx.grad,
      () => ctx.grad.neg(),
    ),
  mul: (ctx) => {
    const [a, b] = ctx.inputs;
    return binaryGrads(
      ctx,
      () => ctx.grad.mul(b),
      () => ctx.grad.mul(a),
    );
  },
  div: (ctx) => {
    const [a, b] = ctx.inputs;
    return binaryGrads(
      ctx,
      () => ctx.grad.div(b),
      // torch's form −g·a/(b·b): no reuse of the rounded quotient.
      () => ctx.grad.mul(a).div(b.mul(b)).neg(),
    );
  },
  pow: (ctx) => {
    const [a, b] = ctx.inputs;
    const g = ctx.grad;
    return binaryGrads(
      ctx,
      () => where(b.eq(0), 0, g.mul(b).mul(a.pow(b.sub(1)))),
      () => where(a.gt(0), g.mul(ctx.output).mul(a.log()), 0),
    );
  },
  maximum: (ctx) => extremumGrads(ctx, 'gt'),
  minimum: (ctx) => extremumGrads(ctx, 'lt'),

  where: ({ grad, inputs, needs }) => {
    const [cond, a, b] = inputs;
    return [
      undefined,
      needs[1] ? unbroadcast(where(cond, grad, 0), a.shape) : undefined,
      needs[2] ? unbroadcast(where(cond, 0, grad), b.shape) : undefined,
    ];
  },

  sum: ({ grad, inputs, attrs }) => [kept(grad, inputs[0].shape, attrs).expand(inputs[0].shape)],
  mean: ({ grad, inputs, attrs }) => {
    const x = inputs[0];
    const count = attrs.axes.reduce((n, a) => n * x.shape[a], 1);
    return [kept(grad, x.shape, attrs).div(count).expand(x.shape)];
  },
  max: ({ grad, inputs, output, attrs }) => {
    const x = inputs[0];
    // Every position equal to the max shares the gradient equally (torch.amax).
    const mask = x.eq(kept(output, x.shape, attrs)).cast(x.dtype);
    const count = mask.sum(attrs.axes, true);
    return [mask.mul(kept(grad, x.shape, attrs).div(count))];
  },

  reshape: ({ grad, inputs }) => [grad.reshape(inputs[0].shape)],
  permute: ({ grad, attrs }) => {
    const inverse = new Array<number>(attrs.perm.length);
    attrs.perm.forEach((p, i) => {
      inverse[p] = i;
    });
    return [grad.permute(inverse)];
  },
  expand: ({ grad, inputs }) => [unbroadcast(grad, inputs[0].shape)],
  slice: ({ grad, inputs, attrs }) => [
    record('sliceGrad', { shape: inputs[0].shape, ...attrs }, [grad]),
  ],
  concat: ({ grad, inputs, attrs, needs }) => {
    let offset = 0;
    return inputs.map((x, i) => {
      const begin = grad.shape.map((_d, k) => (k === attrs.axis ? offset : 0));
      offset += x.shape[attrs.axis];
      if (!needs[i]) return undefined;
      const end = grad.shape.map((d, k) => (k === attrs.axis ? offset : d));
      return grad.slice(begin, end);
    });
  },
  gather: ({ grad, inputs, attrs }) => {
    const [x, indices] = inputs;
    const size = x.shape[attrs.axis];
    return [record('gatherGrad', { axis: attrs.axis, size }, [grad, indices]), undefined];
  },

  // C = A @ B with batch broadcasting: dA = dC @ Bᵀ and dB = Aᵀ @ dC, summed over the batch
  // dims each operand was broadcast along.
  matmul: (ctx) => {
    const [a, b] = ctx.inputs;
    return binaryGrads(
      ctx,
      () => ctx.grad.matmul(b.transpose()),
      () => a.transpose().matmul(ctx.grad),
    );
  },

  softmax: ({ grad, output, attrs }) => [
    output.mul(grad.sub(grad.mul(output).sum(attrs.axis, true))),
  ],
  logSoftmax: ({ grad, output, attrs }) => [grad.sub(output.exp().mul(grad.sum(attrs.axis, true)))],
} satisfies { [O in DifferentiableOp]: VjpRule<O> };

/** Looks up the rule of a differentiable op (the per-op signatures joined into one call). */
export function vjpRule(op: DifferentiableOp): VjpRule<DifferentiableOp> {
  return VJP_RULES[op] as VjpRule<DifferentiableOp>;
}
