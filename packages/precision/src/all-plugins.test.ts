import { getDefaultDtype, type PrecisionPlugin } from '@mixprec/core';
import { describe, expect, it } from 'vitest';
import { FlashPrecision } from './flash-precision.js';
import { FullPrecision } from './full-precision.js';
import { HalfPrecision } from './half-precision.js';
import { HalfPrecisionForAudio } from './half-precision-for-audio.js';
import { PRECISIONS } from './precision-strings.js';

/** Every plugin this package ships, built from the table plus the classes not in it. */
const PLUGINS: [string, () => PrecisionPlugin][] = [
  ...Object.entries(PRECISIONS).map(([name, row]): [string, () => PrecisionPlugin] => [
    name,
    () => row.create({}),
  ]),
  ['HalfPrecisionForAudio(bf16-true)', () => new HalfPrecisionForAudio('bf16-true')],
  ['HalfPrecision(16-true)', () => new HalfPrecision('16-true')],
  ['FullPrecision(64-true)', () => new FullPrecision('64-true')],
  ['FlashPrecision(fp16-automodel)', () => new FlashPrecision('fp16-automodel')],
];

const CONTEXTS = ['moduleInitContext', 'tensorInitContext', 'forwardContext'] as const;

describe.each(PLUGINS)('%s', (_name, make) => {
  // Lightning test_all: the default dtype is fp32 before, and again after a throw inside.
  it.each(CONTEXTS)('%s restores the default dtype when the body throws', (ctx) => {
    const plugin = make();
    expect(getDefaultDtype()).toBe('float32');
    expect(() =>
      plugin[ctx](() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(getDefaultDtype()).toBe('float32');
  });

  it('contexts return the body value', () => {
    const plugin = make();
    for (const ctx of CONTEXTS) expect(plugin[ctx](() => 42)).toBe(42);
  });

  it('stateDict round-trips through loadStateDict', () => {
    const a = make();
    const b = make();
    const state = JSON.parse(JSON.stringify(a.stateDict())) as Record<string, unknown>;
    b.loadStateDict(state);
    expect(b.stateDict()).toEqual(a.stateDict());
  });

  it('reports a precision string', () => {
    expect(typeof make().precision).toBe('string');
  });
});
