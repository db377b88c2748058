import { describe, expect, it } from 'vitest';
import { FlashPrecision } from './flash-precision.js';
import { HalfPrecision } from './half-precision.js';
import { HalfPrecisionForAudio } from './half-precision-for-audio.js';
import { resolveTrainerCfg } from './resolve-trainer-cfg.js';

describe('resolveTrainerCfg (docs/precision.md#resolvetrainercfg)', () => {
  it.each([
    ['bf16-true', HalfPrecisionForAudio, 'bf16-true', 'bfloat16'],
    ['fp16-true', HalfPrecisionForAudio, 'fp16-true', 'float16'],
    ['bf16-flash', FlashPrecision, 'bf16-flash', 'bfloat16'],
    ['fp16-flash', FlashPrecision, 'fp16-flash', 'float16'],
    ['bf16-automodel', FlashPrecision, 'bf16-flash', 'bfloat16'],
    ['fp16-automodel', FlashPrecision, 'fp16-flash', 'float16'],
  ] as const)('%s → exactly one %o, no precision key', (precision, cls, name, dtype) => {
    const out = resolveTrainerCfg({ precision, maxSteps: 10 });
    expect(Object.hasOwn(out, 'precision')).toBe(false);
    expect(out.maxSteps).toBe(10);
    expect(out.plugins).toHaveLength(1);
    const plugin = out.plugins?.[0] as HalfPrecisionForAudio | FlashPrecision;
    expect(plugin).toBeInstanceOf(cls);
    expect([plugin.precision, plugin.dtype]).toEqual([name, dtype]);
  });

  it.each(['16-true', '16-mixed', 'bf16-mixed', '32-true', 16, undefined])(
    '%o is left for the trainer',
    (precision) => {
      const cfg = { precision, plugins: [] };
      expect(resolveTrainerCfg(cfg)).toEqual(cfg);
    },
  );

  it('does not mutate the input and keeps other plugins', () => {
    const other = { name: 'not a precision plugin' };
    const cfg = { precision: 'bf16-true', plugins: [other] };
    const out = resolveTrainerCfg(cfg);
    expect(cfg).toEqual({ precision: 'bf16-true', plugins: [other] });
    expect(out.plugins?.[0]).toBe(other);
    expect(out.plugins?.[1]).toBeInstanceOf(HalfPrecisionForAudio);
  });

  it('precision together with a precision plugin is a clear error', () => {
    expect(() =>
      resolveTrainerCfg({ precision: 'bf16-true', plugins: [new HalfPrecision('16-true')] }),
    ).toThrow(
      'resolveTrainerCfg: received both `precision=bf16-true` and `plugins=[HalfPrecision("16-true")]`; expected one of them (remove `precision` or the precision plugin)',
    );
  });

  it('passes keepFp32 to the plugin', () => {
    const out = resolveTrainerCfg({ precision: 'bf16-true' }, { keepFp32: ['frontEnd.*'] });
    expect(out.plugins?.[0]).toBeInstanceOf(HalfPrecisionForAudio);
  });
});
