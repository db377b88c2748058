import type { Backend, Storage } from '../backend/backend.js';
import { numGroups } from '../optim/flash/quantize.js';
import { Mismatches } from './compare.js';
import { errorText } from './probe.js';
import { type CaseContext, type ConformanceCase, fail, pass, skip } from './types.js';
import { FieldReader } from './vectors.js';

/**
 * The flash part of the optim group: the `flash_adamw` trajectories of `flash.json` replayed
 * through the backend's `optimizerStep('flash-adamw')` on uploaded storages (a bf16 parameter,
 * int8 error bits, int8/uint8 moment codes with fp16 group scales). After every step the
 * parameter bits, error bits, codes and scales must equal the file's; the file allows ±1 code
 * (and the equivalent on param/ecc) only for implementations that contract multiply-adds, which
 * a backend may report by failing here with a message that says so: mixprec's own host kernel is
 * exact.
 */

interface FlashStep {
  readonly grad: readonly number[];
  readonly expected: Readonly<Record<string, readonly number[]>>;
}

/** One validated `flash_adamw` case. */
export interface FlashAdamWVector {
  readonly name: string;
  readonly hyper: Readonly<Record<string, number | boolean>>;
  readonly paramInit: readonly number[];
  readonly eccInit: readonly number[];
  readonly steps: readonly FlashStep[];
}

/** Validates the `flash_adamw` cases of `flash.json`, naming the file and the first bad field. */
export function parseFlashAdamW(json: unknown, file: string): FlashAdamWVector[] {
  const r = new FieldReader(file);
  const root = r.object(json, '(root)');
  const out: FlashAdamWVector[] = [];
  r.array(root.cases, 'cases').forEach((c, i) => {
    const o = r.object(c, `cases[${i}]`);
    if (o.kind !== 'flash_adamw') return;
    const at = (f: string) => `cases[${i}].${f}`;
    const n = r.int(o.n, at('n'));
    const h = r.object(o.hyperparams, at('hyperparams'));
    const [beta1, beta2] = r.array(h.betas, at('hyperparams.betas')) as number[];
    if (h.master_weight_bits !== 24 || h.quantize !== true || h.decouple_lr !== false)
      r.fail(
        at('hyperparams'),
        JSON.stringify(h),
        'master_weight_bits 24, quantize true, decouple_lr false',
      );
    const ints = (v: unknown, path: string, len: number) => {
      const a = r.array(v, path).map((x, k) => {
        if (!Number.isInteger(x)) r.fail(`${path}[${k}]`, x, 'an integer');
        return x as number;
      });
      if (a.length !== len) r.fail(path, `${a.length} values`, `${len}`);
      return a;
    };
    const steps = r.array(o.steps, at('steps')).map((s, t) => {
      const so = r.object(s, at(`steps[${t}]`));
      const p = (f: string) => at(`steps[${t}].${f}`);
      const groups = numGroups(n);
      return {
        grad: r.hexArray(so.grad, p('grad'), 8, n),
        expected: {
          param: r.hexArray(so.param_bf16, p('param_bf16'), 4, n),
          error_bits: ints(so.ecc_int8, p('ecc_int8'), n),
          'exp_avg::quantized': ints(so.exp_avg_codes, p('exp_avg_codes'), n),
          'exp_avg::scales': r.hexArray(
            so.exp_avg_scales_fp16,
            p('exp_avg_scales_fp16'),
            4,
            groups,
          ),
          'exp_avg_sq::quantized': ints(so.exp_avg_sq_codes, p('exp_avg_sq_codes'), n),
          'exp_avg_sq::scales': r.hexArray(
            so.exp_avg_sq_scales_fp16,
            p('exp_avg_sq_scales_fp16'),
            4,
            groups,
          ),
        },
      };
    });
    out.push({
      name: typeof o.name === 'string' ? o.name : `case ${i}`,
      hyper: {
        lr: Number(h.lr),
        beta1,
        beta2,
        eps: Number(h.eps),
        weight_decay: Number(h.weight_decay),
        decouple_lr: false,
        initial_lr: Number(h.lr),
      },
      paramInit: r.hexArray(o.param_init_bf16, at('param_init_bf16'), 4, n),
      eccInit: ints(o.ecc_init, at('ecc_init'), n),
      steps,
    });
  });
  return out;
}

async function replayFlash(backend: Backend, v: FlashAdamWVector, m: Mismatches): Promise<void> {
  const n = v.paramInit.length;
  const groups = numGroups(n);
  const param = backend.upload(Uint16Array.from(v.paramInit), 'bfloat16', [n]);
  const state: Record<string, Storage> = {
    error_bits: backend.upload(Int8Array.from(v.eccInit), 'int8', [n]),
    'exp_avg::quantized': backend.upload(new Int8Array(n), 'int8', [n]),
    'exp_avg::scales': backend.upload(new Uint16Array(groups), 'float16', [groups]),
    'exp_avg_sq::quantized': backend.upload(new Uint8Array(n), 'uint8', [n]),
    'exp_avg_sq::scales': backend.upload(new Uint16Array(groups), 'float16', [groups]),
  };
  const live: Storage[] = [param, ...Object.values(state)];
  try {
    for (const [t, s] of v.steps.entries()) {
      const grad = backend.upload(new Float32Array(new Uint32Array(s.grad).buffer), 'float32', [n]);
      live.push(grad);
      await backend.optimizerStep({
        algorithm: 'flash-adamw',
        hyper: v.hyper,
        step: t + 1,
        param,
        grad,
        state,
      });
      for (const [key, expected] of Object.entries(s.expected)) {
        const got = Array.from(await backend.download(key === 'param' ? param : state[key]));
        for (const [i, e] of expected.entries()) {
          m.check(got[i] === e, () => `step ${t + 1} ${key} [${i}] got ${got[i]} expected ${e}`);
        }
      }
    }
  } finally {
    for (const s of live) backend.free(s);
  }
}

function flashCase(name: string): ConformanceCase {
  return {
    id: `optim/flash-adamw/${name}`,
    group: 'optim',
    async run(ctx: CaseContext) {
      const vectors = await ctx.vectors('flash.json', parseFlashAdamW);
      const v = vectors.find((c) => c.name === name);
      if (v === undefined)
        return fail(`flash.json has no flash_adamw case '${name}'; expected one`);
      const backend = await ctx.backend();
      for (const dtype of ['bfloat16', 'float16', 'int8', 'uint8', 'float32'] as const)
        if (backend.capabilities.dtypes[dtype] === 'unsupported')
          return skip(`${dtype} unsupported by ${backend.name}`);
      const m = new Mismatches();
      try {
        await replayFlash(backend, v, m);
      } catch (error) {
        m.problem(errorText(error));
      }
      const what = `${v.steps.length} flash-adamw steps of flash.json '${name}' via optimizerStep: param bits, error bits, moment codes and fp16 scales exact`;
      return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
    },
  };
}

/** The flash cases of the optim group, one per `flash_adamw` trajectory of the shipped file. */
export function flashOptimCases(): ConformanceCase[] {
  return ['spec_example', 'bf16_n70_5steps'].map(flashCase);
}
