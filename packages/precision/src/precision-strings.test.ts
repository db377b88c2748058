import { BasePrecision } from '@mixprec/core';
import { describe, expect, it, vi } from 'vitest';
import { FlashPrecision } from './flash-precision.js';
import { FullPrecision } from './full-precision.js';
import { HalfPrecision } from './half-precision.js';
import { ALIASES, createPrecisionPlugin, PRECISIONS, parsePrecision } from './precision-strings.js';

describe('parsePrecision', () => {
  it.each([
    ['32-true', '32-true'],
    ['64-true', '64-true'],
    ['fp16-true', 'fp16-true'],
    ['bf16-true', 'bf16-true'],
    ['16-true', 'fp16-true'],
    ['fp16-flash', 'fp16-flash'],
    ['bf16-flash', 'bf16-flash'],
    ['fp16-automodel', 'fp16-flash'],
    ['bf16-automodel', 'bf16-flash'],
    ['32', '32-true'],
    ['64', '64-true'],
    [32, '32-true'],
    [64, '64-true'],
    [undefined, '32-true'],
    [null, '32-true'],
  ])('%o → %s without a warning', (value, expected) => {
    const warn = vi.fn();
    expect(parsePrecision(value, { warn })).toBe(expected);
    expect(warn).not.toHaveBeenCalled();
  });

  // Lightning's connector tests: 1, 12, 'invalid' are rejected; we also reject near misses.
  it.each([1, 12, 'invalid', 32.5, '32.0', 'half', 'fp32', true])('rejects %o', (value) => {
    expect(() => parsePrecision(value)).toThrow(/^Precision .* is invalid; expected one of /);
  });

  it('names the value and lists every allowed value', () => {
    let message = '';
    try {
      parsePrecision('invalid');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.startsWith("Precision 'invalid' is invalid; expected one of ")).toBe(true);
    for (const v of [...Object.keys(PRECISIONS), ...Object.keys(ALIASES)]) {
      expect(message).toContain(`'${v}'`);
    }
    expect(message).toContain(', 32, 64');
    expect(() => parsePrecision(12)).toThrow('Precision 12 is invalid');
  });
});

describe('createPrecisionPlugin', () => {
  it.each([
    ['32-true', FullPrecision, 'float32'],
    ['64-true', FullPrecision, 'float64'],
    ['16-true', HalfPrecision, 'float16'],
    ['bf16-true', HalfPrecision, 'bfloat16'],
    ['bf16-flash', FlashPrecision, 'bfloat16'],
    ['fp16-automodel', FlashPrecision, 'float16'],
  ] as const)('%s → %o (%s)', (value, cls, dtype) => {
    const plugin = createPrecisionPlugin(value);
    expect(plugin).toBeInstanceOf(cls);
    expect(plugin).toBeInstanceOf(BasePrecision);
    expect((plugin as unknown as { dtype: string }).dtype).toBe(dtype);
    expect(plugin.precision).toBe(parsePrecision(value));
  });

  it('every table row builds a plugin reporting its own string', () => {
    for (const key of Object.keys(PRECISIONS) as (keyof typeof PRECISIONS)[]) {
      expect(createPrecisionPlugin(key).precision).toBe(key);
    }
  });
});
