import { describe, expect, it } from 'vitest';
import { zeros } from '../tensor/creation.js';
import { CosineAnnealing, LinearWarmup, StepLR } from './lr-scheduler.js';
import { SGD } from './sgd.js';

/** Two groups (base rates 0.1 and 0.4) so per-group base rates are exercised. */
const optimizer = () =>
  new SGD([{ params: [zeros([1])] }, { params: [zeros([1])], lr: 0.4 }], { lr: 0.1 });

/** The rates each group sees for steps 0..n-1 (step 0 is the constructor's). */
function trace(step: () => void, lrs: () => number[], n: number): number[][] {
  const out = [lrs()];
  for (let t = 1; t < n; t++) {
    step();
    out.push(lrs());
  }
  return out;
}

// Independent closed forms, written from torch's documentation.
const stepForm = (t: number, base: number) => base * 0.5 ** Math.floor(t / 3);
const cosForm = (t: number, base: number, tMax: number, etaMin: number) =>
  etaMin + 0.5 * (base - etaMin) * (1 + Math.cos((t / tMax) * Math.PI));

describe('schedulers against closed forms', () => {
  it('StepLR(stepSize 3, gamma 0.5) = base · 0.5^floor(t / 3)', () => {
    const opt = optimizer();
    const s = new StepLR(opt, { stepSize: 3, gamma: 0.5 });
    const got = trace(
      () => s.step(),
      () => opt.paramGroups.map((g) => g.lr),
      10,
    );
    got.forEach((lrs, t) => {
      expect(lrs[0]).toBeCloseTo(stepForm(t, 0.1), 15);
      expect(lrs[1]).toBeCloseTo(stepForm(t, 0.4), 15);
    });
    expect(s.getLastLr()).toEqual(got[9]);
    expect(opt.paramGroups.map((g) => g.initial_lr)).toEqual([0.1, 0.4]);
  });

  it('CosineAnnealing(tMax 8, etaMin 0.01) follows the cosine from base to etaMin', () => {
    const opt = optimizer();
    const s = new CosineAnnealing(opt, { tMax: 8, etaMin: 0.01 });
    const got = trace(
      () => s.step(),
      () => opt.paramGroups.map((g) => g.lr),
      9,
    );
    got.forEach((lrs, t) => {
      expect(lrs[0]).toBeCloseTo(cosForm(t, 0.1, 8, 0.01), 14);
      expect(lrs[1]).toBeCloseTo(cosForm(t, 0.4, 8, 0.01), 14);
    });
    expect(got[0]).toEqual([0.1, 0.4]);
    expect(got[8][0]).toBeCloseTo(0.01, 15);
  });

  it('CosineAnnealing with a 4-step warm-up: linear from 0, then the cosine over t − 4', () => {
    const opt = optimizer();
    const s = new CosineAnnealing(opt, { tMax: 6, warmupSteps: 4 });
    const got = trace(
      () => s.step(),
      () => [opt.paramGroups[1].lr],
      11,
    ).map((l) => l[0]);
    expect(got.slice(0, 4)).toEqual([0, 0.1, 0.2, 0.30000000000000004]);
    for (let t = 4; t <= 10; t++) expect(got[t]).toBeCloseTo(cosForm(t - 4, 0.4, 6, 0), 14);
  });

  it('LinearWarmup: rises linearly over warmupSteps, then constant or composed', () => {
    const opt = optimizer();
    const s = new LinearWarmup(opt, { warmupSteps: 4, startFactor: 0.2 });
    const got = trace(
      () => s.step(),
      () => [opt.paramGroups[0].lr],
      7,
    ).map((l) => l[0]);
    const expected = [0.2, 0.4, 0.6, 0.8, 1, 1, 1].map((f) => 0.1 * f);
    got.forEach((lr, t) => {
      expect(lr).toBeCloseTo(expected[t], 15);
    });

    const opt2 = optimizer();
    const after = new StepLR(opt2, { stepSize: 3, gamma: 0.5 });
    const w = new LinearWarmup(opt2, { warmupSteps: 2, after });
    const got2 = trace(
      () => w.step(),
      () => [opt2.paramGroups[0].lr],
      9,
    ).map((l) => l[0]);
    expect(got2[0]).toBe(0);
    expect(got2[1]).toBeCloseTo(0.05, 15);
    for (let t = 2; t < 9; t++) expect(got2[t]).toBeCloseTo(stepForm(t - 2, 0.1), 15);
  });

  it('stateDict / loadStateDict resume the schedule', () => {
    const opt = optimizer();
    const s = new CosineAnnealing(opt, { tMax: 10 });
    for (let i = 0; i < 3; i++) s.step();
    const saved = s.stateDict();
    expect(saved).toEqual({ last_epoch: 3, base_lrs: [0.1, 0.4] });

    const opt2 = optimizer();
    const s2 = new CosineAnnealing(opt2, { tMax: 10 });
    s2.loadStateDict(saved);
    s.step();
    s2.step();
    expect(opt2.paramGroups.map((g) => g.lr)).toEqual(opt.paramGroups.map((g) => g.lr));
    expect(() => s2.loadStateDict({ last_epoch: 1, base_lrs: [0.1] })).toThrow(
      'base_lrs has 1 entries; expected 2 (one per param group)',
    );
  });

  it('validates its arguments', () => {
    expect(() => new StepLR(optimizer(), { stepSize: 0 })).toThrow(
      'StepLR: stepSize is 0; expected an integer >= 1',
    );
    expect(() => new LinearWarmup(optimizer(), { warmupSteps: 2, startFactor: 2 })).toThrow(
      'startFactor is 2; expected 0 <= startFactor <= 1',
    );
    expect(() => new CosineAnnealing(optimizer(), { tMax: 5 }, 3)).toThrow(
      "param group 0 has no 'initial_lr' while resuming at lastEpoch 3",
    );
  });
});
