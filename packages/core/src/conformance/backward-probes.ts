import type { OpName } from '../ops/catalogue.js';
import { record } from '../tensor/record.js';
import type { Random } from '../util/random.js';
import { elementwise, type ProbeFactory } from './elementwise-probes.js';
import { erf, erfc } from './expect-math.js';
import { ravel, tabulate } from './host-index.js';
import { type FloatDt, roundTo } from './numerics.js';
import type { HostValues, Probe } from './probe.js';
import { coarseValue, randomValue, uniformValue, values } from './value-pools.js';

/**
 * Probes of the backward ops autograd records (geluGrad, gatherGrad, sliceGrad), checked like
 * any other op: float64 expectations written from the formulas, rounded once to the dtype.
 */

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** gelu'(x) = Φ(x) + x·φ(x), with Φ from erfc on the negative side (no cancellation). */
function geluExactDerivative(x: number): number {
  const cdf = x >= 0 ? 0.5 * (1 + erf(x / Math.SQRT2)) : 0.5 * erfc(-x / Math.SQRT2);
  return cdf + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** d/dx of 0.5·x·(1 + tanh u), u = √(2/π)(x + 0.044715x³), written with tanh directly. */
function geluTanhDerivative(x: number): number {
  const k = Math.sqrt(2 / Math.PI);
  const t = Math.tanh(k * (x + 0.044715 * x ** 3));
  // 1 + t cancels for x ≪ 0; there the derivative is tiny and the inputs below stay ≥ −3.
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
}

const host = (dtype: HostValues['dtype'], shape: readonly number[], v: readonly number[]) => ({
  dtype,
  shape,
  values: v,
});

/** A [2, 3, 4] data shape; gatherGrad scatters into it, sliceGrad pads into it. */
const S3 = [2, 3, 4];

const geluGrad: ProbeFactory = (dtype, rng) => {
  const xs = values(40, () => uniformValue(rng, dtype, -3, 6));
  xs.push(0, -0, 1, -1);
  const dys = xs.map(() => randomValue(rng, dtype, -2, 2));
  return (['none', 'tanh'] as const).map((approximate) =>
    elementwise(dtype, [dys, xs], {
      label: `geluGrad(${approximate})`,
      build: (ts) => record('geluGrad', { approximate }, [ts[0], ts[1]]),
      f: (dy, x) => dy * (approximate === 'tanh' ? geluTanhDerivative(x) : geluExactDerivative(x)),
      compare: 'approx',
    }),
  );
};

/** gatherGrad along axis 1 with a repeated index: the repeated rows' gradients add. */
const gatherGrad: ProbeFactory = (dtype: FloatDt, rng: Random) => {
  const idx = [2, 0, 2, 2];
  const dyShape = [2, 4, 4];
  // Coarse values: the sums of up to three are exact in every float dtype before rounding once.
  const dy = values(32, () => roundTo(coarseValue(rng), dtype));
  const expected = tabulate(S3, ([i, j, k]) =>
    idx.reduce((s, v, p) => (v === j ? s + dy[ravel([i, p, k], dyShape)] : s), 0),
  );
  const probe: Probe = {
    label: 'gatherGrad axis 1, indices [2,0,2,2]',
    inputs: [host(dtype, dyShape, dy), host('int32', [4], idx)],
    build: ([g, i]) => [record('gatherGrad', { axis: 1, size: 3 }, [g, i])],
    expected: [
      host(
        dtype,
        S3,
        expected.map((v) => roundTo(v, dtype)),
      ),
    ],
    compare: 'exact',
    zeroSignFree: true,
  };
  return [probe];
};

/** sliceGrad of `[0:2, 1:3, 0:4:2]`: dy lands on the sliced positions, zeros elsewhere. */
const sliceGrad: ProbeFactory = (dtype, rng) => {
  const dy = values(8, () => randomValue(rng, dtype, -6, 6));
  dy[1] = -0;
  dy[5] = Number.NaN;
  const attrs = { shape: S3, begin: [0, 1, 0], end: [2, 3, 4], step: [1, 1, 2] };
  const expected = tabulate(S3, ([i, j, k]) =>
    j >= 1 && k % 2 === 0 ? dy[ravel([i, j - 1, k / 2], [2, 2, 2])] : 0,
  );
  return [
    {
      label: 'sliceGrad [0:2, 1:3, 0:4:2] of [2,3,4]',
      inputs: [host(dtype, [2, 2, 2], dy)],
      build: ([g]) => [record('sliceGrad', attrs, [g])],
      expected: [host(dtype, S3, expected)],
      compare: 'exact',
    },
  ];
};

/** Factories for the backward ops. */
export const BACKWARD_PROBES = {
  geluGrad,
  gatherGrad,
  sliceGrad,
} satisfies Partial<Record<OpName, ProbeFactory>>;
