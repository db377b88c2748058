import { checkDtype } from '../dtype/check-dtype.js';
import { type DType, isFloatDType } from '../dtype/dtypes.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { Tensor } from '../tensor/tensor.js';
import { checkOptions, optionSpec } from '../util/check-option-keys.js';
import { Module } from './module.js';

/**
 * A layer selector for `castModel`: a glob over the module's dotted name from
 * `namedModules()` (root `''`; `*` any run of characters, dots included; `?` one character;
 * `[abc]` a set, as Python's fnmatch), or a module object matched by identity.
 */
export type LayerSpec = string | Module;

/** Options of `castModel`. */
export interface CastModelOptions {
  /** The half dtype parameters go to (default `'bfloat16'`). */
  readonly dtype?: DType;
  /**
   * Keep batch-statistics normalization layers (a module class with `static keepsFp32 = true`,
   * e.g. a user's BatchNorm) in fp32, as flashoptim does for BatchNorm / InstanceNorm. Core's
   * `LayerNorm` is cast, like flashoptim casts LayerNorm, GroupNorm and RMSNorm. Default true.
   */
  readonly selective?: boolean;
  /**
   * Layers kept in fp32 whose output also stays fp32 (e.g. a classification head). Their
   * floating positional inputs are cast to fp32 on entry.
   */
  readonly fullPrecisionLayers?: readonly LayerSpec[];
  /**
   * Layers kept in fp32 inside a half model: inputs are cast to fp32 on entry and floating
   * outputs back to `dtype`, so the next layer sees the model's dtype.
   */
  readonly fullPrecisionRecastLayers?: readonly LayerSpec[];
  /** Also keeps individual tensors by dotted name (e.g. `FlashPrecision`'s `keepFp32`). */
  readonly keepTensor?: (name: string) => boolean;
}

const CAST_MODEL_OPTIONS = optionSpec<CastModelOptions>({
  dtype: 'any',
  selective: 'boolean',
  fullPrecisionLayers: 'array',
  fullPrecisionRecastLayers: 'array',
  keepTensor: 'function',
});

/** Marks a module whose forward `castModel` already wrapped (wrap once, like flashoptim). */
const FP32_INPUT_HOOK = Symbol('mixprec.castModel.fp32InputHook');

/** fnmatch-style glob → anchored regular expression. */
function fnmatchRegExp(pattern: string): RegExp {
  let body = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') body += '.*';
    else if (c === '?') body += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) body += '\\[';
      else {
        const set = pattern.slice(i + 1, end);
        body += set.startsWith('!') ? `[^${set.slice(1)}]` : `[${set}]`;
        i = end;
      }
    } else body += c.replace(/[\\^$.+()[\]{}|]/g, '\\$&');
  }
  return new RegExp(`^${body}$`, 's');
}

/** The modules `specs` select, by name glob or identity; a spec of another kind is an error. */
function selectLayers(named: readonly [string, Module][], specs: readonly LayerSpec[]): Module[] {
  const out: Module[] = [];
  for (const spec of specs) {
    if (typeof spec === 'string') {
      const re = fnmatchRegExp(spec);
      for (const [name, m] of named) if (re.test(name)) out.push(m);
    } else if (spec instanceof Module) {
      if (named.some(([, m]) => m === spec)) out.push(spec);
    } else {
      throw new MixprecError(
        `castModel: layer spec ${String(spec)}; expected a module-name glob or a Module of the model`,
      );
    }
  }
  return out;
}

function castFloatingTensor(value: unknown, dtype: DType): unknown {
  return value instanceof Tensor && isFloatDType(value.dtype) && value.dtype !== dtype
    ? value.cast(dtype)
    : value;
}

/**
 * Wraps `m.forward` (once): floating tensor arguments go to fp32; with `recastTo`, a floating
 * tensor output (or the tensors of an array output) goes back to that dtype.
 */
function wrapForward(m: Module, recastTo: DType | undefined): void {
  const marked = m as unknown as Record<symbol, boolean>;
  if (marked[FP32_INPUT_HOOK]) return;
  const forward = m.forward.bind(m);
  const wrapped = (...args: Tensor[]): Tensor => {
    const out = forward(...(args.map((a) => castFloatingTensor(a, 'float32')) as Tensor[]));
    if (recastTo === undefined) return out;
    if (Array.isArray(out)) return out.map((o) => castFloatingTensor(o, recastTo)) as never;
    return castFloatingTensor(out, recastTo) as Tensor;
  };
  // Non-enumerable: module field discovery never sees it.
  Object.defineProperty(m, 'forward', { value: wrapped, configurable: true, writable: true });
  Object.defineProperty(m, FP32_INPUT_HOOK, { value: true });
}

/** Whether a module's class asks to stay fp32 under a selective cast. */
function keepsFp32(m: Module): boolean {
  return (m.constructor as { keepsFp32?: unknown }).keepsFp32 === true;
}

/**
 * flashoptim's `cast_model`, in place: every floating parameter and buffer goes to `dtype`
 * except those of the full-precision layers (recursively), of selectively skipped
 * normalization layers, and tensors `keepTensor` names. `Parameter` objects stay the same, so
 * optimizers and tied weights stay valid; integer buffers are never touched. Full-precision
 * layers get their forward wrapped so that inputs arrive in fp32 (and, for recast layers,
 * outputs leave in `dtype`). Returns the model.
 */
export function castModel<M extends Module>(model: M, options: CastModelOptions = {}): M {
  options = checkOptions('castModel', options, CAST_MODEL_OPTIONS);
  const dtype = checkDtype('castModel', options.dtype ?? 'bfloat16', { floating: true });
  if (typeof (model as Partial<Module> | null)?.namedModules !== 'function') {
    throw new MixprecError(`castModel: model is ${String(model)}; expected a Module`);
  }
  const named = model.namedModules();
  const terminal = selectLayers(named, options.fullPrecisionLayers ?? []);
  const recast = selectLayers(named, options.fullPrecisionRecastLayers ?? []);
  const kept = new Set<Module>();
  for (const layer of [...terminal, ...recast])
    for (const [, m] of layer.namedModules()) kept.add(m);
  const selective = options.selective ?? true;
  model.to(dtype, {
    filter: (name, _t, owner) =>
      !kept.has(owner) && !(selective && keepsFp32(owner)) && !options.keepTensor?.(name),
  });
  for (const m of recast) wrapForward(m, dtype);
  for (const m of terminal) wrapForward(m, undefined);
  return model;
}
