import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend/backend.js';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { defaultVectorsDir, runConformance } from '../conformance/index.js';
import { registerUpdateRule, type UpdateRule } from './host-optimizer-step.js';

// The optim conformance group (conformance/optim-group.ts): it runs in the whole suite via
// conformance.test.ts; here it is checked that it can fail, and that it reads the given directory.

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mixprec-optim-vectors-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const run = (createBackend: () => Backend, vectorsDir?: string, only = ['optim/'] as string[]) =>
  runConformance({ createBackend, vectorsDir, only });
/** The torch-trajectory cases (optim.json), without the flash.json ones. */
const torchCases = async (createBackend: () => Backend, vectorsDir?: string) =>
  (await run(createBackend, vectorsDir)).filter((r) => !r.id.startsWith('optim/flash'));

/** A backend whose optimizer steps use a learning rate 1% too large. */
function skewedLr(): Backend {
  const ref = createReferenceBackend();
  return {
    ...ref,
    optimizerStep: (request) =>
      ref.optimizerStep({
        ...request,
        hyper: { ...request.hyper, lr: (request.hyper.lr as number) * 1.01 },
      }),
  };
}

/**
 * SGD as a plain fp32 port: every product and sum rounded separately (no fused multiply-add).
 * optim.json says such a port lands up to 31 ulp from torch on small, cancelled elements but
 * within 1e-6 of each tensor's largest magnitude, so the acceptance rule must pass it.
 */
const plainSgd: UpdateRule = {
  hyper: { lr: undefined, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false },
  update(ctx) {
    const { param: p, grad: g, round: r } = ctx;
    const fma = (a: number, b: number, c: number) => r(r(a * b) + c);
    const [wd, m, keep, negLr] = [
      ctx.num('weight_decay'),
      ctx.num('momentum'),
      1 - ctx.num('dampening'),
      -ctx.num('lr'),
    ].map(r);
    const buf = ctx.state('momentum_buffer');
    for (let i = 0; i < p.length; i++) {
      const d = fma(wd, p[i], g[i]);
      buf[i] = ctx.step === 1 ? d : fma(keep, d, r(buf[i] * m));
      p[i] = fma(negLr, ctx.flag('nesterov') ? fma(m, buf[i], d) : buf[i], p[i]);
    }
  },
};

function plainSgdBackend(): Backend {
  const ref = createReferenceBackend();
  registerUpdateRule('test-plain-sgd', plainSgd);
  return {
    ...ref,
    optimizerStep: (request) =>
      ref.optimizerStep(
        request.algorithm === 'sgd' ? { ...request, algorithm: 'test-plain-sgd' } : request,
      ),
  };
}

describe('optim conformance group', () => {
  it('accepts a plain (non-FMA) fp32 port although it is many ulp off on small elements', async () => {
    const results = await run(plainSgdBackend);
    const sgd = results.filter((r) => r.id.startsWith('optim/sgd'));
    expect(sgd.map((r) => r.status)).toEqual(['pass', 'pass']);
    // The per-tensor clause is what passes it: the worst element is beyond 2 ulp.
    const worst = sgd.map((r) => Number(/max (\d+) ulp/.exec(r.detail)?.[1]));
    expect(Math.max(...worst)).toBeGreaterThan(2);
  });

  it('passes on the reference backend, checking every recorded tensor', async () => {
    const results = await run(() => createReferenceBackend());
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['optim/sgd_momentum', 'pass'],
      ['optim/sgd_nesterov', 'pass'],
      ['optim/adam_l2', 'pass'],
      ['optim/adamw', 'pass'],
      ['optim/flash-adamw/spec_example', 'pass'],
      ['optim/flash-adamw/bf16_n70_5steps', 'pass'],
    ]);
    // 5 steps × 70 elements × (param, error bits, 2 × codes) + 5 × 2 × 3 scales.
    expect(results[5].detail).toContain('1430 compared, all match');
    // 10 steps × 37 elements × (param + state tensors).
    expect(results[0].detail).toContain('740 compared, all match');
    expect(results[2].detail).toContain('1110 compared, all match');
    expect(results[2].detail).toContain('(max 0 ulp)');
  });

  it('fails a backend whose update is off by 1% of the learning rate', async () => {
    const results = await run(skewedLr);
    expect(results.every((r) => r.status === 'fail')).toBe(true);
    expect(results[0].detail).toMatch(/mismatches; first: step 1 param \[\d+\] got .* expected /);
  });

  it('reads optim.json from the given directory and fails naming a missing file', async () => {
    const dir = tempDir();
    const missing = await torchCases(() => createReferenceBackend(), dir);
    for (const r of missing) {
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/vectors file .*optim\.json could not be read \(ENOENT\)/);
    }
    const json = JSON.parse(readFileSync(join(defaultVectorsDir(), 'optim.json'), 'utf8'));
    // One recorded value changed far beyond the tolerance: only that case fails, at that spot.
    json.cases[3].steps[4].exp_avg[7] = '3f800000';
    writeFileSync(join(dir, 'optim.json'), JSON.stringify(json));
    const results = await torchCases(() => createReferenceBackend(), dir);
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass', 'fail']);
    expect(results[3].detail).toContain('1 mismatch; first: step 5 exp_avg [7]');
  });

  it('fails a flash trajectory at the one changed code of flash.json', async () => {
    const dir = tempDir();
    const json = JSON.parse(readFileSync(join(defaultVectorsDir(), 'flash.json'), 'utf8'));
    const c = json.cases.find(
      (k: { name: string; kind: string }) =>
        k.kind === 'flash_adamw' && k.name === 'bf16_n70_5steps',
    );
    c.steps[3].exp_avg_codes[40] += 1;
    writeFileSync(join(dir, 'flash.json'), JSON.stringify(json));
    const results = await run(() => createReferenceBackend(), dir, ['optim/flash']);
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail']);
    expect(results[1].detail).toMatch(
      /1 mismatch; first: step 4 exp_avg::quantized \[40\] got -?\d+ expected/,
    );
  });

  it('fails with the file and field when optim.json is malformed', async () => {
    const dir = tempDir();
    const json = JSON.parse(readFileSync(join(defaultVectorsDir(), 'optim.json'), 'utf8'));
    json.cases[0].steps[2].grad = json.cases[0].steps[2].grad.slice(1);
    writeFileSync(join(dir, 'optim.json'), JSON.stringify(json));
    const [first] = await run(() => createReferenceBackend(), dir);
    expect(first.detail).toContain(
      `${join(dir, 'optim.json')}: cases[0].steps[2].grad.length is 36; expected 37`,
    );
  });
});
