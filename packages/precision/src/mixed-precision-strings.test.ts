import { describe, expect, it, vi } from 'vitest';
import { MixedPrecision } from './mixed-precision.js';
import { createPrecisionPlugin, parsePrecision } from './precision-strings.js';

describe('mixed precision strings', () => {
  // Lightning's connector table: 16 and 'bf16' warn, 32/64 do not.
  it.each([
    ['16', "`precision='16'`", '16-mixed'],
    [16, '`precision=16`', '16-mixed'],
    ['bf16', "`precision='bf16'`", 'bf16-mixed'],
  ] as const)('%o → %s with the discouragement warning', (value, quoted, expected) => {
    const warn = vi.fn();
    expect(parsePrecision(value, { warn })).toBe(expected);
    expect(warn).toHaveBeenCalledOnce();
    expect(warn).toHaveBeenCalledWith(
      `${quoted} is supported for historical reasons but its usage is discouraged. Please set your precision to '${expected}' instead!`,
    );
  });

  it.each([
    ['16-mixed', 'float16', true],
    ['bf16-mixed', 'bfloat16', false],
  ] as const)('%s → MixedPrecision(%s), scaler %s', (value, dtype, scaled) => {
    const plugin = createPrecisionPlugin(value, { device: 'cpu', scaler: undefined });
    expect(plugin).toBeInstanceOf(MixedPrecision);
    expect((plugin as MixedPrecision).dtype).toBe(dtype);
    expect((plugin as MixedPrecision).scaler !== undefined).toBe(scaled);
  });

  it('scaler options are settable from a config', () => {
    const plugin = createPrecisionPlugin('16-mixed', {
      scaler: { initScale: 256, growthInterval: 5 },
    });
    expect(plugin.stateDict()).toMatchObject({ scale: 256, growth_interval: 5 });
  });
});
