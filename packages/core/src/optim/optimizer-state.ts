import type { Backend } from '../backend/backend.js';
import { allocStorage, type DType, type StorageArray } from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';
import { LazyNode } from '../graph/node.js';
import { attachStorage } from '../graph/realize.js';
import { inputTensor } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Optimizer state tensors: creating them on a parameter's backend, and checking and copying
 * a state dict. Split from `optimizer.ts`, which keeps the stepping logic.
 */

/** Per-parameter state: the update count and the state tensors under torch's names. */
export interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
}

/** One parameter's saved state: `step` and torch-named tensors (`exp_avg`, `momentum_buffer`, ...). */
export type ParamStateDict = { readonly step: number; readonly [name: string]: Tensor | number };

/** One saved group: its hyper-parameters and the indices of its parameters. */
export type ParamGroupState = {
  readonly params: readonly number[];
  readonly [key: string]: number | boolean | readonly number[];
};

/** An optimizer state dict in torch's layout. */
export interface OptimizerStateDict {
  readonly state: Readonly<Record<number, ParamStateDict>>;
  readonly param_groups: readonly ParamGroupState[];
}

/** One state tensor of a parameter: its name, dtype and shape. */
export interface StateSlot {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** A zero tensor of `slot`'s dtype and shape held by `backend` (torch's lazy state init). */
export function zerosOf(slot: Omit<StateSlot, 'name'>, backend: Backend): Tensor {
  const size = slot.shape.reduce((n, d) => n * d, 1);
  const storage = backend.upload(allocStorage(slot.dtype, size), slot.dtype, slot.shape);
  const node = new LazyNode('input', [], {}, slot.shape, slot.dtype);
  attachStorage(node, backend, storage);
  return new Tensor(node);
}

/**
 * `t` with its value on `backend`: host data is uploaded into `t`'s own node; a tensor that
 * lives elsewhere (a loaded state someone read meanwhile) is copied over.
 */
export async function placeState(t: Tensor, backend: Backend): Promise<Tensor> {
  const node = t.node;
  if (node.realized?.backend === backend) return t;
  if (node.realized === undefined && node.hostData !== undefined) {
    attachStorage(node, backend, backend.upload(node.hostData, node.dtype, node.shape));
    return t;
  }
  const copy = inputTensor(await t.raw(), t.dtype, t.shape);
  return placeState(copy, backend);
}

/** What `checkStateDict` compares the dict with. */
export interface StateDictTarget {
  readonly groupSizes: readonly number[];
  /** The optimizer's parameters, in state-dict index order. */
  readonly params: readonly Tensor[];
  /** Validates group `i` with the saved values applied (throws torch's error). */
  validate(group: number): void;
  /** State tensors parameter `index` needs under the saved values. */
  stateLayout(index: number): readonly StateSlot[];
}

/** Throws an error naming the first entry of `sd` that does not fit the optimizer. */
export function checkStateDict(
  name: string,
  sd: OptimizerStateDict,
  target: StateDictTarget,
): void {
  const where = `${name}.loadStateDict`;
  if (typeof sd !== 'object' || sd === null || !Array.isArray(sd.param_groups)) {
    throw new MixprecError(`${where}: got ${String(sd)}; expected { state, param_groups }`);
  }
  const { groupSizes, params } = target;
  if (sd.param_groups.length !== groupSizes.length) {
    throw new MixprecError(
      `${where}: the state dict has ${sd.param_groups.length} parameter groups; expected ${groupSizes.length} (the optimizer's)`,
    );
  }
  sd.param_groups.forEach((g, i) => {
    const n = Array.isArray(g?.params) ? g.params.length : -1;
    if (n !== groupSizes[i]) {
      throw new MixprecError(
        `${where}: parameter group ${i} has ${n < 0 ? 'no params list' : `${n} parameters`}; expected ${groupSizes[i]}`,
      );
    }
    target.validate(i);
  });
  if (typeof sd.state !== 'object' || sd.state === null)
    throw new MixprecError(`${where}: state is ${String(sd.state)}; expected an object`);
  for (const [key, entry] of Object.entries(sd.state)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= params.length) {
      throw new MixprecError(
        `${where}: state key '${key}'; expected a parameter index 0..${params.length - 1}`,
      );
    }
    checkEntry(`${where}: state[${index}]`, entry, target.stateLayout(index));
  }
}

function checkEntry(at: string, entry: ParamStateDict, layout: readonly StateSlot[]): void {
  const names = layout.map((s) => s.name);
  if (typeof entry !== 'object' || entry === null)
    throw new MixprecError(`${at} is ${String(entry)}; expected { step, ...tensors }`);
  const step = entry.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0)
    throw new MixprecError(`${at}.step is ${String(step)}; expected an integer >= 0`);
  for (const [key, t] of Object.entries(entry)) {
    if (key === 'step') continue;
    if (!names.includes(key)) {
      throw new MixprecError(
        `${at} has state '${key}'; expected only ${names.length ? names.join(', ') : 'step'}`,
      );
    }
    if (!(t instanceof Tensor))
      throw new MixprecError(`${at}.${key} is ${String(t)}; expected a Tensor`);
    const slot = layout[names.indexOf(key)];
    if (t.shape.join(',') !== slot.shape.join(',')) {
      throw new ShapeMismatchError(
        `${at}.${key} has shape ${formatShape(t.shape)}; expected ${formatShape(slot.shape)}`,
      );
    }
    if (t.dtype !== slot.dtype)
      throw new DtypeError(`${at}.${key} is ${t.dtype}; expected ${slot.dtype}`);
  }
  // A partial state would restart a moment while the bias correction continues from `step`.
  const missing = names.filter((n) => !(n in entry));
  if (step > 0 && missing.length > 0)
    throw new MixprecError(
      `${at} lacks ${missing.join(', ')}; expected all of ${names.join(', ')}`,
    );
}

/** Host copies of every state tensor in `sd` (checked by `checkStateDict` first). */
export async function copyLoadedState(
  sd: OptimizerStateDict,
  params: readonly Tensor[],
): Promise<Map<Tensor, ParamState>> {
  const out = new Map<Tensor, ParamState>();
  for (const [key, entry] of Object.entries(sd.state)) {
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(entry)) {
      if (!(t instanceof Tensor)) continue;
      const host = t.node.hostData;
      // `raw()` downloads into a fresh array; host data is sliced so the copy is ours alone.
      const data: StorageArray =
        t.node.realized === undefined && host !== undefined ? host.slice() : await t.raw();
      tensors[name] = inputTensor(data, t.dtype, t.shape);
    }
    out.set(params[Number(key)], { step: entry.step, tensors });
  }
  return out;
}
