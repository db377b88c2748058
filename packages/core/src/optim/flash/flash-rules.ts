import { DtypeError } from '../../errors/dtype-error.js';
import { MixprecError } from '../../errors/mixprec-error.js';
import { ShapeMismatchError } from '../../errors/shape-mismatch-error.js';
import type { HostTensor, StoredUpdateContext, StoredUpdateRule } from '../host-optimizer-step.js';
import {
  type FlashGrad,
  type FlashParam,
  flashAdamStep,
  flashLionStep,
  flashSgdStep,
  type MomentStore,
} from './flash-kernels.js';
import { numGroups } from './quantize.js';

/**
 * The flash optimizers' `optimizerStep` algorithms (`flash-adam`, `flash-adamw`, `flash-lion`,
 * `flash-sgd`, `flash-sgdw`): FlashOptim's fused per-parameter update on host arrays, so
 * every backend has it and a backend may replace it with its own kernel.
 *
 * State tensors a request carries, by name:
 * - a moment `K` (`exp_avg`, `exp_avg_sq`, `momentum_buffer`) either quantized, as
 *   `K::quantized` (int8 codes, uint8 for `exp_avg_sq`, parameter-shaped) plus `K::scales`
 *   (float16, one per group of 32 elements), or plain as `K` in the parameter's dtype;
 * - `error_bits` (int8 or int16, parameter-shaped) when the parameter is bf16/fp16 with
 *   error-corrected master weights.
 */

type ParamDType = FlashParam['dtype'];
const PARAM_DTYPES: readonly string[] = ['float32', 'bfloat16', 'float16'];

function paramOf(ctx: StoredUpdateContext): FlashParam {
  const { data, dtype } = ctx.param;
  if (!PARAM_DTYPES.includes(dtype)) {
    throw new DtypeError(
      `${ctx.algorithm}: param is ${dtype}; expected float32, bfloat16 or float16 (the flash optimizers' parameter dtypes)`,
    );
  }
  return { data: data as Float32Array | Uint16Array, dtype: dtype as ParamDType };
}

function gradOf(ctx: StoredUpdateContext): FlashGrad {
  const { data, dtype } = ctx.grad;
  if (![...PARAM_DTYPES, 'float64'].includes(dtype))
    throw new DtypeError(`${ctx.algorithm}: grad is ${dtype}; expected a floating dtype`);
  return { data: data as FlashGrad['data'], dtype: dtype as FlashGrad['dtype'] };
}

function sized(ctx: StoredUpdateContext, name: string, t: HostTensor, length: number): void {
  if (t.data.length !== length) {
    throw new ShapeMismatchError(
      `${ctx.algorithm}: state '${name}' has ${t.data.length} elements; expected ${length}`,
    );
  }
}

/** The moment `name` of the request, quantized or plain, checked against the parameter. */
function momentOf(ctx: StoredUpdateContext, name: string, signed: boolean): MomentStore {
  const n = ctx.param.data.length;
  const codes = ctx.state[`${name}::quantized`];
  const scales = ctx.state[`${name}::scales`];
  const plain = ctx.state[name];
  if (codes !== undefined && scales !== undefined && plain === undefined) {
    const codeDtype = signed ? 'int8' : 'uint8';
    if (codes.dtype !== codeDtype || scales.dtype !== 'float16') {
      throw new DtypeError(
        `${ctx.algorithm}: state '${name}::quantized' / '${name}::scales' are ${codes.dtype} / ${scales.dtype}; expected ${codeDtype} / float16`,
      );
    }
    sized(ctx, `${name}::quantized`, codes, n);
    sized(ctx, `${name}::scales`, scales, numGroups(n));
    return {
      kind: 'quantized',
      codes: codes.data as Int8Array | Uint8Array,
      scales: scales.data as Uint16Array,
    };
  }
  if (plain !== undefined && codes === undefined && scales === undefined) {
    if (plain.dtype !== ctx.param.dtype) {
      throw new DtypeError(
        `${ctx.algorithm}: state '${name}' is ${plain.dtype}; expected the parameter's ${ctx.param.dtype}`,
      );
    }
    sized(ctx, name, plain, n);
    return {
      kind: 'plain',
      data: plain.data as Float32Array | Uint16Array,
      dtype: plain.dtype as ParamDType,
    };
  }
  throw new MixprecError(
    `${ctx.algorithm}: state for moment '${name}' has [${Object.keys(ctx.state).join(', ')}]; expected either '${name}' or both '${name}::quantized' and '${name}::scales'`,
  );
}

function eccOf(ctx: StoredUpdateContext): Int8Array | Int16Array | undefined {
  const t = ctx.state.error_bits;
  if (t === undefined) return undefined;
  if (ctx.param.dtype !== 'bfloat16' && ctx.param.dtype !== 'float16') {
    throw new DtypeError(
      `${ctx.algorithm}: state 'error_bits' given for a ${ctx.param.dtype} param; expected it only for bfloat16/float16 params`,
    );
  }
  if (t.dtype !== 'int8' && t.dtype !== 'int16')
    throw new DtypeError(
      `${ctx.algorithm}: state 'error_bits' is ${t.dtype}; expected int8 or int16`,
    );
  sized(ctx, 'error_bits', t, ctx.param.data.length);
  return t.data as Int8Array | Int16Array;
}

/** Decoupled-decay hyper-parameters shared by every rule. */
const DECAY_HYPER = { weight_decay: 0, decouple_lr: false, initial_lr: undefined } as const;

function adamRule(decoupled: boolean): StoredUpdateRule {
  return {
    hyper: {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      ...DECAY_HYPER,
      weight_decay: decoupled ? 1e-2 : 0,
    },
    updateStored(ctx) {
      flashAdamStep({
        param: paramOf(ctx),
        grad: gradOf(ctx),
        ecc: eccOf(ctx),
        expAvg: momentOf(ctx, 'exp_avg', true),
        expAvgSq: momentOf(ctx, 'exp_avg_sq', false),
        step: ctx.step,
        hyper: {
          lr: ctx.num('lr'),
          beta1: ctx.num('beta1'),
          beta2: ctx.num('beta2'),
          eps: ctx.num('eps'),
          weightDecay: ctx.num('weight_decay'),
          decoupled,
          decoupleLr: ctx.flag('decouple_lr'),
          initialLr: ctx.num('initial_lr'),
        },
      });
    },
  };
}

const lionRule: StoredUpdateRule = {
  hyper: { lr: 1e-3, beta1: 0.9, beta2: 0.99, ...DECAY_HYPER },
  updateStored(ctx) {
    flashLionStep({
      param: paramOf(ctx),
      grad: gradOf(ctx),
      ecc: eccOf(ctx),
      expAvg: momentOf(ctx, 'exp_avg', true),
      hyper: {
        lr: ctx.num('lr'),
        beta1: ctx.num('beta1'),
        beta2: ctx.num('beta2'),
        weightDecay: ctx.num('weight_decay'),
        decoupleLr: ctx.flag('decouple_lr'),
        initialLr: ctx.num('initial_lr'),
      },
    });
  },
};

function sgdRule(decoupled: boolean): StoredUpdateRule {
  return {
    hyper: { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, ...DECAY_HYPER },
    updateStored(ctx) {
      const momentum = ctx.num('momentum');
      const hasBuffer =
        ctx.state.momentum_buffer !== undefined ||
        ctx.state['momentum_buffer::quantized'] !== undefined;
      flashSgdStep({
        param: paramOf(ctx),
        grad: gradOf(ctx),
        ecc: eccOf(ctx),
        // A buffer exists for every parameter once any group uses momentum; a group with
        // momentum 0 leaves it untouched (the plain path).
        momentumBuffer:
          momentum !== 0 && hasBuffer ? momentOf(ctx, 'momentum_buffer', true) : undefined,
        hyper: {
          lr: ctx.num('lr'),
          momentum,
          dampening: ctx.num('dampening'),
          weightDecay: ctx.num('weight_decay'),
          nesterov: ctx.flag('nesterov'),
          decoupled,
          decoupleLr: ctx.flag('decouple_lr'),
          initialLr: ctx.num('initial_lr'),
        },
      });
    },
  };
}

/** The flash algorithms by `optimizerStep` name. */
export const FLASH_RULES: ReadonlyMap<string, StoredUpdateRule> = new Map([
  ['flash-adam', adamRule(false)],
  ['flash-adamw', adamRule(true)],
  ['flash-lion', lionRule],
  ['flash-sgd', sgdRule(false)],
  ['flash-sgdw', sgdRule(true)],
]);
