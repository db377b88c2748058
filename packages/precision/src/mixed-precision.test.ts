import {
  type Backend,
  fromArray,
  getDefaultDtype,
  Linear,
  Parameter,
  SGD,
  setBackend,
  zeros,
} from '@mixprec/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradScaler } from './grad-scaler.js';
import { MixedPrecision, type MixedPrecisionString } from './mixed-precision.js';

beforeAll(async () => {
  await setBackend('reference');
});

describe('MixedPrecision (Lightning test_amp)', () => {
  it("applies the step backend's autocast overrides, which the Trainer passes in", () => {
    const plugin = new MixedPrecision('bf16-mixed');
    const x = fromArray([1, 2, 3, 4], { shape: [2, 2] }).cast('bfloat16');
    // softmax is an fp32 op in the default policy: a bf16 input is promoted.
    expect(plugin.forwardContext(() => x.softmax(-1)).dtype).toBe('float32');
    const backend = {
      capabilities: { autocastOverrides: { softmax: 'unchanged' } },
    } as unknown as Backend;
    expect(plugin.forwardContext(() => x.softmax(-1), { backend }).dtype).toBe('bfloat16');
  });

  it.each(['16', 16, 'bf16'])('rejects %o with Lightning message', (value) => {
    const got = typeof value === 'string' ? `'${value}'` : String(value);
    expect(() => new MixedPrecision(value as MixedPrecisionString)).toThrow(
      `Passed \`MixedPrecision(precision=${got})\`. Precision must be '16-mixed' or 'bf16-mixed'.`,
    );
  });

  it('16-mixed gets a default GradScaler; bf16-mixed has none and rejects one', () => {
    expect(new MixedPrecision('16-mixed').scaler).toBeInstanceOf(GradScaler);
    expect(new MixedPrecision('16-mixed', { scaler: { initScale: 1024 } }).scaler?.getScale()).toBe(
      1024,
    );
    expect(new MixedPrecision('bf16-mixed').scaler).toBeUndefined();
    expect(() => new MixedPrecision('bf16-mixed', { scaler: new GradScaler() })).toThrow(
      "`precision='bf16-mixed'` does not use a scaler, found GradScaler",
    );
  });

  it.each([
    ['16-mixed', 'float16'],
    ['bf16-mixed', 'bfloat16'],
  ] as const)(
    '%s: forward runs linear layers in %s, weights stay fp32, default dtype fp32',
    (p, dtype) => {
      const plugin = new MixedPrecision(p, { device: 'cpu' });
      // No bias: Linear.forward is matmul + add, and the add promotes back to the fp32 bias.
      const layer = new Linear(2, 2, { bias: false });
      const y = plugin.forwardContext(() => {
        expect(getDefaultDtype()).toBe('float32');
        return layer.forward(zeros([1, 2]));
      });
      expect(y.dtype).toBe(dtype);
      expect(layer.weight.dtype).toBe('float32');
      expect(plugin.convertInput(zeros([1])).dtype).toBe('float32');
    },
  );

  it('backward scales the loss; unscaleGradients unscales once', async () => {
    const plugin = new MixedPrecision('16-mixed', { scaler: { initScale: 8 } });
    const w = new Parameter([1, 2]);
    const opt = new SGD([w], { lr: 0.1 });
    plugin.backward(w.mul(3).sum(), [w]);
    expect([...(await w.grad!.data())]).toEqual([24, 24]);
    plugin.unscaleGradients(opt);
    plugin.unscaleGradients(opt);
    expect(plugin.scaler?.stage(opt)).toBe('UNSCALED');
    expect([...(await w.grad!.data())]).toEqual([3, 3]);
    expect(await plugin.optimizerStep(opt, { gradientsFinite: true })).toBe(true);
    expect([...(await w.data())].map((v) => Math.round(v * 10) / 10)).toEqual([0.7, 1.7]);
  });

  it('skips a non-finite step, backs off, and round-trips the scaler state', async () => {
    const plugin = new MixedPrecision('16-mixed');
    const w = new Parameter([1]);
    const opt = new SGD([w], { lr: 0.1 });
    plugin.backward(w.sum(), [w]);
    plugin.unscaleGradients(opt);
    expect(await plugin.optimizerStep(opt, { gradientsFinite: false })).toBe(false);
    expect(opt.stepCount).toBe(0);
    expect(plugin.stateDict()).toMatchObject({ scale: 32768, _growth_tracker: 0 });
    const other = new MixedPrecision('16-mixed');
    other.loadStateDict(plugin.stateDict());
    expect(other.stateDict()).toEqual(plugin.stateDict());
    expect(new MixedPrecision('bf16-mixed').stateDict()).toEqual({});
  });
});
