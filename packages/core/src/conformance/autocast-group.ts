import { linear } from '../autocast/linear.js';
import { autocast } from '../autocast/state.js';
import { gradients } from '../autograd/gradients.js';
import type { Backend } from '../backend/backend.js';
import { fromArray } from '../tensor/creation.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { Mismatches } from './compare.js';
import { f32FromBits, halfValue, show, ulpDistance } from './numerics.js';
import { errorText } from './probe.js';
import { type CaseContext, type ConformanceCase, fail, pass, skip } from './types.js';
import { FieldReader } from './vectors.js';

/**
 * The autocast group: `autocast_linear.json` (torch 1.13, CPU autocast, nn.Linear 24→10,
 * batch 6) replayed through mixprec's autocast policy and `linear` (torch's aten::linear: inputs
 * cast to bf16, fp32 accumulation, bias added before ONE rounding), autograd and the backend
 * under test. Loss = sum(out.float()²). Acceptance is the file's rule: bf16 run — output
 * bfloat16 within 1 bf16 ulp of torch's bits, loss within rel 1e-5, gradients float32 and
 * either within 1 bf16 ulp of 'single_rounding_reference' or |got − exp| ≤ 1e-2·max|exp|
 * against torch's (torch's CPU backward gemm accumulates in bf16, see the file); fp32 run —
 * output, loss and gradients within 1e-5·max|exp| of torch's bits.
 */

const GRADS = ['grad_weight', 'grad_bias', 'grad_input'] as const;
type GradName = (typeof GRADS)[number];

interface Run {
  readonly output: readonly number[];
  readonly loss: number;
  readonly grads: Readonly<Record<GradName, readonly number[]>>;
  /** bf16 run only: the single-rounding reference gradients, as values. */
  readonly reference?: Readonly<Record<GradName, readonly number[]>>;
}

/** One case of `autocast_linear.json`, values decoded to numbers. */
export interface AutocastLinearVector {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly batch: number;
  readonly x: Float32Array;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly bf16: Run;
  readonly fp32: Run;
}

const f32s = (bits: readonly number[]) => Float32Array.from(bits.map(f32FromBits));
const bf16s = (bits: readonly number[]) => bits.map((b) => halfValue(b, 'bfloat16'));

/** Validates `autocast_linear.json`, naming the file and the first bad field. */
export function parseAutocastLinear(json: unknown, file: string): AutocastLinearVector[] {
  const r = new FieldReader(file);
  const root = r.object(json, '(root)');
  return r.array(root.cases, 'cases').map((c, i) => {
    const at = (f: string) => `cases[${i}].${f}`;
    const o = r.object(c, `cases[${i}]`);
    const inF = r.int(o.in_features, at('in_features'));
    const outF = r.int(o.out_features, at('out_features'));
    const batch = r.int(o.batch, at('batch'));
    const sizes: Record<GradName, number> = {
      grad_weight: outF * inF,
      grad_bias: outF,
      grad_input: batch * inF,
    };
    const bits = (v: unknown, path: string, digits: 4 | 8, n: number) =>
      r.hexArray(r.object(v, path).bits, `${path}.bits`, digits, n);
    const run = (key: 'autocast_bf16' | 'fp32'): Run => {
      const o2 = r.object(o[key], at(key));
      const p = (f: string) => at(`${key}.${f}`);
      const lowp = key === 'autocast_bf16';
      const grads = {} as Record<GradName, readonly number[]>;
      for (const g of GRADS) grads[g] = Array.from(f32s(bits(o2[g], p(g), 8, sizes[g])));
      let reference: Record<GradName, readonly number[]> | undefined;
      if (lowp) {
        const ref = r.object(o2.single_rounding_reference, p('single_rounding_reference'));
        reference = {} as Record<GradName, readonly number[]>;
        for (const g of GRADS) {
          const path = p(`single_rounding_reference.${g}_bf16`);
          reference[g] = bf16s(r.hexArray(ref[`${g}_bf16`], path, 4, sizes[g]));
        }
      }
      const out = bits(o2.output, p('output'), lowp ? 4 : 8, batch * outF);
      return {
        output: lowp ? bf16s(out) : Array.from(f32s(out)),
        loss: f32FromBits(r.hex(r.object(o2.loss, p('loss')).bits, p('loss.bits'), 8)),
        grads,
        reference,
      };
    };
    return {
      name: typeof o.name === 'string' ? o.name : `case ${i}`,
      inFeatures: inF,
      outFeatures: outF,
      batch,
      x: f32s(bits(o.x, at('x'), 8, batch * inF)),
      weight: f32s(bits(o.weight, at('weight'), 8, outF * inF)),
      bias: f32s(bits(o.bias, at('bias'), 8, outF)),
      bf16: run('autocast_bf16'),
      fp32: run('fp32'),
    };
  });
}

/** Spacing of bf16 values at |v| (1 bf16 ulp), as the file's rule defines it. */
function bf16Spacing(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -133;
  let e = Math.floor(Math.log2(a));
  // log2 may be off by one near powers of two.
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 7);
}

const maxAbs = (values: readonly number[]) => values.reduce((a, v) => Math.max(a, Math.abs(v)), 0);

/** Runs forward and backward of one case on `backend`; `lowp` records it under bf16 autocast. */
async function runLinear(backend: Backend, v: AutocastLinearVector, lowp: boolean) {
  const x = fromArray(v.x, { shape: [v.batch, v.inFeatures] });
  const w = fromArray(v.weight, { shape: [v.outFeatures, v.inFeatures] });
  const b = fromArray(v.bias, { shape: [v.outFeatures] });
  // The file was recorded with torch.autocast('cpu'); linear is lower precision on both lists.
  const out = lowp
    ? autocast('bfloat16', () => linear(x, w, b), { device: 'cpu', backend })
    : linear(x, w, b);
  const out32 = out.cast('float32');
  const loss = out32.mul(out32).sum();
  const grads = gradients(loss, [w, b, x]);
  await realize([out, loss, ...grads], backend);
  const values = async (t: Tensor) => Array.from(await t.data());
  return {
    out,
    outValues: await values(out),
    loss: await loss.item(),
    grads: Object.fromEntries(
      await Promise.all(GRADS.map(async (g, i) => [g, await values(grads[i])] as const)),
    ) as Record<GradName, number[]>,
    gradDtypes: grads.map((g) => g.dtype),
  };
}

async function check(backend: Backend, v: AutocastLinearVector, lowp: boolean, m: Mismatches) {
  const run = lowp ? v.bf16 : v.fp32;
  const got = await runLinear(backend, v, lowp);
  const outDtype = lowp ? 'bfloat16' : 'float32';
  m.check(got.out.dtype === outDtype, () => `output dtype ${got.out.dtype}, expected ${outDtype}`);
  const outMax = maxAbs(run.output);
  run.output.forEach((e, i) => {
    const g = got.outValues[i];
    const ok = lowp ? ulpDistance(g, e, 'bfloat16') <= 1 : Math.abs(g - e) <= 1e-5 * outMax;
    m.check(ok, () => `output[${i}] got ${show(g, outDtype)} expected ${show(e, outDtype)}`);
  });
  // Both runs: relative 1e-5 (for a scalar, the fp32 run's 1e-5·max rule is the same).
  m.check(
    Math.abs(got.loss - run.loss) <= 1e-5 * Math.abs(run.loss),
    () => `loss got ${got.loss} expected ${run.loss}`,
  );
  GRADS.forEach((name, k) => {
    const dt = got.gradDtypes[k];
    m.check(dt === 'float32', () => `${name} dtype ${dt}, expected float32`);
    const exp = run.grads[name];
    const ref = run.reference?.[name];
    const tol = (lowp ? 1e-2 : 1e-5) * maxAbs(exp);
    exp.forEach((e, i) => {
      const g = got.grads[name][i];
      const nearRef = ref !== undefined && Math.abs(g - ref[i]) <= bf16Spacing(ref[i]);
      const ok = nearRef || Math.abs(g - e) <= tol;
      m.check(ok, () => `${name}[${i}] got ${show(g, 'float32')} expected ${show(e, 'float32')}`);
    });
  });
}

function autocastCase(name: string, lowp: boolean): ConformanceCase {
  return {
    id: `autocast/linear-${lowp ? 'bf16' : 'fp32'}/${name}`,
    group: 'autocast',
    async run(ctx: CaseContext) {
      const vectors = await ctx.vectors('autocast_linear.json', parseAutocastLinear);
      const v = vectors.find((c) => c.name === name);
      if (v === undefined)
        return fail(`autocast_linear.json has no case '${name}'; expected one named so`);
      const backend = await ctx.backend();
      const needed = lowp ? (['float32', 'bfloat16'] as const) : (['float32'] as const);
      const missing = needed.find((d) => backend.capabilities.dtypes[d] === 'unsupported');
      if (missing !== undefined)
        return skip(`${missing} unsupported by ${backend.name}; dtype/${missing} checks the error`);
      const m = new Mismatches();
      try {
        await check(backend, v, lowp, m);
      } catch (error) {
        m.problem(errorText(error));
      }
      const what = lowp
        ? `linear '${name}' under bf16 autocast: output bf16 within 1 ulp, loss rel 1e-5, fp32 grads within 1 bf16 ulp of the single-rounding reference or 1e-2·max|torch|`
        : `linear '${name}' in fp32: output, loss and grads within 1e-5·max|torch|`;
      return m.ok ? pass(m.summary(what)) : fail(m.summary(what));
    },
  };
}

/** The cases of the autocast group: each vector case, under bf16 autocast and in fp32. */
export function autocastCases(): ConformanceCase[] {
  return ['randn', 'wide_range'].flatMap((n) => [autocastCase(n, true), autocastCase(n, false)]);
}
