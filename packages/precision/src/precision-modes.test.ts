import { describe, expect, it } from 'vitest';
import { FLASH_ALIASES, normalizeFlash } from './flash-precision.js';
import { MixedPrecision } from './mixed-precision.js';
import {
  canonicalPrecision,
  modeOfKind,
  PRECISION_MODES,
  type PrecisionMode,
  precisionMode,
  precisionStringsOf,
} from './precision-modes.js';
import { ALIASES, createPrecisionPlugin, PRECISIONS } from './precision-strings.js';

const rows = Object.entries(PRECISION_MODES) as [string, PrecisionMode][];

describe('PRECISION_MODES: one row per mode', () => {
  it.each(rows)(
    '%s: the plugin built from its row has the row’s dtypes and loss scaling',
    (name, mode) => {
      const plugin = createPrecisionPlugin(name, { warn: () => {} }) as unknown as {
        precision: string;
        dtype?: string;
        scalesLoss: boolean;
        lossScale: number | undefined;
      };
      expect(plugin.precision).toBe(name);
      expect(plugin.scalesLoss).toBe(mode.lossScaling);
      expect(plugin.lossScale === undefined).toBe(!mode.lossScaling);
      // Mixed plugins hold the autocast dtype; the others their parameter dtype.
      if (plugin.dtype !== undefined)
        expect(plugin.dtype).toBe(mode.autocastDtype ?? mode.paramDtype);
    },
  );

  it('autocasting rows keep fp32 parameters and compute in their autocast dtype', () => {
    for (const [, mode] of rows) {
      if (mode.autocastDtype === undefined) continue;
      expect(mode.paramDtype).toBe('float32');
      expect(mode.computeDtype).toBe(mode.autocastDtype);
    }
  });

  it('PRECISIONS and ALIASES are derived from the rows', () => {
    expect(Object.keys(PRECISIONS)).toEqual(Object.keys(PRECISION_MODES));
    for (const [name, mode] of rows) {
      expect(PRECISIONS[name as keyof typeof PRECISIONS]).toMatchObject(mode);
      for (const [alias, { warn }] of Object.entries(mode.aliases))
        expect(ALIASES[alias]).toEqual({ to: name, warn });
    }
    expect(Object.keys(ALIASES).sort()).toEqual(
      rows.flatMap(([, mode]) => Object.keys(mode.aliases)).sort(),
    );
  });

  it('FLASH_ALIASES and normalizeFlash come from the flash rows', () => {
    expect(FLASH_ALIASES).toEqual({
      'fp16-flash': 'fp16-flash',
      'bf16-flash': 'bf16-flash',
      'fp16-automodel': 'fp16-flash',
      'bf16-automodel': 'bf16-flash',
    });
    expect(normalizeFlash('bf16-automodel')).toBe('bf16-flash');
    expect(normalizeFlash('bf16-true')).toBeUndefined();
  });

  it('lookups: canonical strings and aliases, by plugin kind, with or without aliases', () => {
    expect(canonicalPrecision('16-true')).toBe('fp16-true');
    expect(canonicalPrecision('bf16')).toBe('bf16-mixed');
    expect(canonicalPrecision('nope')).toBeUndefined();
    expect(canonicalPrecision(16)).toBeUndefined();
    expect(precisionMode('fp16-automodel')).toBe(PRECISION_MODES['fp16-flash']);
    expect(modeOfKind('half', '16-true')).toBe(PRECISION_MODES['fp16-true']);
    expect(modeOfKind('half', '16-true', { aliases: false })).toBeUndefined();
    expect(modeOfKind('mixed', 'bf16-true')).toBeUndefined();
    expect(precisionStringsOf('mixed', { aliases: false })).toEqual(['16-mixed', 'bf16-mixed']);
    expect(precisionStringsOf('half')).toEqual(['fp16-true', 'bf16-true', '16-true']);
  });

  it('lossScale is the GradScaler’s current scale', () => {
    const plugin = new MixedPrecision('16-mixed', { scaler: { initScale: 1024 } });
    expect(plugin.lossScale).toBe(1024);
    expect(new MixedPrecision('bf16-mixed').lossScale).toBeUndefined();
  });
});
