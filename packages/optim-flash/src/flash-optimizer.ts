import {
  type Backend,
  castStorage,
  checkLr,
  checkOptionKeys,
  checkOptions,
  computeEccBits,
  DtypeError,
  dequantize,
  fromArray,
  getBackend,
  gradientReleaseOf,
  MixprecError,
  MOMENTUM_QUANT,
  type Module,
  numGroups,
  Optimizer,
  type OptimizerStateDict,
  optionSpec,
  type ParamGroup,
  type ParamStateDict,
  type ParamsInput,
  quantize,
  reconstructFp32,
  type StateSlot,
  Tensor,
  VARIANCE_QUANT,
} from '@mixprec/core';
import { checkNumerics, type FlashParamDType, paramWidth } from './check-numerics.js';

/** Master-weight precision: 24 (int8 corrections), 32 (int16) or `null` (plain half updates). */
export type MasterWeightBits = 24 | 32 | null;

/** The options every flash optimizer shares (flashoptim's keyword arguments, camelCase). */
export interface FlashOptions {
  /** Store moments as 8-bit codes with one fp16 scale per 32 values (default true). */
  readonly quantize?: boolean;
  /** `stateDict()` keeps the 8-bit codes and scales instead of bf16 moments (default false). */
  readonly compressStateDict?: boolean;
  /** Error-correction bits for bf16/fp16 parameters (default 24). */
  readonly masterWeightBits?: MasterWeightBits;
  /** Refuse a learning rate too small to move the weights (default false). */
  readonly checkNumerics?: boolean;
  /** Where warnings go (default `console.warn`). */
  readonly warn?: (message: string) => void;
}

/**
 * The kinds of the options every flash optimizer shares; a subclass spreads it into its own
 * spec (with its hyper-parameters) and checks that with `checkOptions` before calling super.
 */
export const FLASH_OPTIONS = optionSpec<FlashOptions>({
  quantize: 'boolean',
  compressStateDict: 'boolean',
  masterWeightBits: 'any',
  checkNumerics: 'boolean',
  warn: 'function',
});

const BASE_OPTIONS = optionSpec<FlashOptions & { readonly decoupleLr?: boolean }>({
  ...FLASH_OPTIONS,
  decoupleLr: 'boolean',
});

/** Keys every flash parameter group carries besides the algorithm's hyper-parameters. */
export interface FlashGroupKeys {
  /** The group's base lr for `decoupleLr` (its own lr at construction; schedulers keep it). */
  initial_lr?: number;
  /** Master-weight bytes: 0 (none), 3 (24-bit), 4 (32-bit). A group may override it. */
  master_bytewidth: number;
  /** Whether this group's moments are 8-bit codes. A group may override it. */
  quantize: boolean;
}

/** A moment an algorithm keeps: its state name and whether its codes are signed. */
export interface MomentSpec {
  readonly name: string;
  readonly signed: boolean;
}

/** What a concrete flash optimizer tells `FlashOptimizer`. */
export interface FlashAlgorithm<H> {
  /** Class name for messages, e.g. `'FlashAdamW'`. */
  readonly name: string;
  /** `optimizerStep` algorithm, e.g. `'flash-adamw'`. */
  readonly algorithm: string;
  /** The subclass checks (run first, like flashoptim), for the defaults and every group. */
  validate(hyper: H): void;
  /** The request's hyper-parameters, except `decouple_lr` and `initial_lr`. */
  hyper(group: ParamGroup<H & FlashGroupKeys>): Record<string, number | boolean>;
  /** The moments of every parameter, given all groups. */
  moments(groups: readonly ParamGroup<H & FlashGroupKeys>[]): readonly MomentSpec[];
  /** The guaranteed step as a fraction of lr, for `checkNumerics`: 1, or 0.1 for Adam. */
  readonly stepFactor: number;
}

const FLASH_DTYPES: readonly string[] = ['float32', 'bfloat16', 'float16'];
const ALLOW_INEFFECTIVE = 'FLASHOPTIM_ALLOW_INEFFECTIVE_MASTER_WEIGHT_BITS';

/** The correction dtype a parameter needs in a group (none for fp32 or without master bits). */
function eccDtype(dtype: string, masterBytewidth: number): 'int8' | 'int16' | undefined {
  if (!FLASH_DTYPES.includes(dtype)) return undefined;
  const w = masterBytewidth - paramWidth(dtype as FlashParamDType);
  return w === 1 ? 'int8' : w === 2 ? 'int16' : undefined;
}

/** Lazily dequantized moment (fp32 graph ops in the kernel's order), shaped like the parameter. */
function dequantizeLazy(codes: Tensor, scales: Tensor, signed: boolean): Tensor {
  const n = codes.size;
  const groups = scales.size;
  let t = codes
    .reshape([n])
    .cast('float32')
    .div(signed ? 127 : 255);
  if (signed) t = t.div(t.abs().neg().add(2));
  const s = scales
    .cast('float32')
    .reshape([groups, 1])
    .expand([groups, 32])
    .reshape([groups * 32])
    .slice([0], [n]);
  let x = t.mul(s);
  if (!signed) x = x.mul(x);
  return x.reshape(codes.shape);
}

const processEnv = (): Record<string, string | undefined> =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

/**
 * Base of the flash optimizers (flashoptim's `FlashOptimizer`): bf16/fp16 parameters with
 * error-corrected master weights, 8-bit grouped moments, a learning-rate numerics check,
 * compressed state dicts and fp32 weight export. The update is the backend primitive
 * `optimizerStep('flash-*')` (core's host kernel unless a backend has its own).
 *
 * Choices where flashoptim has quirks (docs/flashoptim.md#differences-from-flashoptim): each
 * group's `initial_lr` is its own lr (flashoptim gives every group the constructor's); state
 * is created only for parameters that get a gradient (flashoptim allocates it for frozen ones
 * too); `setFp32ModelStateDict` before the first step creates the state so the low bits are
 * kept (flashoptim drops them); error bits are saved in their own integer dtype (1 byte per
 * parameter at 24 bits) while loading also accepts flashoptim's 2-byte form.
 */
export class FlashOptimizer<H extends { lr: number }> extends Optimizer<H & FlashGroupKeys> {
  readonly quantize: boolean;
  readonly compressStateDict: boolean;
  readonly masterWeightBits: MasterWeightBits;
  readonly checkNumerics: boolean;
  /** Decoupled weight decay scaled by `lr / initial_lr` instead of `lr` (instance-level). */
  readonly decoupleLr: boolean;
  readonly #algo: FlashAlgorithm<H>;
  readonly #warn: (message: string) => void;
  readonly #maxAbs = new Map<Tensor, number>();

  constructor(
    params: ParamsInput<H & FlashGroupKeys>,
    defaults: H,
    algo: FlashAlgorithm<H>,
    options: FlashOptions & { readonly decoupleLr?: boolean } = {},
  ) {
    const name = algo.name;
    // Only the kinds of the shared options: the object also holds the subclass's own keys,
    // whose names the subclass checks.
    if (typeof options !== 'object' || options === null || Array.isArray(options))
      checkOptionKeys(name, options, Object.keys(BASE_OPTIONS)); // throws: not an object
    const shared = Object.fromEntries(
      Object.keys(BASE_OPTIONS).map((k) => [k, (options as Record<string, unknown>)[k]]),
    );
    checkOptions(name, shared, BASE_OPTIONS);
    algo.validate(defaults);
    const quantizeStates = options.quantize ?? true;
    const compress = options.compressStateDict ?? false;
    const bits = options.masterWeightBits === undefined ? 24 : options.masterWeightBits;
    if (compress && !quantizeStates) {
      throw new MixprecError(
        `${name}: compressStateDict true with quantize false; expected quantize true (a compressed state dict holds the 8-bit codes)`,
      );
    }
    checkLr(name, defaults.lr);
    if (bits !== null && bits !== 24 && bits !== 32) {
      throw new MixprecError(`${name}: masterWeightBits ${String(bits)}; expected 24, 32 or null`);
    }
    const decoupleLr = options.decoupleLr ?? false;
    // The layout of a group depends on every group (SGD's buffer); filled in after super().
    const self: { opt?: FlashOptimizer<H> } = {};
    super(
      params,
      { ...defaults, master_bytewidth: bits === null ? 0 : bits / 8, quantize: quantizeStates },
      {
        name,
        algorithm: algo.algorithm,
        validate: (h) => {
          algo.validate(h);
          if (![0, 3, 4].includes(h.master_bytewidth))
            throw new MixprecError(
              `${name}: master_bytewidth ${h.master_bytewidth}; expected 0, 3 or 4 (bytes)`,
            );
          if (typeof h.quantize !== 'boolean')
            throw new MixprecError(`${name}: quantize ${String(h.quantize)}; expected a boolean`);
        },
        hyper: (g) => ({
          ...algo.hyper(g),
          decouple_lr: decoupleLr,
          initial_lr: g.initial_lr ?? g.lr,
        }),
        stateNames: () => [],
        stateLayout: (g, p) => (self.opt as FlashOptimizer<H>).#layout(g, p),
      },
    );
    self.opt = this;
    this.#algo = algo;
    this.#warn = options.warn ?? console.warn;
    this.quantize = quantizeStates;
    this.compressStateDict = compress;
    this.masterWeightBits = bits;
    this.checkNumerics = options.checkNumerics ?? false;
    this.decoupleLr = decoupleLr;
    const all = this.paramGroups.flatMap((g) => g.params);
    all.forEach((p, i) => {
      if (!FLASH_DTYPES.includes(p.dtype))
        throw new DtypeError(
          `${name}: parameter ${i} is ${p.dtype}; expected float32, bfloat16 or float16`,
        );
    });
    for (const g of this.paramGroups) g.initial_lr ??= g.lr;
    if (
      bits !== null &&
      all.every((p) => p.dtype === 'float32') &&
      !processEnv()[ALLOW_INEFFECTIVE]
    ) {
      throw new MixprecError(
        `${name}: masterWeightBits ${bits} has no effect when all parameters are float32; expected bfloat16/float16 parameters (castModel, or precision bf16-flash / fp16-flash), or masterWeightBits null (set ${ALLOW_INEFFECTIVE}=1 to allow it)`,
      );
    }
    if (bits === null && all.some((p) => p.dtype !== 'float32')) {
      this.#warn(
        `${name}: masterWeightBits null with half-precision parameters: updates are rounded to the parameter dtype every step, so steps below half an ulp are lost (pure low-precision training is numerically fragile); use masterWeightBits 24 or 32 to keep error-corrected master weights`,
      );
    }
  }

  #layout(group: ParamGroup<H & FlashGroupKeys>, p: Tensor): StateSlot[] {
    const slots: StateSlot[] = [];
    for (const m of this.#algo.moments(this.paramGroups)) {
      if (group.quantize) {
        slots.push(
          { name: `${m.name}::quantized`, dtype: m.signed ? 'int8' : 'uint8', shape: p.shape },
          { name: `${m.name}::scales`, dtype: 'float16', shape: [numGroups(p.size)] },
        );
      } else slots.push({ name: m.name, dtype: p.dtype, shape: p.shape });
    }
    const ecc = eccDtype(p.dtype, group.master_bytewidth);
    if (ecc) slots.push({ name: 'error_bits', dtype: ecc, shape: p.shape });
    return slots;
  }

  /**
   * One step over every parameter with a gradient (the closure runs first). With
   * `checkNumerics`, every parameter is checked BEFORE any is updated, so a `NumericsError`
   * leaves the model unchanged. A no-op with a warning while gradient release is active.
   */
  override async step<T = undefined>(closure?: () => T | Promise<T>): Promise<T | undefined> {
    if (gradientReleaseOf(this)?.active) return super.step(closure); // warns, does nothing
    const result = closure === undefined ? undefined : await closure();
    if (this.checkNumerics) await this.checkParams(this.#withGrad());
    await super.step();
    return result;
  }

  /** One parameter's update (gradient release), after its numerics check when enabled. */
  override async stepParamNow(p: Tensor, grad: Tensor): Promise<void> {
    if (this.checkNumerics) await this.checkParams([p]);
    await super.stepParamNow(p, grad);
  }

  #withGrad(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params.filter((p) => p.grad !== undefined));
  }

  /** Runs the numerics check on `params` (measuring max |p| the first time). */
  async checkParams(params: readonly Tensor[]): Promise<void> {
    const all = this.paramGroups.flatMap((g) => g.params);
    for (const p of params) {
      let maxabs = this.#maxAbs.get(p);
      if (maxabs === undefined) {
        maxabs = await measureMaxAbs(p);
        this.#maxAbs.set(p, maxabs);
      }
      const group = this.groupOf(p) as ParamGroup<H & FlashGroupKeys>;
      checkNumerics({
        optimizer: this.name,
        index: all.indexOf(p),
        lr: group.lr,
        dtype: p.dtype as FlashParamDType,
        masterBytewidth: group.master_bytewidth,
        maxabs,
        stepFactor: this.#algo.stepFactor,
      });
    }
  }

  /** Re-measures max |p| of every parameter for `checkNumerics` (never refreshed otherwise). */
  async recomputeParamStats(): Promise<void> {
    for (const p of this.paramGroups.flatMap((g) => g.params))
      this.#maxAbs.set(p, await measureMaxAbs(p));
  }

  /**
   * torch's layout with flashoptim's keys. Moments: `K` as bf16 (default) or, with
   * `compressStateDict`, `K::quantized` (int8/uint8 codes) + `K::scales` (fp16). `error_bits`
   * keep their integer dtype. Groups carry `lr`, `initial_lr`, `master_bytewidth`, `quantize`
   * and the hyper-parameters. Tensors are lazy views of the live state: save them before the
   * next step.
   */
  override stateDict(): OptimizerStateDict {
    const sd = super.stateDict();
    const moments = this.#algo.moments(this.paramGroups);
    const state: Record<number, ParamStateDict> = {};
    for (const [index, entry] of Object.entries(sd.state)) {
      const out: Record<string, Tensor | number> = { ...entry };
      for (const m of moments) {
        const codes = entry[`${m.name}::quantized`];
        const scales = entry[`${m.name}::scales`];
        const plain = entry[m.name];
        if (codes instanceof Tensor && scales instanceof Tensor && !this.compressStateDict) {
          delete out[`${m.name}::quantized`];
          delete out[`${m.name}::scales`];
          out[m.name] = dequantizeLazy(codes, scales, m.signed).cast('bfloat16');
        } else if (plain instanceof Tensor) out[m.name] = plain.cast('bfloat16');
      }
      state[Number(index)] = out as ParamStateDict;
    }
    return { state, param_groups: sd.param_groups };
  }

  /**
   * Restores a flash (compressed or not) or plain torch-layout state dict: saved group values
   * win; moments saved as `K` are quantized straight from their saved values (or stored in the
   * parameter dtype when the group does not quantize); `K::quantized`/`K::scales` are adopted
   * as they are; error bits are accepted as int8/int16 or in flashoptim's parameter-dtype form;
   * a state without them (a vanilla torch checkpoint) starts with zero corrections.
   */
  override async loadStateDict(sd: OptimizerStateDict): Promise<void> {
    const name = `${this.name}.loadStateDict`;
    if (typeof sd !== 'object' || sd === null || !Array.isArray(sd.param_groups))
      throw new MixprecError(`${name}: got ${String(sd)}; expected { state, param_groups }`);
    const params = this.paramGroups.flatMap((g) => g.params);
    const groupIndex = this.paramGroups.flatMap((g, i) => g.params.map(() => i));
    const groups = this.paramGroups.map((g, i) => {
      const saved = { ...(sd.param_groups[i] ?? {}) } as Record<string, unknown>;
      saved.master_bytewidth ??= g.master_bytewidth;
      saved.quantize ??= this.quantize;
      saved.initial_lr ??= saved.lr ?? g.lr;
      return saved;
    });
    const moments = this.#algo.moments(
      this.paramGroups.map((g, i) => ({ ...g, ...groups[i], params: g.params })) as never,
    );
    const state: Record<number, ParamStateDict> = {};
    for (const [key, entry] of Object.entries(sd.state ?? {})) {
      const index = Number(key);
      const p = params[index];
      if (p === undefined || typeof entry !== 'object' || entry === null) {
        state[index] = entry as ParamStateDict; // the base check names the problem
        continue;
      }
      const group = groups[groupIndex[index]];
      const out: Record<string, Tensor | number> = { step: entry.step };
      for (const m of moments)
        await convertMoment(name, index, entry, m, p, group.quantize === true, out);
      const ecc = eccDtype(p.dtype, Number(group.master_bytewidth));
      const saved = entry.error_bits;
      if (saved instanceof Tensor && ecc)
        out.error_bits = await convertEcc(name, index, saved, p, ecc);
      else if (saved instanceof Tensor)
        throw new MixprecError(
          `${name}: state[${index}].error_bits given, but a ${p.dtype} parameter with master_bytewidth ${String(group.master_bytewidth)} keeps none; expected no error_bits`,
        );
      else if (ecc && entry.step > 0)
        out.error_bits = fromArray(new (ecc === 'int8' ? Int8Array : Int16Array)(p.size), {
          dtype: ecc,
          shape: p.shape,
        });
      for (const [k, v] of Object.entries(entry)) {
        const known =
          k === 'step' ||
          k === 'error_bits' ||
          moments.some(
            (m) => k === m.name || k === `${m.name}::quantized` || k === `${m.name}::scales`,
          );
        if (!known) out[k] = v; // the base check rejects unknown names
      }
      state[index] = out as ParamStateDict;
    }
    await super.loadStateDict({
      state,
      param_groups: sd.param_groups.map((g, i) =>
        groups[i] ? { ...g, ...pickDefaults(groups[i]) } : g,
      ) as never,
    });
  }

  /**
   * The model's parameters and buffers as fp32 tensors: parameters with error-correction state
   * are reconstructed from half + correction (the fp32 master weights), others upcast.
   */
  async getFp32ModelStateDict(model: Module): Promise<Record<string, Tensor>> {
    const out: Record<string, Tensor> = {};
    const params = new Map(model.namedParameters());
    for (const [name, t] of Object.entries(model.stateDict())) {
      const p = params.get(name);
      const ecc = p && this.stateOf(p)?.error_bits;
      if (p && ecc) {
        const narrow = (await p.raw()) as Uint16Array;
        const rho = (await ecc.raw()) as Int8Array | Int16Array;
        const master = reconstructFp32(narrow, p.dtype as 'bfloat16' | 'float16', rho);
        out[name] = fromArray(master, { shape: p.shape });
      } else out[name] = t.dtype === 'float32' ? t : t.cast('float32');
    }
    return out;
  }

  /**
   * Writes fp32 weights into the model's parameters: each value is rounded to the parameter's
   * dtype and, for parameters with error correction, the correction bits are computed from the
   * fp32 value, so the master weights equal `sd` (to the correction's resolution). Buffers and
   * names not in `sd` are left alone. Works before the first step too (the state is created).
   */
  async setFp32ModelStateDict(model: Module, sd: Readonly<Record<string, Tensor>>): Promise<void> {
    const where = `${this.name}.setFp32ModelStateDict`;
    for (const [name, p] of model.namedParameters()) {
      const value = sd[name];
      if (value === undefined) continue;
      if (!(value instanceof Tensor) || value.dtype !== 'float32')
        throw new DtypeError(
          `${where}: '${name}' is ${value instanceof Tensor ? value.dtype : String(value)}; expected a float32 Tensor`,
        );
      if (value.shape.join(',') !== p.shape.join(','))
        throw new MixprecError(
          `${where}: '${name}' has shape [${value.shape.join(',')}]; expected [${p.shape.join(',')}]`,
        );
      const master = (await value.raw()) as Float32Array;
      const group = this.groupOf(p);
      const ecc = group && eccDtype(p.dtype, group.master_bytewidth);
      const narrow = castStorage(master, 'float32', p.dtype);
      const backend: Backend = p.node.realized?.backend ?? (await getBackend());
      p.assign(await fromArray(narrow, { dtype: p.dtype, shape: p.shape }).realize(backend));
      if (ecc) {
        const live = await this.liveState(p, backend);
        const rho = computeEccBits(
          master,
          narrow as Uint16Array,
          p.dtype as 'bfloat16' | 'float16',
          ecc === 'int8' ? 3 : 4,
        );
        live.tensors.error_bits = fromArray(rho, { dtype: ecc, shape: p.shape });
      }
    }
  }
}

/** The group keys flash state dicts always carry, from the merged saved group. */
function pickDefaults(g: Record<string, unknown>): Record<string, unknown> {
  return { master_bytewidth: g.master_bytewidth, quantize: g.quantize, initial_lr: g.initial_lr };
}

/** max |p| as a number (0 for an empty tensor), measured in one backend run. */
async function measureMaxAbs(p: Tensor): Promise<number> {
  if (p.size === 0) return 0;
  return p.cast('float32').abs().max().item();
}

/** One saved moment → the live form of the group (quantized codes + scales, or plain). */
async function convertMoment(
  where: string,
  index: number,
  entry: ParamStateDict,
  m: MomentSpec,
  p: Tensor,
  quantized: boolean,
  out: Record<string, Tensor | number>,
): Promise<void> {
  const plain = entry[m.name];
  const codes = entry[`${m.name}::quantized`];
  const scales = entry[`${m.name}::scales`];
  const at = `${where}: state[${index}]`;
  if (plain instanceof Tensor && (codes !== undefined || scales !== undefined))
    throw new MixprecError(`${at} has both '${m.name}' and '${m.name}::*'; expected one form`);
  const spec = m.signed ? MOMENTUM_QUANT : VARIANCE_QUANT;
  const codeDtype = m.signed ? 'int8' : 'uint8';
  let values: Float32Array | undefined;
  if (plain instanceof Tensor) {
    if (plain.shape.join(',') !== p.shape.join(','))
      throw new MixprecError(
        `${at}.${m.name} has shape [${plain.shape.join(',')}]; expected [${p.shape.join(',')}]`,
      );
    values = (await plain.cast('float32').raw()) as Float32Array;
  } else if (codes instanceof Tensor && scales instanceof Tensor) {
    const c = (await codes.cast(codeDtype).raw()) as Int8Array | Uint8Array;
    const s = (await scales.cast('float16').raw()) as Uint16Array;
    if (c.length !== p.size || s.length !== numGroups(p.size))
      throw new MixprecError(
        `${at}.${m.name}::quantized/::scales have ${c.length}/${s.length} values; expected ${p.size}/${numGroups(p.size)}`,
      );
    if (quantized) {
      out[`${m.name}::quantized`] = fromArray(c, { dtype: codeDtype, shape: p.shape });
      out[`${m.name}::scales`] = fromArray(s, { dtype: 'float16', shape: [s.length] });
      return;
    }
    values = dequantize(c, s, spec);
  } else if (codes !== undefined || scales !== undefined) {
    throw new MixprecError(
      `${at} has only one of '${m.name}::quantized' and '${m.name}::scales'; expected both`,
    );
  } else return; // missing: the base check decides (fine before the first step)
  if (quantized) {
    const q = quantize(values, spec);
    out[`${m.name}::quantized`] = fromArray(q.codes, { dtype: codeDtype, shape: p.shape });
    out[`${m.name}::scales`] = fromArray(q.scales, { dtype: 'float16', shape: [q.scales.length] });
  } else {
    out[m.name] = fromArray(castStorage(values, 'float32', p.dtype), {
      dtype: p.dtype,
      shape: p.shape,
    });
  }
}

/** Saved error bits → the int8/int16 the parameter needs (flashoptim's 2-byte forms included). */
async function convertEcc(
  where: string,
  index: number,
  saved: Tensor,
  p: Tensor,
  want: 'int8' | 'int16',
): Promise<Tensor> {
  const at = `${where}: state[${index}].error_bits`;
  if (saved.shape.join(',') !== p.shape.join(','))
    throw new MixprecError(
      `${at} has shape [${saved.shape.join(',')}]; expected [${p.shape.join(',')}]`,
    );
  if (saved.dtype === want)
    return fromArray((await saved.raw()).slice(), { dtype: want, shape: p.shape });
  if (saved.dtype === p.dtype) {
    // flashoptim's 2-byte form: int8 corrections converted by value, int16 ones bit-cast.
    const raw = (await saved.raw()) as Uint16Array;
    if (want === 'int16')
      return fromArray(
        new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
        { dtype: 'int16', shape: p.shape },
      );
    return fromArray((await saved.cast('int8').raw()).slice(), { dtype: 'int8', shape: p.shape });
  }
  throw new DtypeError(
    `${at} is ${saved.dtype}; expected ${want} (or ${p.dtype}, flashoptim's form) for master_bytewidth ${paramWidth(p.dtype as FlashParamDType) + (want === 'int8' ? 1 : 2)}`,
  );
}
