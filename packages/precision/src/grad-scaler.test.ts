import { Parameter, SGD, setBackend } from '@mixprec/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradScaler } from './grad-scaler.js';

beforeAll(async () => {
  await setBackend('reference');
});

function setup(scaler: GradScaler) {
  const w = new Parameter([1, 2]);
  const opt = new SGD([w], { lr: 0.1 });
  scaler.scale(w.sum());
  return { w, opt };
}

/** Runs one iteration: step with the given finiteness, then update. */
async function iterate(scaler: GradScaler, opt: SGD, finite: boolean): Promise<boolean> {
  const stepped = await scaler.step(opt, { gradientsFinite: finite });
  scaler.update();
  return stepped;
}

describe('GradScaler', () => {
  it('has torch defaults and a five-key state', () => {
    const s = new GradScaler();
    expect(s.getScale()).toBe(65536);
    expect(s.stateDict()).toEqual({
      scale: 65536,
      growth_factor: 2,
      backoff_factor: 0.5,
      growth_interval: 2000,
      _growth_tracker: 0,
    });
  });

  // Hand-computed: interval 3, growth 2, backoff 0.5, init 8. T = clean step, F = overflow.
  it.each([
    ['TTT', 16, 0],
    ['TT', 8, 2],
    ['F', 4, 0],
    ['FF', 2, 0],
    ['TTF', 4, 0],
    ['TTFTTT', 8, 0],
    ['TTTTT', 16, 2],
    ['TTTTTT', 32, 0],
    ['FFFF', 0.5, 0],
  ])('sequence %s → scale %d, tracker %d', async (seq, scale, tracker) => {
    const s = new GradScaler({ initScale: 8, growthInterval: 3 });
    const { opt } = setup(s);
    const stepped: boolean[] = [];
    for (const c of seq) stepped.push(await iterate(s, opt, c === 'T'));
    expect(s.getScale()).toBe(scale);
    expect(s.getGrowthTracker()).toBe(tracker);
    expect(stepped).toEqual([...seq].map((c) => c === 'T'));
  });

  it('never grows to inf and keeps fp32 arithmetic', async () => {
    const s = new GradScaler({ initScale: 3e38, growthInterval: 1 });
    const { opt } = setup(s);
    expect(s.getScale()).toBe(Math.fround(3e38));
    await iterate(s, opt, true);
    expect(s.getScale()).toBe(Math.fround(3e38));
    expect(s.getGrowthTracker()).toBe(0);
  });

  it('skips the optimizer step on inf and leaves parameters', async () => {
    const s = new GradScaler();
    const { w, opt } = setup(s);
    w.grad = new Parameter([Number.POSITIVE_INFINITY, 1], { requiresGrad: false });
    expect(await iterate(s, opt, false)).toBe(false);
    expect(opt.stepCount).toBe(0);
    expect([...(await w.data())]).toEqual([1, 2]);
    expect(s.getScale()).toBe(32768);
  });

  it('unscales gradients lazily by fp32(1/scale) and detects non-finite itself', async () => {
    const s = new GradScaler({ initScale: 4 });
    const { w, opt } = setup(s);
    w.grad = new Parameter([4, 8], { requiresGrad: false });
    s.unscale_(opt);
    expect(s.stage(opt)).toBe('UNSCALED');
    expect([...(await w.grad!.data())]).toEqual([1, 2]);
    expect(await s.step(opt)).toBe(true);
    expect(s.stage(opt)).toBe('STEPPED');
    s.update();
    expect(s.stage(opt)).toBe('READY');
  });

  it.each([
    [
      'unscale_ twice',
      (s: GradScaler, o: SGD) => {
        s.unscale_(o);
        s.unscale_(o);
      },
      'unscale_() has already been called on this optimizer since the last update().',
    ],
    [
      'unscale_ after step',
      async (s: GradScaler, o: SGD) => {
        await s.step(o, { gradientsFinite: true });
        s.unscale_(o);
      },
      'unscale_() is being called after step().',
    ],
    [
      'step twice',
      async (s: GradScaler, o: SGD) => {
        await s.step(o, { gradientsFinite: true });
        await s.step(o, { gradientsFinite: true });
      },
      'step() has already been called since the last update().',
    ],
    [
      'update without steps',
      (s: GradScaler) => s.update(),
      'No inf checks were recorded prior to update.',
    ],
  ])('state machine: %s throws', async (_name, act, message) => {
    const s = new GradScaler();
    const { opt } = setup(s);
    await expect(async () => act(s, opt)).rejects.toThrow(message);
  });

  it('refuses use before scale() and fp16 gradients', () => {
    const s = new GradScaler();
    const opt = new SGD([new Parameter([1])], { lr: 1 });
    expect(() => s.unscale_(opt)).toThrow('Attempted unscale_ but _scale is None');
    const w = new Parameter([1], { dtype: 'float16' });
    const o16 = new SGD([w], { lr: 1 });
    s.scale(w.sum());
    w.grad = new Parameter([1], { dtype: 'float16', requiresGrad: false });
    expect(() => s.unscale_(o16)).toThrow('Attempting to unscale FP16 gradients.');
  });

  it('round-trips its state dict and rejects empty or partial ones', async () => {
    const a = new GradScaler({ initScale: 8, growthInterval: 3 });
    const { opt } = setup(a);
    await iterate(a, opt, true);
    await iterate(a, opt, false);
    await iterate(a, opt, true);
    const b = new GradScaler();
    b.loadStateDict(a.stateDict());
    expect(b.stateDict()).toEqual(a.stateDict());
    expect(b.stateDict()).toEqual({
      scale: 4,
      growth_factor: 2,
      backoff_factor: 0.5,
      growth_interval: 3,
      _growth_tracker: 1,
    });
    expect(() => b.loadStateDict({})).toThrow('The source state dict is empty');
    expect(() => b.loadStateDict({ scale: 1 })).toThrow('growth_factor');
  });

  it('disabled: pass-through, scale 1, empty state', async () => {
    const s = new GradScaler({ enabled: false });
    const w = new Parameter([1]);
    const loss = w.sum();
    expect(s.scale(loss)).toBe(loss);
    expect(s.getScale()).toBe(1);
    expect(s.stateDict()).toEqual({});
  });

  it.each([
    [{ growthFactor: 1 }, 'GradScaler: growthFactor 1; expected a number > 1.0'],
    [{ backoffFactor: 1 }, 'GradScaler: backoffFactor 1; expected a number in (0, 1)'],
    [{ growthInterval: 0 }, 'GradScaler: growthInterval 0; expected a positive integer'],
  ])('validates %o', (opts, message) => {
    expect(() => new GradScaler(opts)).toThrow(message);
  });
});
