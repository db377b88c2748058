import type { Backend, Storage } from '../backend/backend.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { attachStorage, type ReleaseRequest, realizeNodes } from '../graph/realize.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import type { Optimizer } from './optimizer.js';

/** Options of `enableGradientRelease`. */
export interface GradientReleaseOptions {
  /**
   * Called before each parameter's update; returning `false` skips it and KEEPS the gradient
   * (`p.grad` stays set, realized), e.g. to step some parameters on another schedule.
   */
  readonly preStep?: (param: Tensor) => boolean;
  /** Where the `step()` / `zeroGrad()` no-op warnings go (default `console.warn`). */
  readonly warn?: (message: string) => void;
}

const RELEASE_OPTIONS = optionSpec<GradientReleaseOptions>({
  preStep: 'function',
  warn: 'function',
});

/** Per optimizer: the active handle (read by `Optimizer.step` / `zeroGrad` to become no-ops). */
const handles = new WeakMap<Optimizer, GradientReleaseHandle>();

/** The active gradient-release handle of `optimizer`, if any. */
export function gradientReleaseOf(optimizer: Optimizer): GradientReleaseHandle | undefined {
  return handles.get(optimizer);
}

/**
 * What the optimizer's `step()` / `zeroGrad()` call instead of working while release is active:
 * the warning sink, or `undefined` when release is off.
 */
export function releaseWarningOf(optimizer: Optimizer): ((message: string) => void) | undefined {
  return handles.get(optimizer)?.warn;
}

/**
 * Gradient release on one model and optimizer: `realize` computes a step in one backend run
 * and, inside that run, updates each parameter as soon as its gradient is complete and frees
 * the gradient, so the step never holds every gradient at once (peak memory drops by about
 * the gradients' size). Obtain it from `enableGradientRelease`.
 */
export class GradientReleaseHandle {
  readonly #model: Module;
  readonly #optimizer: Optimizer;
  readonly #params: readonly Tensor[];
  readonly #preStep: ((param: Tensor) => boolean) | undefined;
  /** The warning sink of the optimizer's no-op `step()` / `zeroGrad()`. */
  readonly warn: (message: string) => void;
  #active = true;

  /** @internal Use `enableGradientRelease`. */
  constructor(
    model: Module,
    optimizer: Optimizer,
    params: readonly Tensor[],
    options: GradientReleaseOptions,
  ) {
    this.#model = model;
    this.#optimizer = optimizer;
    this.#params = params;
    this.#preStep = options.preStep;
    this.warn = options.warn ?? ((message) => console.warn(message));
  }

  /** True until `remove()`: the optimizer's `step()` and `zeroGrad()` are no-ops meanwhile. */
  get active(): boolean {
    return this.#active;
  }

  /** The model whose parameters this handle releases. */
  get model(): Module {
    return this.#model;
  }

  /** Turns release off: `step()` and `zeroGrad()` work again; pending gradients stay. */
  remove(): void {
    if (!this.#active) return;
    this.#active = false;
    handles.delete(this.#optimizer);
  }

  /**
   * Realizes `outputs` in ONE backend run, releasing every pending parameter gradient (a lazy,
   * unrealized `.grad`) as soon as it is ready: the optimizer updates that parameter, then the
   * gradient is freed and `.grad` cleared. A gradient that `preStep` refuses is kept, realized.
   * Tied parameters (one object under several names) are updated once per call.
   */
  async realize(outputs: readonly Tensor[], backend?: Backend): Promise<void> {
    if (!this.#active) {
      throw new MixprecError(
        'gradientRelease.realize: the handle was removed; expected an active handle (call enableGradientRelease again)',
      );
    }
    const requests: ReleaseRequest[] = [];
    for (const p of this.#params) {
      const g = p.grad;
      if (g === undefined || g.node.realized !== undefined || g.node.op === 'input') continue;
      requests.push({
        node: g.node,
        after: [p.node],
        onReady: (storage, target) => this.#onReady(p, g, storage, target),
      });
    }
    // Lowered in recording order, which is the order backward completes the gradients: each is
    // computed (and released) before the next one's work starts.
    requests.sort((a, b) => a.node.id - b.node.id);
    const home = backend ?? this.#params.find((p) => p.node.realized)?.node.realized?.backend;
    await realizeNodes(
      outputs.map((t) => t.node),
      home,
      { release: requests },
    );
  }

  async #onReady(p: Tensor, g: Tensor, storage: Storage, backend: Backend): Promise<void> {
    attachStorage(g.node, backend, storage);
    if (this.#preStep !== undefined && this.#preStep(p) === false) return;
    await this.#optimizer.stepParamNow(p, g);
    if (p.grad === g) p.grad = undefined;
    g.dispose();
  }
}

/**
 * Turns on gradient release (FlashOptim's `enable_gradient_release`): each parameter is
 * updated during the run that computes its gradient and the gradient is freed at once, so
 * gradients never all live together. Every `requiresGrad` parameter of `model` (tied ones
 * once) must belong to `optimizer`. While active, `optimizer.step()` and `zeroGrad()` warn and
 * do nothing. Not compatible with gradient accumulation over micro-batches, global gradient
 * clipping or loss scaling (each needs every gradient before any update).
 *
 * A manual loop:
 * ```ts
 * const release = enableGradientRelease(model, optimizer);
 * for (const batch of data) {
 *   const loss = lossOf(model, batch);
 *   loss.backward();
 *   await release.realize([loss]); // no optimizer.step()
 * }
 * ```
 * The `Trainer` does this by itself when the optimizer has an active handle.
 */
export function enableGradientRelease(
  model: Module,
  optimizer: Optimizer,
  options: GradientReleaseOptions = {},
): GradientReleaseHandle {
  options = checkOptions('enableGradientRelease', options, RELEASE_OPTIONS);
  if (handles.has(optimizer)) {
    throw new MixprecError(
      `enableGradientRelease: ${optimizer.name} already has gradient release enabled; expected it once per optimizer (remove() the first handle)`,
    );
  }
  const params: Tensor[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (!p.requiresGrad) continue;
    if (optimizer.groupOf(p) === undefined) {
      throw new MixprecError(
        `enableGradientRelease: parameter '${name}' ${p.dtype}[${p.shape.join(',')}] is not in the ${optimizer.name} optimizer; expected every trainable parameter of the model in its param groups`,
      );
    }
    params.push(p);
  }
  const handle = new GradientReleaseHandle(model, optimizer, params, options);
  handles.set(optimizer, handle);
  return handle;
}
