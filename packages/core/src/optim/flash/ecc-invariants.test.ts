import { describe, expect, it } from 'vitest';
import { MixprecError } from '../../errors/mixprec-error.js';
import {
  ECC_INVARIANT_ALLOWANCES,
  ECC_SAMPLED_EXPONENTS,
  eccInvariantCounts,
  eccInvariantKind,
} from './ecc-invariants.js';

// The full sampled sweep is scripts/verify-ecc-invariants.mjs; these are the cheap spot checks
// (about 0.25 s per configuration). Expected counts are the reference emulation's
// (docs/flashoptim.md#ecc-invariants).
describe('eccInvariantCounts (docs/flashoptim.md#ecc-invariants)', () => {
  it('bf16 k = 0, both signs: 32 / 32 / 32129 for invariants 3 / 4 / 7, nothing else', () => {
    for (const sign of [1, -1] as const) {
      const { counts, evaluated } = eccInvariantCounts('bfloat16', sign, 0);
      expect(evaluated).toBe(2 ** 23);
      expect(counts).toEqual([0, 0, 32, 32, 0, 0, 32129]);
    }
  });
  it('fp16 k = -30 (narrow subnormals): inv.4 16382, inv.5 7656268, inv.6 7602176', () => {
    const { counts } = eccInvariantCounts('float16', 1, -30);
    expect(counts[3]).toBe(16382);
    expect(counts[4]).toBe(7656268);
    expect(counts[5]).toBe(7602176);
    const allowed = ECC_INVARIANT_ALLOWANCES.float16[eccInvariantKind('float16', -30)];
    counts.forEach((c, i) => {
      expect(c).toBeLessThanOrEqual(allowed[i]);
    });
  });
  it('classifies exponents and lists the sampled ones', () => {
    expect(eccInvariantKind('bfloat16', -127)).toBe('denormal');
    expect(eccInvariantKind('bfloat16', -126)).toBe('normal');
    expect(eccInvariantKind('float16', -15)).toBe('denormal');
    expect(eccInvariantKind('float16', -14)).toBe('normal');
    expect(ECC_SAMPLED_EXPONENTS.bfloat16).toEqual([-127, -126, -1, 0, 1, 126, 127]);
    expect(ECC_SAMPLED_EXPONENTS.float16).toEqual([-30, -26, -18, -15, -14, 0, 15]);
  });
  it('rejects bad arguments with MixprecError', () => {
    expect(() => eccInvariantCounts('bfloat16', 1, 128)).toThrow(
      /exponent 128, expected an integer/,
    );
    try {
      eccInvariantCounts('float32' as 'bfloat16', 1, 0);
      expect.unreachable();
    } catch (e) {
      expect(MixprecError.isInstance(e)).toBe(true);
      expect(String(e)).toMatch(/dtype float32/);
    }
  });
});
