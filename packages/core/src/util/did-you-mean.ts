/**
 * Optimal string alignment distance between `a` and `b`: insertions, deletions, substitutions
 * and swaps of two adjacent characters each cost 1, so `trian` is 1 away from `train` and
 * `precison` 1 away from `precision`.
 */
export function editDistance(a: string, b: string): number {
  // Three rolling rows: the swap rule looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2] + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate closest to `value` (case-insensitive), if it is close enough to be a likely
 * typo: at most 2 edits, and at most a third of the longer string. Ties go to the earlier one.
 */
export function closestMatch(value: string, candidates: Iterable<string>): string | undefined {
  const needle = value.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = editDistance(needle, candidate.toLowerCase());
    const limit = Math.min(2, Math.floor(Math.max(needle.length, candidate.length) / 3));
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `"; did you mean 'x'?"` for the closest candidate, or `''` when none is close. */
export function didYouMean(value: string, candidates: Iterable<string>): string {
  const match = closestMatch(value, candidates);
  return match === undefined ? '' : `; did you mean '${match}'?`;
}
