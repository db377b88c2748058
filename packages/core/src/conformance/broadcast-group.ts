import type { Backend, Storage } from '../backend/backend.js';
import type { DType } from '../dtype/dtypes.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { Graph, GraphNode } from '../graph/graph.js';
import { fromArray } from '../tensor/creation.js';
import { record } from '../tensor/record.js';
import { Random } from '../util/random.js';
import { broadcastIndex, broadcastPair, sizeOf, tabulate } from './host-index.js';
import { roundTo } from './numerics.js';
import { errorText, type Probe, runProbes } from './probe.js';
import { type CaseOutcome, type ConformanceCase, fail, pass } from './types.js';

/**
 * The broadcast group: numpy broadcasting of binary ops on assorted shape pairs (scalars,
 * size-1 dims, rank differences, 0-size dims) against an element-by-element index computation,
 * and the errors for shapes and dtypes that do not fit.
 */

const PAIRS: ReadonlyArray<readonly [number[], number[]]> = [
  [
    [3, 1],
    [1, 4],
  ],
  [
    [2, 1, 3],
    [4, 1],
  ],
  [[], [2, 3]],
  [[2, 3], []],
  [[5], [1]],
  [
    [1, 1],
    [3, 1, 2],
  ],
  [
    [0, 3],
    [1, 3],
  ],
  [[2, 0, 1], [3]],
];

const fmt = (shape: readonly number[]) => `[${shape.join(',')}]`;

type BinOp = 'add' | 'sub' | 'mul' | 'maximum' | 'gt';
const OPS: ReadonlyArray<readonly [BinOp, (a: number, b: number) => number]> = [
  ['add', (a, b) => a + b],
  ['sub', (a, b) => a - b],
  ['mul', (a, b) => a * b],
  ['maximum', Math.max],
  ['gt', (a, b) => Number(a > b)],
];

/** Probes of every op on one shape pair and dtype; small integer operands keep results exact. */
function pairProbes(
  sa: number[],
  sb: number[],
  dtype: 'float32' | 'bfloat16',
  rng: Random,
): Probe[] {
  const out = broadcastPair(sa, sb) ?? [];
  const a = Array.from({ length: sizeOf(sa) }, () => Math.floor(rng.uniform() * 15) - 7);
  const b = Array.from({ length: sizeOf(sb) }, () => Math.floor(rng.uniform() * 15) - 7);
  return OPS.map(([op, f]) => ({
    label: `${dtype} ${op} ${fmt(sa)}×${fmt(sb)}`,
    inputs: [
      { dtype, shape: sa, values: a },
      { dtype, shape: sb, values: b },
    ],
    build: ([x, y]) => [record(op, {}, [x, y])],
    expected: [
      {
        dtype: op === 'gt' ? 'bool' : dtype,
        shape: out,
        values: tabulate(out, (idx) =>
          roundTo(f(a[broadcastIndex(idx, sa)], b[broadcastIndex(idx, sb)]), dtype),
        ),
      },
    ],
    compare: 'exact',
  }));
}

function pairCase(sa: number[], sb: number[]): ConformanceCase {
  return {
    id: `broadcast/${fmt(sa)}x${fmt(sb)}`,
    group: 'broadcast',
    async run(ctx) {
      const backend = await ctx.backend();
      const dtypes = (['float32', 'bfloat16'] as const).filter(
        (d) => backend.capabilities.dtypes[d] !== 'unsupported',
      );
      const probes = dtypes.flatMap((d) =>
        pairProbes(sa, sb, d, new Random(sa.length * 10 + sb.length)),
      );
      const m = await runProbes(backend, probes);
      const what = `${OPS.map(([op]) => op).join(', ')} of ${fmt(sa)} and ${fmt(sb)} → ${fmt(broadcastPair(sa, sb) ?? [])} on ${dtypes.join(', ')} vs index computation`;
      return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
    },
  };
}

/** Expects `fn` to throw a ShapeMismatchError whose message contains every string in `names`. */
function expectShapeError(what: string, names: readonly string[], fn: () => unknown): CaseOutcome {
  try {
    fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const missing = names.filter((n) => !message.includes(n));
    if (ShapeMismatchError.isInstance(error) && missing.length === 0)
      return pass(`${what} threw ShapeMismatchError naming ${names.join(' and ')}: ${message}`);
    return fail(
      `${what} threw ${errorText(error)}; expected a ShapeMismatchError naming ${names.join(' and ')}${missing.length ? ` (missing ${missing.join(', ')})` : ''}`,
    );
  }
  return fail(`${what} did not throw; expected a ShapeMismatchError naming ${names.join(' and ')}`);
}

let badGraphs = 0;

/**
 * Runs a hand-built graph `input a, input b, op(a, b) → declared` that is invalid, and expects
 * the backend to reject it with a message naming both offending dtypes or shapes.
 */
async function expectRejected(
  backend: Backend,
  what: string,
  inputs: readonly [DType, number[]][],
  declared: GraphNode,
  names: readonly string[],
): Promise<CaseOutcome> {
  const nodes: GraphNode[] = inputs.map(([dtype, shape]) => ({
    op: 'input',
    inputs: [],
    attrs: {},
    shape,
    dtype,
  }));
  nodes.push(declared);
  const graph: Graph = {
    nodes,
    inputs: [0, 1],
    outputs: [2],
    key: `conformance-bad-graph-${badGraphs++}`,
  };
  const feeds: Storage[] = inputs.map(([dtype, shape]) =>
    backend.upload(
      new (dtype === 'float32' ? Float32Array : Uint16Array)(sizeOf(shape)),
      dtype,
      shape,
    ),
  );
  try {
    const outputs = await backend.run(graph, feeds);
    for (const o of outputs) backend.free(o);
    return fail(`run accepted ${what}; expected it to throw naming ${names.join(' and ')}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const missing = names.filter((n) => !message.includes(n));
    if (missing.length === 0) return pass(`run rejected ${what}: ${errorText(error)}`);
    return fail(
      `run rejected ${what} but the message does not name ${missing.join(', ')}: ${errorText(error)}`,
    );
  } finally {
    for (const f of feeds) backend.free(f);
  }
}

/** The cases of the broadcast group. */
export function broadcastCases(): ConformanceCase[] {
  return [
    ...PAIRS.map(([a, b]) => pairCase(a, b)),
    {
      id: 'broadcast/error/shape',
      group: 'broadcast',
      run: async () =>
        expectShapeError('recording add of [2,3] and [4]', ['[2,3]', '[4]'], () =>
          fromArray([
            [1, 2, 3],
            [4, 5, 6],
          ]).add(fromArray([1, 2, 3, 4])),
        ),
    },
    {
      id: 'broadcast/error/matmul',
      group: 'broadcast',
      run: async () =>
        expectShapeError('recording matmul of [2,3] and [4,5]', ['[2,3]', '[4,5]'], () =>
          fromArray(new Float32Array(6), { shape: [2, 3] }).matmul(
            fromArray(new Float32Array(20), { shape: [4, 5] }),
          ),
        ),
    },
    {
      id: 'broadcast/error/graph-dtype',
      group: 'broadcast',
      async run(ctx) {
        const add: GraphNode = {
          op: 'add',
          inputs: [0, 1],
          attrs: {},
          shape: [4],
          dtype: 'bfloat16',
        };
        return expectRejected(
          await ctx.backend(),
          'a hand-built add of bfloat16[4] and float32[4]',
          [
            ['bfloat16', [4]],
            ['float32', [4]],
          ],
          add,
          ['bfloat16', 'float32'],
        );
      },
    },
    {
      id: 'broadcast/error/graph-shape',
      group: 'broadcast',
      async run(ctx) {
        const add: GraphNode = {
          op: 'add',
          inputs: [0, 1],
          attrs: {},
          shape: [2, 3],
          dtype: 'float32',
        };
        return expectRejected(
          await ctx.backend(),
          'a hand-built add of float32[2,3] and float32[4]',
          [
            ['float32', [2, 3]],
            ['float32', [4]],
          ],
          add,
          ['[2,3]', '[4]'],
        );
      },
    },
  ];
}
