import { describe, expect, it } from 'vitest';
import { closestMatch, didYouMean, editDistance } from './did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['train', 'train', 0],
    ['trian', 'train', 1], // adjacent swap
    ['precison', 'precision', 1], // deletion
    ['trainn', 'train', 1], // insertion
    ['trein', 'train', 1], // substitution
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['abc', '', 3],
  ])('%j → %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closestMatch / didYouMean', () => {
  const commands = ['train', 'compare', 'memory', 'bench', 'backends', 'conformance'];
  it('finds a likely typo, case-insensitively', () => {
    expect(closestMatch('trian', commands)).toBe('train');
    expect(closestMatch('BENCH', commands)).toBe('bench');
    expect(closestMatch('backend', commands)).toBe('backends');
    expect(didYouMean('conformnce', commands)).toBe("; did you mean 'conformance'?");
  });
  it('suggests nothing for a string far from every candidate', () => {
    expect(closestMatch('xyz', commands)).toBeUndefined();
    expect(closestMatch('nope', ['reference', 'ort'])).toBeUndefined();
    expect(didYouMean('a', ['b'])).toBe('');
  });
  it('prefers the closest, then the earliest', () => {
    expect(closestMatch('bench', ['bunch', 'bench'])).toBe('bench');
    expect(closestMatch('abcd', ['abce', 'abcf'])).toBe('abce');
  });
});
