import type { Backend } from '../backend/backend.js';
import type { DType } from '../dtype/dtypes.js';
import { inputTensor } from '../tensor/creation.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { approxOk, fromStorage, Mismatches, sameValue, showValue, toStorage } from './compare.js';

/** Host values of a graph input or an expected output. */
export interface HostValues {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly number[];
}

/**
 * One graph check: inputs, how to build outputs from them with the tensor API, and the
 * independently computed expected outputs.
 */
export interface Probe {
  /** Names the probe in failure messages, e.g. `sum axes [1]`. */
  readonly label: string;
  readonly inputs: readonly HostValues[];
  readonly build: (inputs: readonly Tensor[]) => readonly Tensor[];
  readonly expected: readonly HostValues[];
  /** `exact`: bits (NaN policy); `approx`: 1 ulp for halves (see `approxOk`). */
  readonly compare: 'exact' | 'approx';
  /** Accept +0 for −0 and back (ops whose zero sign is not portable). */
  readonly zeroSignFree?: boolean;
  /** The inputs behind output element `i`, for failure messages (elementwise probes). */
  readonly describeInput?: (i: number) => string;
}

/**
 * Runs probes on a backend: each probe's outputs are realized in ONE graph run (as a training
 * step would), downloaded, and compared element by element. Tensors are disposed afterwards.
 */
export async function runProbes(
  backend: Backend,
  probes: readonly Probe[],
  into = new Mismatches(),
): Promise<Mismatches> {
  for (const probe of probes) {
    const inputs = probe.inputs.map((x) =>
      inputTensor(toStorage(x.values, x.dtype), x.dtype, x.shape),
    );
    const made: Tensor[] = [];
    try {
      const outputs = probe.build(inputs);
      made.push(...outputs);
      await realize(outputs, backend);
      for (const [k, out] of outputs.entries()) {
        const exp = probe.expected[k];
        const where = outputs.length > 1 ? `${probe.label} output ${k}` : probe.label;
        if (out.dtype !== exp.dtype || out.shape.join(',') !== exp.shape.join(',')) {
          into.problem(
            `${where}: recorded ${out.dtype}[${out.shape}]; expected ${exp.dtype}[${exp.shape}]`,
          );
          continue;
        }
        const got = fromStorage(await out.raw(), out.dtype, exp.values.length, where);
        compareValues(into, where, got, exp, probe);
      }
    } catch (error) {
      into.problem(`${probe.label}: ${errorText(error)}`);
    } finally {
      for (const t of [...inputs, ...made]) if (!t.node.disposed) t.dispose();
    }
  }
  return into;
}

function compareValues(
  into: Mismatches,
  where: string,
  got: readonly number[],
  exp: HostValues,
  probe: Probe,
): void {
  exp.values.forEach((e, i) => {
    const g = got[i];
    const ok =
      probe.compare === 'exact' ? sameValue(g, e, probe.zeroSignFree) : approxOk(g, e, exp.dtype);
    into.check(ok, () => {
      const input = probe.describeInput ? ` input ${probe.describeInput(i)}` : '';
      return `${where} [${i}]${input} got ${showValue(g, exp.dtype)} expected ${showValue(e, exp.dtype)}`;
    });
  });
}

/** The message of a thrown value, with its class name. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
