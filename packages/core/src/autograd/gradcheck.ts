import type { Backend } from '../backend/backend.js';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { shapeSize } from '../graph/graph.js';
import { inputTensor } from '../tensor/creation.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { Random } from '../util/random.js';
import { gradients } from './gradients.js';

/** One float64 input of a gradient check. */
export interface GradcheckInput {
  readonly data: Float64Array;
  readonly shape: readonly number[];
}

/** Options of `gradcheck`. */
export interface GradcheckOptions {
  /** Backend that computes the autograd gradient (default: a fresh reference backend). */
  readonly backend?: Backend;
  /** Backend for the finite differences (default: a fresh reference backend). */
  readonly reference?: Backend;
  /** Central-difference step (default 1e-6). */
  readonly eps?: number;
  /** Relative tolerance (default 1e-5): |analytic − numeric| ≤ atol + rtol·|numeric|. */
  readonly rtol?: number;
  /** Absolute tolerance (default 1e-6). */
  readonly atol?: number;
  /** Seed of the output weights (default 1). */
  readonly seed?: number;
  /** Indices of the inputs to check (default all). */
  readonly wrt?: readonly number[];
}

/** Outcome of `gradcheck`. */
export interface GradcheckResult {
  readonly ok: boolean;
  /** Number of gradient entries compared. */
  readonly checked: number;
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|); ≤ 1 passes. */
  readonly worst: number;
  /** The first mismatches: input, flat index, analytic and numeric values. */
  readonly mismatches: readonly string[];
}

const MAX_REPORTED = 5;

const isBackend = {
  expected: 'a Backend',
  test: (v: unknown) => typeof (v as Partial<Backend>)?.run === 'function',
};

const GRADCHECK_OPTIONS = optionSpec<GradcheckOptions>({
  backend: isBackend,
  reference: isBackend,
  eps: 'number',
  rtol: 'number',
  atol: 'number',
  seed: 'integer',
  wrt: 'array',
});

/**
 * Checks autograd against central differences. `fn` maps float64 input tensors to a float
 * tensor; a non-scalar output is reduced to L = Σ w·fn(xs) with fixed random weights w (a
 * plain sum would hide gradients that sum to zero, like softmax's). The analytic gradient of
 * L comes from `gradients()` on `options.backend`; the numeric one, (L(x + εe) − L(x − εe)) / 2ε
 * per element, from float64 evaluations on the reference backend (all in one run). Inputs
 * should stay clear of kinks by more than ε.
 */
export async function gradcheck(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly GradcheckInput[],
  options: GradcheckOptions = {},
): Promise<GradcheckResult> {
  options = checkOptions('gradcheck', options, GRADCHECK_OPTIONS);
  const eps = options.eps ?? 1e-6;
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-6;
  const wrt = options.wrt ?? inputs.map((_x, i) => i);
  const own: Backend[] = [];
  const fresh = () => {
    const b = createReferenceBackend({ name: 'gradcheck-reference' });
    own.push(b);
    return b;
  };
  const backend = options.backend ?? fresh();
  const reference = options.reference ?? fresh();
  const toTensors = (datas: readonly Float64Array[]) =>
    datas.map((d, i) => inputTensor(d, 'float64', inputs[i].shape));
  const made: Tensor[] = [];
  try {
    const base = inputs.map((x) => x.data.slice());
    const xs = toTensors(base);
    const y = fn(...xs).cast('float64');
    const rng = new Random(options.seed ?? 1);
    const weights = Float64Array.from({ length: y.size }, () => 0.5 + rng.uniform());
    const weighted = (out: Tensor) =>
      out.mul(inputTensor(weights.slice(), 'float64', out.shape)).sum();
    const grads = gradients(
      weighted(y),
      wrt.map((i) => xs[i]),
    );
    made.push(...xs, ...grads);
    await realize(grads, backend);
    const analytic = await Promise.all(grads.map(async (g) => Float64Array.from(await g.data())));

    const perturbed: Tensor[] = [];
    for (const i of wrt) {
      for (let j = 0; j < shapeSize(inputs[i].shape); j++) {
        for (const sign of [1, -1]) {
          const datas = base.map((d) => d.slice());
          datas[i][j] += sign * eps;
          perturbed.push(weighted(fn(...toTensors(datas)).cast('float64')));
        }
      }
    }
    made.push(...perturbed);
    await realize(perturbed, reference);
    const values = await Promise.all(perturbed.map(async (t) => (await t.data())[0]));

    const mismatches: string[] = [];
    let worst = 0;
    let checked = 0;
    let at = 0;
    wrt.forEach((i, k) => {
      for (let j = 0; j < analytic[k].length; j++) {
        const numeric = (values[at] - values[at + 1]) / (2 * eps);
        at += 2;
        const a = analytic[k][j];
        const ratio = Math.abs(a - numeric) / (atol + rtol * Math.abs(numeric));
        checked++;
        // NaN compares false: a NaN on either side is a mismatch.
        if (!(ratio <= 1)) {
          worst = Number.isNaN(ratio) ? Number.NaN : Math.max(worst, ratio);
          if (mismatches.length < MAX_REPORTED)
            mismatches.push(`input ${i} [${j}]: autograd ${a}, central difference ${numeric}`);
        } else if (!Number.isNaN(worst)) worst = Math.max(worst, ratio);
      }
    });
    return { ok: mismatches.length === 0, checked, worst, mismatches };
  } finally {
    // Storages on a caller's backend are freed now rather than whenever the GC runs.
    for (const t of made) if (!t.node.disposed) t.dispose();
    for (const b of own) await b.dispose();
  }
}
