import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultVectorsDir } from '../conformance/vectors.js';

/**
 * The directory unit tests read vector files from: `MIXPREC_VECTORS_DIR` when set, so the same
 * checks run on another vector set of the same format, else the vectors shipped with core.
 */
export function testVectorsDir(): string {
  return process.env.MIXPREC_VECTORS_DIR ?? defaultVectorsDir();
}

/** One vector file (`casts.json`, `optim.json`, …) parsed, from `testVectorsDir()`. */
export function readTestVectors<T>(file: string): T {
  return JSON.parse(readFileSync(join(testVectorsDir(), file), 'utf8')) as T;
}
