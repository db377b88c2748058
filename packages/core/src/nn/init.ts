import type { DType } from '../dtype/dtypes.js';
import { shapeSize } from '../graph/graph.js';
import { fromArray } from '../tensor/creation.js';
import { getDefaultDtype } from '../tensor/default-dtype.js';
import { defaultGenerator } from '../util/random.js';
import { Parameter } from './parameter.js';

// Initial values are drawn on the host from the default generator (in float64, then rounded
// once to the parameter dtype), so `manualSeed(s)` reproduces a model on every backend.

/** A parameter drawn from U(-bound, bound) (torch's kaiming-uniform default for layers). */
export function uniformParameter(
  shape: readonly number[],
  bound: number,
  dtype: DType = getDefaultDtype(),
): Parameter {
  const rng = defaultGenerator();
  const values = new Float64Array(shapeSize(shape));
  for (let i = 0; i < values.length; i++) values[i] = bound * (2 * rng.uniform() - 1);
  return new Parameter(fromArray(values, { dtype, shape }));
}

/** A parameter drawn from N(0, 1) (torch's `Embedding` default). */
export function normalParameter(
  shape: readonly number[],
  dtype: DType = getDefaultDtype(),
): Parameter {
  const rng = defaultGenerator();
  const values = new Float64Array(shapeSize(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return new Parameter(fromArray(values, { dtype, shape }));
}

/** A parameter filled with `value` (LayerNorm's ones and zeros). */
export function constantParameter(
  shape: readonly number[],
  value: number,
  dtype: DType = getDefaultDtype(),
): Parameter {
  return new Parameter(fromArray(new Float64Array(shapeSize(shape)).fill(value), { dtype, shape }));
}
