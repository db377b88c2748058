import { readTestVectors } from '../../../__fixtures__/test-vectors.js';
import { f32Bits } from '../fp32.js';

/**
 * The cases of one kind from `flash.json`, read from `MIXPREC_VECTORS_DIR` when set (the same
 * checks then run on another vector set of the same format), else from core's vectors.
 */
export function flashCases<T extends { kind: string }>(kind: T['kind']): T[] {
  const file = readTestVectors<{ cases: { kind: string }[] }>('flash.json');
  return file.cases.filter((c): c is T => c.kind === kind);
}

/** A hex bit pattern as a number. */
export const hex = (s: string) => Number.parseInt(s, 16);
/** 16-bit pattern as 4 hex digits. */
export const h16 = (b: number) => b.toString(16).padStart(4, '0');
/** fp32 value as 8 hex digits of its bits. */
export const h32 = (x: number) => f32Bits(x).toString(16).padStart(8, '0');
