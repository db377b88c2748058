import { describe, expect, it } from 'vitest';
import { GRAD_CASES, type GradCase, gradCaseInputs } from '../conformance/gradient-cases.js';
import { seedOf } from '../conformance/ops-group.js';
import type { DifferentiableOp } from '../ops/catalogue.js';
import { fromArray } from '../tensor/creation.js';
import { realize } from '../tensor/tensor.js';
import { Random } from '../util/random.js';
import { gradcheck } from './gradcheck.js';
import { gradients } from './gradients.js';

// Every variant of every differentiable op (broadcasting, keepdims, batched matmul, ties)
// against central differences in float64 on the reference backend.
const variants = (Object.keys(GRAD_CASES) as DifferentiableOp[]).flatMap((op) =>
  (GRAD_CASES[op] as readonly GradCase[]).map((c) => ({ op, label: c.label, c })),
);

describe('VJP rules match central differences', () => {
  it.each(variants)('$op: $label', async ({ label, c }) => {
    const r = await gradcheck(c.fn, gradCaseInputs(c, new Random(seedOf(label))), c.options);
    expect(r.mismatches).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBeGreaterThan(0);
  });
});

/** d(sum f(x))/dx for host values, through gradients() on the reference backend. */
async function gradOf(
  f: (x: ReturnType<typeof fromArray>) => ReturnType<typeof fromArray>,
  values: number[],
) {
  const x = fromArray(Float64Array.from(values));
  const [g] = gradients(f(x).sum(), [x]);
  await realize([g]);
  return Array.from(await g.data());
}

describe('conventions at non-smooth points (torch)', () => {
  it('relu and abs have gradient 0 at 0', async () => {
    expect(await gradOf((x) => x.relu(), [-1, 0, 2])).toEqual([0, 0, 1]);
    expect(await gradOf((x) => x.abs(), [-1, 0, 2])).toEqual([-1, 0, 1]);
  });

  it('maximum / minimum split a tie half-half', async () => {
    const a = fromArray(Float64Array.from([1, 2, 3]));
    const b = fromArray(Float64Array.from([1, 5, 0]));
    const [ga, gb] = gradients(a.maximum(b).sum(), [a, b]);
    const [ma, mb] = gradients(a.minimum(b).sum(), [a, b]);
    await realize([ga, gb, ma, mb]);
    expect(Array.from(await ga.data())).toEqual([0.5, 0, 1]);
    expect(Array.from(await gb.data())).toEqual([0.5, 1, 0]);
    expect(Array.from(await ma.data())).toEqual([0.5, 1, 0]);
    expect(Array.from(await mb.data())).toEqual([0.5, 0, 1]);
  });

  it('max over axes divides the gradient among all positions equal to the max', async () => {
    expect(await gradOf((x) => x.max(), [2, 7, 7, 1, 7])).toEqual([0, 1 / 3, 1 / 3, 0, 1 / 3]);
  });

  it("pow's exponent gradient is 0 where the base is <= 0, and the base gradient 0 where b = 0", async () => {
    const a = fromArray(Float64Array.from([-2, 0, 2, 0]));
    const b = fromArray(Float64Array.from([2, 2, 3, 0]));
    const [ga, gb] = gradients(a.pow(b).sum(), [a, b]);
    await realize([ga, gb]);
    expect(Array.from(await ga.data())).toEqual([-4, 0, 12, 0]);
    expect(Array.from(await gb.data())).toEqual([0, 0, 8 * Math.log(2), 0]);
  });
});
