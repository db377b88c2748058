import { describe, expect, it } from 'vitest';
import { keepFp32Predicate } from './keep-fp32.js';

describe('keepFp32Predicate', () => {
  it.each([
    [['frontEnd.*'], 'frontEnd.conv.weight', true],
    [['frontEnd.*'], 'frontEnd', false],
    [['frontEnd.*'], 'head.frontEnd.weight', false],
    [['*.bias'], 'encoder.layers.1.bias', true],
    [['layers.?.norm.*'], 'layers.3.norm.weight', true],
    [['layers.?.norm.*'], 'layers.10.norm.weight', false],
    // Regex metacharacters in a pattern are literal.
    [['a+b.*'], 'a+b.w', true],
    [['a+b.*'], 'aab.w', false],
    [[], 'anything', false],
  ])('%o on %s → %s', (patterns, name, expected) => {
    expect(keepFp32Predicate(patterns)?.(name)).toBe(expected);
  });

  it('passes predicates through and means "keep nothing" when unset', () => {
    const fn = (name: string) => name === 'x';
    expect(keepFp32Predicate(fn)).toBe(fn);
    expect(keepFp32Predicate(undefined)).toBeUndefined();
  });
});
