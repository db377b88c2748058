import type { OptimizerStepRequest, Storage } from '../backend/backend.js';
import { castStorage } from '../dtype/convert.js';
import { type DType, isFloatDType, type StorageArray } from '../dtype/dtypes.js';
import { DtypeError } from '../errors/dtype-error.js';
import { MixprecError } from '../errors/mixprec-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { FLASH_RULES } from './flash/flash-rules.js';

/**
 * Core's shared typed-array optimizer update (`Backend.optimizerStep` of every backend
 * without a fused kernel). The rules follow torch 1.13's single-tensor code operation by
 * operation, including where torch's CPU kernels round once for `x + a·y` (`add(alpha)`,
 * `addcmul`): see vectors/optim.json "update_rule" (docs/conformance-vectors.md#optimjson).
 * Hyper-parameters are torch's names (`lr`, `momentum`, `dampening`, `nesterov`,
 * `weight_decay`, `beta1`, `beta2`, `eps`) and state tensors torch's (`momentum_buffer`,
 * `exp_avg`, `exp_avg_sq`).
 */

/** Working arrays of an update: fp32, or float64 when the parameter is float64. */
export type WorkArray = Float32Array | Float64Array;

/** A stored tensor the update reads or writes: its storage array and dtype. */
export interface HostTensor {
  readonly data: StorageArray;
  readonly dtype: DType;
}

/** What an update rule works with. Values are updated in place in `param` and `state(name)`. */
export interface UpdateContext {
  readonly algorithm: string;
  /** Step count including this step (1 on the first update). */
  readonly step: number;
  readonly param: WorkArray;
  readonly grad: WorkArray;
  /** A number hyper-parameter (defaults applied). */
  num(name: string): number;
  /** A boolean hyper-parameter (defaults applied). */
  flag(name: string): boolean;
  /** A state tensor by name; throws naming the algorithm when the caller did not pass it. */
  state(name: string): WorkArray;
  /** Whether the work is fp32 (else float64). */
  readonly f32: boolean;
  /** Rounds to the working precision: `Math.fround` for fp32 work, identity for float64. */
  readonly round: (x: number) => number;
  /** a·b + c rounded once to the working precision (torch's fused multiply-add). */
  readonly fma: (a: number, b: number, c: number) => number;
}

/** An element-wise optimizer algorithm for `hostOptimizerStep`, on fp32 / f64 working arrays. */
export interface ElementwiseUpdateRule {
  /** Every accepted hyper-parameter with its default; `undefined` marks a required one. */
  readonly hyper: Readonly<Record<string, number | boolean | undefined>>;
  /** Updates `ctx.param` and the state in place. */
  update(ctx: UpdateContext): void;
}

/** What a `StoredUpdateRule` works with: the stored tensors themselves, any dtypes and shapes. */
export interface StoredUpdateContext {
  readonly algorithm: string;
  /** Step count including this step (1 on the first update). */
  readonly step: number;
  readonly param: HostTensor;
  readonly grad: HostTensor;
  /** Every state tensor of the request, by name. */
  readonly state: Readonly<Record<string, HostTensor>>;
  /** A number hyper-parameter (defaults applied). */
  num(name: string): number;
  /** A boolean hyper-parameter (defaults applied). */
  flag(name: string): boolean;
}

/**
 * An algorithm that updates the stored tensors directly, for state that is not an array of
 * parameter-shaped floats (8-bit codes with per-group scales, error-correction bits): it does
 * its own decoding, rounding and shape checks.
 */
export interface StoredUpdateRule {
  /** Every accepted hyper-parameter with its default; `undefined` marks a required one. */
  readonly hyper: Readonly<Record<string, number | boolean | undefined>>;
  /** Updates `ctx.param` and `ctx.state` in place. */
  updateStored(ctx: StoredUpdateContext): void;
}

/** An optimizer algorithm for `hostOptimizerStep`. */
export type UpdateRule = ElementwiseUpdateRule | StoredUpdateRule;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The fp32 neighbour of the fp32 value `r` on the side of `toward`. */
function f32Neighbour(r: number, toward: number): number {
  f32[0] = r;
  const awayFromZero = toward > r === (u32[0] >>> 31 === 0);
  u32[0] += awayFromZero ? 1 : -1;
  return f32[0];
}

/**
 * a·b + c for fp32 values a, b, c with a single rounding to fp32 (a correctly rounded fmaf).
 * a·b is exact in float64 (24 + 24 significand bits), so only the float64 sum can round; that
 * double rounding is wrong only when the f64 sum lands exactly halfway between two fp32 values,
 * and the exact error of the sum (TwoSum) then says which way the true value lies.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s || !Number.isFinite(s)) return r;
  const t = s - p;
  const err = p - (s - t) + (c - t);
  if (err === 0) return r;
  const other = f32Neighbour(r, s);
  if (s !== (r + other) / 2) return r;
  return err > 0 === other > r ? other : r;
}

const fma64 = (a: number, b: number, c: number) => a * b + c;
const identity = (x: number) => x;

const sgd: ElementwiseUpdateRule = {
  hyper: { lr: undefined, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false },
  update(ctx) {
    const momentum = ctx.num('momentum');
    const dampening = ctx.num('dampening');
    const wd = ctx.num('weight_decay');
    const nesterov = ctx.flag('nesterov');
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new MixprecError(
        `sgd: nesterov with momentum ${momentum} and dampening ${dampening}; expected momentum > 0 and dampening 0`,
      );
    }
    const { param: p, grad: g } = ctx;
    const lr = ctx.num('lr');
    const buf = momentum !== 0 ? ctx.state('momentum_buffer') : undefined;
    if (!ctx.f32) {
      // float64 work: plain double arithmetic (a separate loop, see fp32 below).
      for (let i = 0; i < p.length; i++) {
        let d = wd !== 0 ? wd * p[i] + g[i] : g[i];
        if (buf) {
          buf[i] = ctx.step === 1 ? d : (1 - dampening) * d + buf[i] * momentum;
          d = nesterov ? momentum * buf[i] + d : buf[i];
        }
        p[i] -= lr * d;
      }
      return;
    }
    // fp32 work calls Math.fround and fmaF32 directly: a loop that calls two different function
    // values (fp32 and float64 runs) is deoptimized by V8 for good (measured: fp32 AdamW 9×
    // slower after one float64 run).
    const round = Math.fround;
    const fma = fmaF32;
    const [wd32, m32, keep, negLr] = [wd, momentum, 1 - dampening, -lr].map(round);
    for (let i = 0; i < p.length; i++) {
      let d = wd !== 0 ? fma(wd32, p[i], g[i]) : g[i];
      if (buf) {
        // torch's first step: the buffer is a clone of d, with no dampening factor.
        buf[i] = ctx.step === 1 ? d : fma(keep, d, round(buf[i] * m32));
        d = nesterov ? fma(m32, buf[i], d) : buf[i];
      }
      p[i] = fma(negLr, d, p[i]);
    }
  },
};

/** Adam (coupled L2: decay added to the gradient) or AdamW (decoupled: p *= 1 − lr·wd first). */
function adamRule(decoupled: boolean): ElementwiseUpdateRule {
  return {
    hyper: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: decoupled ? 1e-2 : 0 },
    update(ctx) {
      const [lr, beta1, beta2, eps, wd] = ['lr', 'beta1', 'beta2', 'eps', 'weight_decay'].map(
        ctx.num,
      );
      const { param: p, grad: g, step } = ctx;
      const m = ctx.state('exp_avg');
      const v = ctx.state('exp_avg_sq');
      if (!ctx.f32) {
        // float64 work: plain double arithmetic (a separate loop, see sgd).
        const stepSize = lr / (1 - beta1 ** step);
        const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
        for (let i = 0; i < p.length; i++) {
          let gi = g[i];
          if (decoupled) p[i] *= 1 - lr * wd;
          else if (wd !== 0) gi += wd * p[i];
          m[i] = beta1 * m[i] + (1 - beta1) * gi;
          v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
          p[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
        }
        return;
      }
      const round = Math.fround;
      const fma = fmaF32;
      // Scalars are computed in float64 (Python floats) and rounded where they meet a tensor.
      const [b1, b2, keep1, keep2, wd32, eps32] = [beta1, beta2, 1 - beta1, 1 - beta2, wd, eps].map(
        round,
      );
      const negStepSize = round(-(lr / (1 - beta1 ** step)));
      const bc2Sqrt = round(Math.sqrt(1 - beta2 ** step));
      const decay = round(1 - lr * wd);
      for (let i = 0; i < p.length; i++) {
        let gi = g[i];
        if (decoupled) p[i] = round(p[i] * decay);
        else if (wd !== 0) gi = fma(wd32, p[i], gi);
        m[i] = fma(keep1, gi, round(m[i] * b1));
        v[i] = fma(round(keep2 * gi), gi, round(v[i] * b2));
        const denom = round(round(round(Math.sqrt(v[i])) / bc2Sqrt) + eps32);
        p[i] = round(p[i] + round(round(negStepSize * m[i]) / denom));
      }
    },
  };
}

const RULES = new Map<string, UpdateRule>([
  ['sgd', sgd],
  ['adam', adamRule(false)],
  ['adamw', adamRule(true)],
  ...FLASH_RULES,
]);

/**
 * Adds an algorithm to `hostOptimizerStep` (e.g. the flash optimizers). Registering a
 * different rule under a taken name throws; registering the same rule again is a no-op.
 */
export function registerUpdateRule(name: string, rule: UpdateRule): void {
  const existing = RULES.get(name);
  if (existing !== undefined && existing !== rule) {
    throw new MixprecError(
      `registerUpdateRule: algorithm '${name}' is already registered with another rule; expected a new name`,
    );
  }
  RULES.set(name, rule);
}

/** Names of the algorithms `hostOptimizerStep` knows. */
export function updateRuleNames(): string[] {
  return [...RULES.keys()];
}

function resolveHyper(
  algorithm: string,
  rule: UpdateRule,
  given: Readonly<Record<string, number | boolean>>,
): Record<string, number | boolean> {
  const known = Object.keys(rule.hyper);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(rule.hyper, key)) {
      throw new MixprecError(
        `${algorithm}: unknown hyper-parameter '${key}'; expected one of ${known.join(', ')}`,
      );
    }
  }
  const out: Record<string, number | boolean> = {};
  for (const key of known) {
    const value = Object.hasOwn(given, key) ? given[key] : rule.hyper[key];
    if (value === undefined)
      throw new MixprecError(
        `${algorithm}: hyper-parameter '${key}' is missing; expected a number`,
      );
    out[key] = value;
  }
  return out;
}

/** Decodes a stored tensor into a working array of `work` dtype (no copy when they match). */
function toWork(t: HostTensor, work: 'float32' | 'float64'): WorkArray {
  return t.dtype === work
    ? (t.data as WorkArray)
    : (castStorage(t.data, t.dtype, work) as WorkArray);
}

/** Stores a working array back into its tensor, rounding once to the tensor's dtype. */
function fromWork(values: WorkArray, t: HostTensor, work: 'float32' | 'float64'): void {
  if (values !== t.data) t.data.set(castStorage(values, work, t.dtype));
}

/**
 * One in-place update of `param` and `state` by `algorithm`. Float parameters of any dtype:
 * half and fp32 tensors are updated in fp32 (torch's order of operations, single-rounding
 * multiply-adds) and each stored tensor is rounded back to its dtype once; float64 parameters
 * are updated in float64 (there, `fma` is a plain a·b + c).
 */
export function hostOptimizerStep(
  algorithm: string,
  hyper: Readonly<Record<string, number | boolean>>,
  step: number,
  param: StorageArray,
  paramDtype: DType,
  grad: StorageArray,
  gradDtype: DType,
  state: Readonly<Record<string, HostTensor>>,
): void {
  const rule = RULES.get(algorithm);
  if (rule === undefined) {
    throw new MixprecError(
      `optimizerStep: unknown algorithm '${algorithm}'; expected one of ${[...RULES.keys()].join(', ')} (or registerUpdateRule first)`,
    );
  }
  if (!isFloatDType(paramDtype) || !isFloatDType(gradDtype)) {
    throw new DtypeError(
      `${algorithm}: param ${paramDtype} / grad ${gradDtype}; expected floating dtypes`,
    );
  }
  if (!Number.isInteger(step) || step < 1)
    throw new MixprecError(`${algorithm}: step ${step}; expected an integer >= 1`);
  const values = resolveHyper(algorithm, rule, hyper);
  const read = <T>(name: string, type: string): T => {
    const value = values[name];
    if (typeof value !== type)
      throw new MixprecError(
        `${algorithm}: hyper-parameter '${name}' is ${value}; expected a ${type}`,
      );
    return value as T;
  };
  const num = (name: string) => read<number>(name, 'number');
  const flag = (name: string) => read<boolean>(name, 'boolean');
  if ('updateStored' in rule) {
    rule.updateStored({
      algorithm,
      step,
      param: { data: param, dtype: paramDtype },
      grad: { data: grad, dtype: gradDtype },
      state,
      num,
      flag,
    });
    return;
  }
  const tensors: Array<[string, HostTensor]> = [
    ['grad', { data: grad, dtype: gradDtype }],
    ...Object.entries(state),
  ];
  for (const [name, t] of tensors) {
    if (t.data.length !== param.length) {
      throw new ShapeMismatchError(
        `${algorithm}: ${name} has ${t.data.length} elements but param has ${param.length}; expected equal sizes`,
      );
    }
  }
  const work = paramDtype === 'float64' ? 'float64' : 'float32';
  const p: HostTensor = { data: param, dtype: paramDtype };
  const workParam = toWork(p, work);
  const workState = new Map<string, WorkArray>();
  rule.update({
    algorithm,
    step,
    param: workParam,
    grad: toWork({ data: grad, dtype: gradDtype }, work),
    num,
    flag,
    state: (name) => {
      const t = state[name];
      if (t === undefined)
        throw new MixprecError(
          `${algorithm}: state '${name}' was not passed; expected it in the request's state`,
        );
      let arr = workState.get(name);
      if (arr === undefined) {
        arr = toWork(t, work);
        workState.set(name, arr);
      }
      return arr;
    },
    f32: work === 'float32',
    round: work === 'float32' ? Math.fround : identity,
    fma: work === 'float32' ? fmaF32 : fma64,
  });
  fromWork(workParam, p, work);
  for (const [name, arr] of workState) fromWork(arr, state[name], work);
}

/** The host tensors `hostOptimizerStepOn` updated: the parameter and each state tensor. */
export interface HostStepTensors {
  readonly param: HostTensor;
  readonly state: Readonly<Record<string, HostTensor>>;
}

/**
 * `Backend.optimizerStep` for a backend whose storages are host arrays: resolves the request's
 * storages with `host` (which names the argument in its errors) and runs `hostOptimizerStep`
 * on them in place. Returns the host tensors, for a backend whose `host` made converted copies
 * (e.g. emulated bf16) and has to write them back.
 */
export function hostOptimizerStepOn(
  request: OptimizerStepRequest,
  host: (storage: Storage, where: string) => HostTensor,
): HostStepTensors {
  const state: Record<string, HostTensor> = {};
  for (const [key, s] of Object.entries(request.state))
    state[key] = host(s, `optimizerStep: state '${key}'`);
  const param = host(request.param, "optimizerStep: argument 'param'");
  const grad = host(request.grad, "optimizerStep: argument 'grad'");
  hostOptimizerStep(
    request.algorithm,
    request.hyper,
    request.step,
    param.data,
    param.dtype,
    grad.data,
    grad.dtype,
    state,
  );
  return { param, state };
}
