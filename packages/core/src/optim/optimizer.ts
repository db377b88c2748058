import type { Backend } from '../backend/backend.js';
import type { DType } from '../dtype/dtypes.js';
import { BackendError } from '../errors/backend-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../graph/graph.js';
import type { LazyNode } from '../graph/node.js';
import { realize, Tensor } from '../tensor/tensor.js';
import { checkOptionKeys, checkOptions, optionSpec } from '../util/check-option-keys.js';
import { releaseWarningOf } from './gradient-release.js';
import {
  checkStateDict,
  copyLoadedState,
  type OptimizerStateDict,
  type ParamState,
  type ParamStateDict,
  placeState,
  type StateSlot,
  zerosOf,
} from './optimizer-state.js';

export type {
  OptimizerStateDict,
  ParamGroupState,
  ParamState,
  ParamStateDict,
  StateSlot,
} from './optimizer-state.js';

/** A hyper-parameter value: a number, a flag, or a tuple such as Adam's `betas`. */
export type HyperValue = number | boolean | readonly number[];

/**
 * A parameter group: its tensors and its hyper-parameters under torch's names (`lr`,
 * `weight_decay`, `betas`, ...), so state dicts have torch's layout. Values are mutable:
 * schedulers set `lr`; a scheduler also records the group's `initial_lr` like torch's.
 */
export type ParamGroup<H> = H & { params: Tensor[]; initial_lr?: number };

/** A group as passed to a constructor: its tensors plus the hyper-parameters it overrides. */
export type ParamGroupInput<H> = Partial<H> & { readonly params: Iterable<Tensor> | Tensor };

/** Parameters as passed to a constructor: tensors (one group) or groups. */
export type ParamsInput<H> = Iterable<Tensor> | Iterable<ParamGroupInput<H>>;

/** What a concrete optimizer tells the base class (subclasses are otherwise thin). */
export interface OptimizerSpec<H> {
  /** Class name for messages, e.g. `'SGD'`. */
  readonly name: string;
  /** `Backend.optimizerStep` algorithm, e.g. `'sgd'`. */
  readonly algorithm: string;
  /** Throws torch's error for an invalid value; called for the defaults and for every group. */
  validate(hyper: H): void;
  /** The request's `hyper` under `hostOptimizerStep`'s names. */
  hyper(group: ParamGroup<H>): Record<string, number | boolean>;
  /** State tensors a parameter of `group` needs (torch's names), in the parameter's dtype and shape. */
  stateNames(group: ParamGroup<H>): readonly string[];
  /**
   * Overrides `stateNames` when state tensors differ from the parameter in dtype or shape
   * (e.g. 8-bit codes plus per-group scales): every state tensor of `param` in `group`.
   */
  stateLayout?(group: ParamGroup<H>, param: Tensor): readonly StateSlot[];
}

/** The state layout of `p` in `group`: the spec's own, or `stateNames` shaped like `p`. */
function layoutOf<H>(
  spec: OptimizerSpec<H>,
  group: ParamGroup<H>,
  p: Tensor,
): readonly StateSlot[] {
  if (spec.stateLayout) return spec.stateLayout(group, p);
  const like = { dtype: p.dtype as DType, shape: p.shape };
  return spec.stateNames(group).map((name) => ({ name, ...like }));
}

const ZERO_GRAD_OPTIONS = optionSpec<{ dispose?: boolean }>({ dispose: 'boolean' });

/** Drops keys whose value is `undefined`, so `{ lr: undefined }` keeps the default. */
export function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/**
 * Base class of the optimizers, with torch's `Optimizer` semantics: parameter groups whose
 * values override the defaults, state created lazily on a parameter's first step (zeros in the
 * parameter's dtype, on the parameter's backend), `step`, `zeroGrad`, and `stateDict` /
 * `loadStateDict` in torch's layout. The update itself is the backend primitive
 * `optimizerStep`, applied in place: parameter tensors keep their graph node and storage.
 */
export class Optimizer<H extends { lr: number } = { lr: number }> {
  /** The groups; `lr` and the other values may be changed between steps. */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** The constructor's defaults (after validation). */
  readonly defaults: Readonly<H>;
  readonly #spec: OptimizerSpec<H>;
  readonly #state = new Map<Tensor, ParamState>();
  /** Each parameter's group and global index (gradient release looks one up per parameter). */
  readonly #where = new Map<Tensor, { group: ParamGroup<H>; index: number }>();
  #stepCount = 0;

  constructor(params: ParamsInput<H>, defaults: H, spec: OptimizerSpec<H>) {
    this.#spec = spec;
    spec.validate(defaults);
    this.defaults = Object.freeze({ ...defaults });
    if (params instanceof Tensor || typeof params?.[Symbol.iterator] !== 'function') {
      throw new MixprecError(
        `${spec.name}: params is ${params instanceof Tensor ? 'a Tensor' : typeof params}; expected an iterable of Tensors or of parameter groups ({ params, lr, ... })`,
      );
    }
    const items: unknown[] = [...params];
    if (items.length === 0) {
      throw new MixprecError(`${spec.name}: got an empty parameter list; expected at least one`);
    }
    const groups = items.every((p) => p instanceof Tensor)
      ? [{ params: items as Tensor[] } as unknown as ParamGroupInput<H>]
      : (items as ParamGroupInput<H>[]);
    for (const group of groups) this.addParamGroup(group);
  }

  /** The class name and algorithm, e.g. `SGD` / `sgd`. */
  get name(): string {
    return this.#spec.name;
  }
  get algorithm(): string {
    return this.#spec.algorithm;
  }

  /** Completed `step()` calls (for precision plugins and schedulers). */
  get stepCount(): number {
    return this.#stepCount;
  }

  /** Updates applied to `p` so far (0 before its first step): the step its bias correction uses. */
  paramStep(p: Tensor): number {
    return this.#state.get(p)?.step ?? 0;
  }

  /** The live state tensors of `p` (updated in place by each step), or `undefined` before its first step. */
  stateOf(p: Tensor): Readonly<Record<string, Tensor>> | undefined {
    const state = this.#state.get(p);
    return state && { ...state.tensors };
  }

  /** Adds a group, like torch's `add_param_group` (e.g. to unfreeze layers while training). */
  addParamGroup(input: ParamGroupInput<H>): void {
    const name = this.#spec.name;
    const at = `parameter group ${this.paramGroups.length}`;
    if (typeof input !== 'object' || input === null || !('params' in input)) {
      throw new MixprecError(`${name}: ${at} is ${String(input)}; expected { params, ...hyper }`);
    }
    // A key the optimizer does not know (e.g. camelCase `weightDecay` for `weight_decay`)
    // would be stored and never read.
    checkOptionKeys(
      `${name}: ${at}`,
      input,
      ['params', 'initial_lr', ...Object.keys(this.defaults)],
      {
        noun: 'key',
      },
    );
    if (typeof input.params !== 'object' || input.params === null)
      throw new MixprecError(
        `${name}: ${at} params is ${String(input.params)}; expected a Tensor or an iterable of Tensors`,
      );
    const params = input.params instanceof Tensor ? [input.params] : [...input.params];
    if (params.length === 0) throw new MixprecError(`${name}: ${at} has no params; expected some`);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor))
        throw new MixprecError(`${name}: ${at} params[${i}] is ${String(p)}; expected a Tensor`);
    });
    // A tensor listed twice would be stepped twice per step() call.
    if (new Set(params).size !== params.length)
      throw new MixprecError(`${name}: ${at} lists a parameter twice; expected each once`);
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p)))
      throw new MixprecError(
        `${name}: some parameters appear in more than one parameter group; expected each in one group`,
      );
    const group = { ...this.defaults, ...definedOnly(input), params } as ParamGroup<H>;
    this.#spec.validate(group);
    this.paramGroups.push(group);
    for (const p of params) this.#where.set(p, { group, index: this.#where.size });
  }

  /**
   * One optimizer step over every parameter that has a `grad`: parameters and gradients are
   * realized together in ONE backend run, then `optimizerStep` updates each parameter and its
   * state in place. Parameters without a gradient are skipped (torch's rule). A closure, when
   * given, runs first and its result is returned (torch's `step(closure)`). While gradient
   * release is active for this optimizer, parameters are updated during backward instead:
   * `step` warns and returns `undefined` without running the closure.
   */
  async step<T = undefined>(closure?: () => T | Promise<T>): Promise<T | undefined> {
    const warn = releaseWarningOf(this);
    if (warn !== undefined) {
      warn(
        `${this.#spec.name}.step() does nothing while gradient release is active: each parameter is updated as its gradient is ready (call remove() on the handle to step manually)`,
      );
      return undefined;
    }
    const result = closure === undefined ? undefined : await closure();
    const work: Array<{ p: Tensor; g: Tensor; group: ParamGroup<H>; index: number }> = [];
    let index = 0;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const g = p.grad;
        if (g !== undefined) work.push({ p, g, group, index });
        index++;
      }
    }
    if (work.length > 0) {
      // Host-side gradients go to the backend the parameters already live on.
      const home = work.find(({ p }) => p.node.realized)?.p.node.realized?.backend;
      await realize(
        work.flatMap(({ p, g }) => [p, g]),
        home,
      );
      for (const item of work) await this.#stepParam(item.p, item.g, item.group, item.index);
    }
    this.#stepCount++;
    return result;
  }

  /**
   * Updates ONE parameter now with `grad` (gradient release steps each parameter as its
   * gradient is ready). The same checks and state handling as a `step()`; `p` and `grad` are
   * realized first when needed. Does not count as a `step()` (`stepCount` is unchanged).
   */
  async stepParamNow(p: Tensor, grad: Tensor): Promise<void> {
    const where = this.#where.get(p);
    if (where === undefined) {
      throw new MixprecError(
        `${this.#spec.name}.stepParamNow: the ${p.dtype}[${p.shape.join(',')}] tensor is not a parameter of this optimizer; expected one of its param groups' tensors`,
      );
    }
    await realize([p, grad], p.node.realized?.backend);
    await this.#stepParam(p, grad, where.group, where.index);
  }

  async #stepParam(p: Tensor, g: Tensor, group: ParamGroup<H>, index: number): Promise<void> {
    const { name, algorithm } = this.#spec;
    if (g.shape.join(',') !== p.shape.join(',')) {
      throw new ShapeMismatchError(
        `${name}.step: grad of parameter ${index} has shape ${formatShape(g.shape)}; expected the parameter's ${formatShape(p.shape)}`,
      );
    }
    const param = p.node.realized!;
    const grad = g.node.realized!;
    if (param.backend !== grad.backend) {
      throw new BackendError(
        `${name}.step: parameter ${index} lives on backend '${param.backend.name}' but its grad on '${grad.backend.name}'; expected both on one backend`,
      );
    }
    const state = await this.#ensureState(p, group, param.backend);
    const storages = Object.fromEntries(
      Object.entries(state.tensors).map(([key, t]) => [key, t.node.realized!.storage]),
    );
    const step = state.step + 1;
    await param.backend.optimizerStep({
      algorithm,
      hyper: this.#spec.hyper(group),
      step,
      param: param.storage,
      grad: grad.storage,
      state: storages,
    });
    state.step = step;
  }

  /** The state of `p`, created (zeros) or moved onto `backend` (loaded state) on first use. */
  async #ensureState(p: Tensor, group: ParamGroup<H>, backend: Backend): Promise<ParamState> {
    let state = this.#state.get(p);
    if (state === undefined) {
      state = { step: 0, tensors: {} };
      this.#state.set(p, state);
    }
    for (const slot of layoutOf(this.#spec, group, p)) {
      const t = state.tensors[slot.name];
      state.tensors[slot.name] =
        t === undefined ? zerosOf(slot, backend) : await placeState(t, backend);
    }
    return state;
  }

  /**
   * For optimizers that maintain extra per-parameter state outside `optimizerStep` (e.g.
   * error-correction bits written when weights are imported): the LIVE state of `p`, created as
   * zeros on `backend` when missing. Entries of `tensors` may be replaced by tensors of the same
   * layout.
   */
  protected async liveState(p: Tensor, backend: Backend): Promise<ParamState> {
    const group = this.groupOf(p);
    if (group === undefined)
      throw new MixprecError(`${this.#spec.name}: the tensor is not a parameter of this optimizer`);
    return this.#ensureState(p, group, backend);
  }

  /** The state tensors `p` has (or will have at its first step): names, dtypes, shapes. */
  stateLayoutOf(p: Tensor): readonly StateSlot[] {
    const group = this.groupOf(p);
    if (group === undefined)
      throw new MixprecError(`${this.#spec.name}: the tensor is not a parameter of this optimizer`);
    return layoutOf(this.#spec, group, p);
  }

  /** The group holding `p` (`undefined` when it is not one of the optimizer's parameters). */
  groupOf(p: Tensor): ParamGroup<H> | undefined {
    return this.#where.get(p)?.group;
  }

  /**
   * Drops every parameter's `grad` (torch's `zero_grad(set_to_none=True)`). By default the
   * gradient storages are also freed now rather than when collected, which keeps peak memory
   * down between steps; pass `{ dispose: false }` when other code still reads those tensors.
   * A warning no-op while gradient release is active (gradients are freed as they are used).
   */
  zeroGrad(options: { dispose?: boolean } = {}): void {
    checkOptions(`${this.#spec.name}.zeroGrad`, options, ZERO_GRAD_OPTIONS);
    const warn = releaseWarningOf(this);
    if (warn !== undefined) {
      warn(
        `${this.#spec.name}.zeroGrad() does nothing while gradient release is active: released gradients are freed as soon as their parameter is updated`,
      );
      return;
    }
    const params = this.paramGroups.flatMap((g) => g.params);
    // Never free a parameter (or a grad shared by two parameters twice).
    const keep = new Set<LazyNode>(params.map((p) => p.node));
    for (const p of params) {
      const g = p.grad;
      if (g === undefined) continue;
      p.grad = undefined;
      if (options.dispose !== false && !keep.has(g.node)) {
        keep.add(g.node);
        g.dispose();
      }
    }
  }

  /**
   * torch's layout: `{ state: { [index]: { step, <state name>: Tensor } }, param_groups:
   * [{ ...hyper, params: [indices] }] }`, indices counting parameters across groups in order.
   * State tensors are the live ones (like torch): save them before the next step.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map(({ params, ...hyper }) => {
      // Copies of tuples such as `betas`, so editing the dict cannot change the optimizer.
      const values = Object.fromEntries(
        Object.entries(definedOnly(hyper)).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
      ) as Record<string, HyperValue>;
      const indices = params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return { ...values, params: indices };
    });
    const state: Record<number, ParamStateDict> = {};
    for (const [p, s] of this.#state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { step: s.step, ...s.tensors };
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Restores a `stateDict()`: group and parameter counts, state names, shapes and dtypes are
   * checked first (a `MixprecError` / `ShapeMismatchError` / `DtypeError` that names the entry), so
   * a mismatched dict changes nothing. Group values are replaced by the saved ones (torch).
   * State tensors are copied (the dict stays usable, e.g. by the optimizer it came from); the
   * copies move onto each parameter's backend at its next step. Async because copying a
   * tensor that lives on a backend downloads it.
   */
  async loadStateDict(sd: OptimizerStateDict): Promise<void> {
    const groups = this.paramGroups.map((group, i) => {
      // The saved values over the current ones; the group keeps its own tensors.
      const { params: _indices, ...hyper } = sd?.param_groups?.[i] ?? { params: [] };
      return { merged: { ...group, ...hyper, params: group.params } as ParamGroup<H> };
    });
    const params = this.paramGroups.flatMap((g) => g.params);
    const groupOf = this.paramGroups.flatMap((g, i) => g.params.map(() => groups[i].merged));
    checkStateDict(this.#spec.name, sd, {
      groupSizes: this.paramGroups.map((g) => g.params.length),
      params,
      validate: (i) => this.#spec.validate(groups[i].merged),
      stateLayout: (index) => layoutOf(this.#spec, groupOf[index], params[index]),
    });
    const state = await copyLoadedState(sd, params);
    groups.forEach(({ merged }, i) => {
      Object.assign(this.paramGroups[i], merged);
    });
    this.#state.clear();
    for (const [p, s] of state) this.#state.set(p, s);
  }
}
