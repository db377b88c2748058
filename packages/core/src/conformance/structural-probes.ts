import type { OpName } from '../ops/catalogue.js';
import { arange, full } from '../tensor/creation.js';
import { record } from '../tensor/record.js';
import type { Random } from '../util/random.js';
import type { ProbeFactory } from './elementwise-probes.js';
import { softmaxRow } from './expect-math.js';
import { mapLines, ravel, reduceHost, sizeOf, tabulate } from './host-index.js';
import { type FloatDt, roundTo } from './numerics.js';
import type { HostValues, Probe } from './probe.js';
import { coarseValue, randomValue, uniformValue, values } from './value-pools.js';

/**
 * Probes of the reduce, normalize, shape and source ops. Expected layouts come from
 * `host-index.ts`; expected values are float64 computations rounded once to the dtype.
 */

const SHAPE: readonly number[] = [4, 8];
const host = (dtype: FloatDt, shape: readonly number[], vals: readonly number[]): HostValues => ({
  dtype,
  shape,
  values: vals,
});

/** [4, 8] values on a coarse grid, so sums of a row or column are exact in fp32 (any order). */
function coarseMatrix(rng: Random, dtype: FloatDt): number[] {
  return values(sizeOf(SHAPE), () => roundTo(coarseValue(rng), dtype));
}

type ReduceOp = 'sum' | 'mean' | 'max';

function reduceProbe(
  op: ReduceOp,
  dtype: FloatDt,
  x: number[],
  axes: number[],
  keepdims: boolean,
  tag: string,
): Probe {
  const fn = {
    sum: (g: number[]) => g.reduce((s, v) => s + v, 0),
    mean: (g: number[]) => g.reduce((s, v) => s + v, 0) / g.length,
    max: (g: number[]) => (g.some(Number.isNaN) ? Number.NaN : Math.max(...g)),
  }[op];
  const r = reduceHost(x, SHAPE, axes, keepdims, fn);
  return {
    label: `${op} axes [${axes}]${keepdims ? ' keepdims' : ''} (${tag})`,
    inputs: [host(dtype, SHAPE, x)],
    build: ([t]) => [record(op, { axes, keepdims }, [t])],
    expected: [
      host(
        dtype,
        r.shape,
        r.values.map((v) => roundTo(v, dtype)),
      ),
    ],
    compare: 'exact',
    // The sign of an all-zero sum or max depends on the accumulator's start value.
    zeroSignFree: true,
  };
}

/** sum / mean / max over rows, columns (keepdims) and everything; plus rows with inf and NaN. */
const reduce =
  (op: ReduceOp): ProbeFactory =>
  (dtype, rng) => {
    const x = coarseMatrix(rng, dtype);
    const special = [...x];
    special[3] = Infinity;
    special[8 + 2] = -Infinity;
    special[8 + 5] = Infinity;
    special[16 + 7] = Number.NaN;
    special[24] = 0;
    special[25] = -0;
    return [
      reduceProbe(op, dtype, x, [1], false, 'finite'),
      reduceProbe(op, dtype, x, [0], true, 'finite'),
      reduceProbe(op, dtype, x, [0, 1], false, 'finite'),
      reduceProbe(op, dtype, special, [1], false, 'inf, NaN, ±0'),
    ];
  };

/** softmax / logSoftmax along each axis of a [4, 8] input with a −∞ row entry and a large row. */
const normalize =
  (op: 'softmax' | 'logSoftmax'): ProbeFactory =>
  (dtype, rng) => {
    const x = values(sizeOf(SHAPE), () => uniformValue(rng, dtype, -3, 3));
    x[8 + 1] = -Infinity;
    x[8 + 6] = -Infinity;
    // Row 3 near 1000: exp(1000) overflows fp32, so the max must be subtracted first.
    for (let j = 0; j < 8; j++)
      x[24 + j] = roundTo(1000 - 0.5 * j * (dtype === 'bfloat16' ? 8 : 1), dtype);
    return [1, 0].map((axis) => ({
      label: `${op} axis ${axis}`,
      inputs: [host(dtype, SHAPE, x)],
      build: ([t]) => [record(op, { axis }, [t])],
      expected: [
        host(
          dtype,
          SHAPE,
          mapLines(x, SHAPE, axis, (line) => softmaxRow(line, op === 'logSoftmax')).map((v) =>
            roundTo(v, dtype),
          ),
        ),
      ],
      compare: 'approx' as const,
    }));
  };

/** A [2, 3, 4] input with a few special values: layout ops must copy them untouched. */
function layoutInput(rng: Random, dtype: FloatDt): number[] {
  const x = values(24, () => randomValue(rng, dtype, -6, 6));
  x[1] = -0;
  x[6] = Number.NaN;
  x[11] = Infinity;
  x[17] = -Infinity;
  return x;
}

function layoutProbe(
  dtype: FloatDt,
  label: string,
  inputs: HostValues[],
  build: Probe['build'],
  shape: number[],
  f: (idx: number[]) => number,
): Probe {
  return {
    label,
    inputs,
    build,
    expected: [host(dtype, shape, tabulate(shape, f))],
    compare: 'exact',
  };
}

const S3 = [2, 3, 4];

/** Factories for reduce, normalize, shape and source ops. */
export const STRUCTURAL_PROBES = {
  full: (dtype) => {
    // 1/3 rounds; 65520 overflows fp16 (a tie above max); 1 + 2^-8 is a bf16 tie to even (→ 1).
    const fills = [1 / 3, 65520, 1 + 2 ** -8, 1e-8, -0, Number.NaN, -Infinity, 0.1];
    return [
      {
        label: 'full',
        inputs: [],
        build: () => fills.map((v) => full([2], v, { dtype })),
        expected: fills.map((v) => host(dtype, [2], [roundTo(v, dtype), roundTo(v, dtype)])),
        compare: 'exact',
      },
    ];
  },
  arange: (dtype) => [
    {
      label: 'arange',
      inputs: [],
      // Integers 250..269 are not all bf16 values (spacing 2 above 256), so they round to even.
      build: () => [arange(250, 270, 1, { dtype }), arange(-1, 1, 0.25, { dtype })],
      expected: [
        host(
          dtype,
          [20],
          Array.from({ length: 20 }, (_v, i) => roundTo(250 + i, dtype)),
        ),
        host(
          dtype,
          [8],
          Array.from({ length: 8 }, (_v, i) => roundTo(-1 + 0.25 * i, dtype)),
        ),
      ],
      compare: 'exact',
    },
  ],

  sum: reduce('sum'),
  mean: reduce('mean'),
  max: reduce('max'),

  softmax: normalize('softmax'),
  logSoftmax: normalize('logSoftmax'),

  reshape: (dtype, rng) => {
    const x = layoutInput(rng, dtype);
    return [
      layoutProbe(
        dtype,
        'reshape [4,6]',
        [host(dtype, S3, x)],
        ([t]) => [record('reshape', { shape: [4, 6] }, [t])],
        [4, 6],
        (i) => x[i[0] * 6 + i[1]],
      ),
      layoutProbe(
        dtype,
        'reshape [24]',
        [host(dtype, S3, x)],
        ([t]) => [record('reshape', { shape: [24] }, [t])],
        [24],
        (i) => x[i[0]],
      ),
    ];
  },
  permute: (dtype, rng) => {
    const x = layoutInput(rng, dtype);
    // out[i, j, k] = x[j, k, i] for perm [2, 0, 1] (out dim d is input dim perm[d]).
    return [
      layoutProbe(
        dtype,
        'permute [2,0,1]',
        [host(dtype, S3, x)],
        ([t]) => [record('permute', { perm: [2, 0, 1] }, [t])],
        [4, 2, 3],
        ([i, j, k]) => x[ravel([j, k, i], S3)],
      ),
    ];
  },
  expand: (dtype, rng) => {
    const x = layoutInput(rng, dtype).slice(0, 3);
    return [
      layoutProbe(
        dtype,
        'expand [3,1]→[2,3,4]',
        [host(dtype, [3, 1], x)],
        ([t]) => [record('expand', { shape: S3 }, [t])],
        S3,
        ([, j]) => x[j],
      ),
    ];
  },
  slice: (dtype, rng) => {
    const x = layoutInput(rng, dtype);
    const attrs = { begin: [0, 1, 0], end: [2, 3, 4], step: [1, 1, 2] };
    return [
      layoutProbe(
        dtype,
        'slice [0:2, 1:3, 0:4:2]',
        [host(dtype, S3, x)],
        ([t]) => [record('slice', attrs, [t])],
        [2, 2, 2],
        ([i, j, k]) => x[ravel([i, 1 + j, 2 * k], S3)],
      ),
    ];
  },
  concat: (dtype, rng) => {
    const a = layoutInput(rng, dtype);
    const b = values(8, () => randomValue(rng, dtype, -6, 6));
    const inputs = [host(dtype, S3, a), host(dtype, [2, 1, 4], b)];
    return [
      layoutProbe(
        dtype,
        'concat axis 1',
        inputs,
        ([p, q]) => [record('concat', { axis: 1 }, [p, q])],
        [2, 4, 4],
        ([i, j, k]) => (j < 3 ? a[ravel([i, j, k], S3)] : b[ravel([i, 0, k], [2, 1, 4])]),
      ),
    ];
  },
  gather: (dtype, rng) => {
    const x = layoutInput(rng, dtype);
    const idx1 = [2, 0, 2];
    const idx2 = [3, 1, 0, 3];
    const data = host(dtype, S3, x);
    const ints = (vals: number[], shape: number[]): HostValues => ({
      dtype: 'int32',
      shape,
      values: vals,
    });
    return [
      layoutProbe(
        dtype,
        'gather axis 1',
        [data, ints(idx1, [3])],
        ([t, i]) => [record('gather', { axis: 1 }, [t, i])],
        [2, 3, 4],
        ([i, j, k]) => x[ravel([i, idx1[j], k], S3)],
      ),
      layoutProbe(
        dtype,
        'gather axis 2, [2,2] indices',
        [data, ints(idx2, [2, 2])],
        ([t, i]) => [record('gather', { axis: 2 }, [t, i])],
        [2, 3, 2, 2],
        ([i, j, p, q]) => x[ravel([i, j, idx2[p * 2 + q]], S3)],
      ),
    ];
  },
} satisfies Partial<Record<OpName, ProbeFactory>>;
