import type { OptionCheck, TensorFilter } from '@mixprec/core';

/**
 * Which parameters/buffers a true-precision module conversion keeps in fp32: a predicate on
 * the dotted tensor name (`'frontEnd.conv.weight'`) or glob patterns over it, where `*`
 * matches any run of characters (dots included) and `?` one character: `'frontEnd.*'`.
 */
export type KeepFp32 = ((name: string) => boolean) | readonly string[];

/** Options shared by the plugins that cast a module. */
export interface ModuleConversionOptions {
  /** Tensors to leave in fp32 (e.g. an audio front end that is unstable in half). */
  readonly keepFp32?: KeepFp32;
}

/** What `keepFp32` accepts, for option checks. */
export const KEEP_FP32: OptionCheck = {
  expected: 'a predicate on the tensor name or an array of glob strings',
  test: (v) =>
    typeof v === 'function' || (Array.isArray(v) && v.every((p) => typeof p === 'string')),
};

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => {
      if (c === '*') return '.*';
      if (c === '?') return '.';
      return c.replace(/[\\^$.+()[\]{}|]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}

/** The name predicate for `keepFp32` (`undefined` when nothing is kept). */
export function keepFp32Predicate(
  keep: KeepFp32 | undefined,
): ((name: string) => boolean) | undefined {
  if (keep === undefined) return undefined;
  if (typeof keep === 'function') return keep;
  const patterns = keep.map(globToRegExp);
  return (name) => patterns.some((re) => re.test(name));
}

/** The `Module.to` filter that skips the kept tensors (`undefined`: convert everything). */
export function conversionFilter(keep: KeepFp32 | undefined): TensorFilter | undefined {
  const kept = keepFp32Predicate(keep);
  return kept ? (name) => !kept(name) : undefined;
}
