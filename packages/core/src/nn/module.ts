import { checkDtype } from '../dtype/check-dtype.js';
import { type DType, isFloatDType } from '../dtype/dtypes.js';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { formatShape } from '../graph/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { Parameter } from './parameter.js';
import { stateValue } from './state-value.js';

/** Chooses which tensors `Module.to` converts: the dotted name, the tensor and its owner. */
export type TensorFilter = (name: string, tensor: Tensor, owner: Module) => boolean;

/** Options of `Module.to` / `Module.cast`. */
export interface ConvertOptions {
  /** Converts only the tensors it accepts (default: every floating parameter and buffer). */
  readonly filter?: TensorFilter;
}

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default true); shape mismatches always are. */
  readonly strict?: boolean;
  /** Converts values to each parameter's dtype instead of rejecting a dtype mismatch. */
  readonly cast?: boolean;
}

/** Options of `Module.registerBuffer`. */
export interface BufferOptions {
  /** Whether `stateDict` includes it (default true). */
  readonly persistent?: boolean;
}

const CONVERT_OPTIONS = optionSpec<ConvertOptions>({ filter: 'function' });
const LOAD_STATE_DICT_OPTIONS = optionSpec<LoadStateDictOptions>({
  strict: 'boolean',
  cast: 'boolean',
});
const BUFFER_OPTIONS = optionSpec<BufferOptions>({ persistent: 'boolean' });

interface BufferEntry {
  tensor: Tensor;
  readonly persistent: boolean;
}

/** A named slot of module state: where to read it and how to rebind it. */
interface StateSlot {
  readonly tensor: Tensor;
  readonly owner: Module;
  readonly set: (t: Tensor) => void;
}

const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

/**
 * Base class of layers and models, like `torch.nn.Module`. Parameters and child modules are
 * discovered from the instance's own enumerable fields in declaration order (a `Parameter`, a
 * `Module`, or an array of them), so a subclass only assigns fields; non-trainable state goes
 * through `registerBuffer`. Names are dotted paths (`'encoder.layers.1.bias'`).
 */
export abstract class Module {
  /** Training mode (dropout active); set by `train()` / `eval()`. */
  training = true;
  // ES-private so that field discovery (Object.entries) never sees it.
  readonly #buffers = new Map<string, BufferEntry>();

  /** The computation; subclasses narrow the arguments (`forward(x: Tensor): Tensor`). */
  abstract forward(...args: Tensor[]): Tensor;

  /**
   * Registers non-trainable state (running statistics, masks). Read it back with `buffer(name)`:
   * `to()` and `loadStateDict` replace the stored tensor, so a copy kept in a field goes stale.
   */
  registerBuffer(name: string, tensor: Tensor, options: BufferOptions = {}): Tensor {
    options = checkOptions('registerBuffer', options, BUFFER_OPTIONS);
    if (name === '' || name.includes('.') || Object.hasOwn(this, name)) {
      throw new MixprecError(
        `registerBuffer: name '${name}'; expected a non-empty name without '.' that is not a field of ${this.constructor.name}`,
      );
    }
    this.#buffers.set(name, { tensor, persistent: options.persistent ?? true });
    return tensor;
  }

  /** The current value of a registered buffer. */
  buffer(name: string): Tensor {
    const entry = this.#buffers.get(name);
    if (!entry) {
      const known = [...this.#buffers.keys()].join(', ') || 'none';
      throw new MixprecError(
        `buffer: '${name}' is not registered on ${this.constructor.name}; registered: ${known}`,
      );
    }
    return entry.tensor;
  }

  /** Own fields that are parameters or modules (arrays flattened to `field.i`), in order. */
  *#ownMembers(): Generator<[string, Parameter | Module]> {
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Parameter || value instanceof Module) {
        yield [key, value];
      } else if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) {
          if (item instanceof Parameter || item instanceof Module) yield [`${key}.${i}`, item];
        }
      }
    }
  }

  /** Direct child modules with their names. */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, m] of this.#ownMembers()) {
      if (m instanceof Module && !seen.has(m)) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }

  /** Direct child modules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module (named `''`) and every descendant, pre-order; shared modules appear once. */
  namedModules(prefix = '', seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      out.push(...child.namedModules(join(prefix, name), seen));
    }
    return out;
  }

  /**
   * Every parameter with its dotted name: each module's own parameters, then its children's
   * (torch's order). A parameter shared by two modules appears once, under its first name.
   */
  namedParameters(): [string, Parameter][] {
    return this.#parameterEntries().map(([name, p]) => [name, p]);
  }

  #parameterEntries(): [string, Parameter, Module][] {
    const seen = new Set<Parameter>();
    const out: [string, Parameter, Module][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, p] of m.#ownMembers()) {
        if (p instanceof Parameter && !seen.has(p)) {
          seen.add(p);
          out.push([join(prefix, name), p, m]);
        }
      }
    }
    return out;
  }

  /** Every parameter (see `namedParameters`). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every registered buffer with its dotted name, persistent or not. */
  namedBuffers(): [string, Tensor][] {
    return this.#bufferSlots(false).map(([name, slot]) => [name, slot.tensor]);
  }

  #bufferSlots(persistentOnly: boolean): [string, StateSlot][] {
    const out: [string, StateSlot][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, entry] of m.#buffers) {
        if (persistentOnly && !entry.persistent) continue;
        const set = (t: Tensor) => {
          entry.tensor = t;
        };
        out.push([join(prefix, name), { tensor: entry.tensor, owner: m, set }]);
      }
    }
    return out;
  }

  #stateSlots(persistentOnly: boolean): [string, StateSlot][] {
    const params = this.#parameterEntries().map(([name, p, owner]): [string, StateSlot] => [
      name,
      { tensor: p, owner, set: (t) => p.assign(t) },
    ]);
    return [...params, ...this.#bufferSlots(persistentOnly)];
  }

  /** Total number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Calls `fn` on every descendant, then on this module (torch's post-order). */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Converts floating parameters and buffers to `dtype` IN PLACE: the same `Parameter`
   * objects point at new (lazy) values, so optimizers and references stay valid. Integer and
   * bool tensors are never converted; `filter` narrows the set further.
   */
  to(dtype: DType, options: ConvertOptions = {}): this {
    checkDtype('Module.to', dtype, { floating: true });
    options = checkOptions('Module.to', options, CONVERT_OPTIONS);
    for (const [name, slot] of this.#stateSlots(false)) {
      const t = slot.tensor;
      if (!isFloatDType(t.dtype) || t.dtype === dtype) continue;
      if (options.filter && !options.filter(name, t, slot.owner)) continue;
      slot.set(stateValue(t, dtype));
    }
    return this;
  }

  /** Same as `to(dtype, options)`. */
  cast(dtype: DType, options: ConvertOptions = {}): this {
    return this.to(dtype, options);
  }

  /**
   * Parameters and persistent buffers by dotted name, as plain tensors on the current values
   * (no copy, like torch's `state_dict()`): an in-place optimizer step shows through, while a
   * later `to()` or `loadStateDict` rebinds the module and leaves these tensors as they were.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, slot] of this.#stateSlots(true)) out[name] = new Tensor(slot.tensor.node);
    return out;
  }

  /**
   * Loads values by dotted name. Everything is checked before anything changes, and every
   * problem (missing / unexpected keys, shape and dtype mismatches) is listed in one
   * `CheckpointError`. Values are copied, so the module never shares storage with `state`
   * (optimizer steps update parameters in place).
   */
  loadStateDict(state: Record<string, Tensor>, options: LoadStateDictOptions = {}): this {
    options = checkOptions('loadStateDict', options, LOAD_STATE_DICT_OPTIONS);
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new CheckpointError(
        `loadStateDict: state is ${state === null ? 'null' : typeof state}; expected an object of Tensors by dotted name (a stateDict())`,
      );
    }
    const strict = options.strict ?? true;
    const slots = new Map(this.#stateSlots(true));
    const problems: string[] = [];
    const missing = [...slots.keys()].filter((k) => !Object.hasOwn(state, k));
    const unexpected = Object.keys(state).filter((k) => !slots.has(k));
    if (strict && missing.length > 0) problems.push(`missing keys [${missing.join(', ')}]`);
    if (strict && unexpected.length > 0)
      problems.push(`unexpected keys [${unexpected.join(', ')}]`);
    const updates: [StateSlot, Tensor][] = [];
    for (const [key, slot] of slots) {
      const value = state[key];
      if (!Object.hasOwn(state, key) || !(value instanceof Tensor)) continue;
      const want = slot.tensor;
      if (formatShape(value.shape) !== formatShape(want.shape)) {
        problems.push(
          `shape mismatch for '${key}': got ${formatShape(value.shape)}, expected ${formatShape(want.shape)}`,
        );
      } else if (value.dtype !== want.dtype && !options.cast) {
        problems.push(
          `dtype mismatch for '${key}': got ${value.dtype}, expected ${want.dtype} (pass { cast: true } to convert)`,
        );
      } else {
        updates.push([slot, stateValue(value, want.dtype)]);
      }
    }
    if (problems.length > 0) {
      throw new CheckpointError(
        `loadStateDict: state does not fit ${this.constructor.name}: ${problems.join('; ')}; expected the keys, shapes and dtypes of its stateDict() (pass { strict: false } to allow missing or unexpected keys)`,
      );
    }
    for (const [slot, value] of updates) slot.set(value);
    return this;
  }
}
