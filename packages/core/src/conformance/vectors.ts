import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Locating, reading and validating vector files. A missing or malformed file is an error that
 * names the file and the first bad field: the cases that need it FAIL, never skip.
 */

/**
 * Directory of this module. The ESM build and vitest have `import.meta.url`; the CJS build
 * gets it from tsup's shim (`shims: true`), with `__filename` as a fallback for other bundlers.
 */
function moduleDir(): string {
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return typeof __filename === 'string' ? dirname(__filename) : process.cwd();
  }
}

/**
 * The vectors shipped with `@mixprec/core` (`<package>/vectors`). Found by walking up from this
 * module to the package root, so it works from `src/conformance/` (tests), from
 * `dist/conformance/` and from a shared `dist/` chunk alike.
 */
export function defaultVectorsDir(): string {
  let dir = moduleDir();
  for (let up = 0; up < 6; up++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const name: unknown = JSON.parse(readFileSync(manifest, 'utf8')).name;
        if (name === '@mixprec/core') return join(dir, 'vectors');
      } catch {
        // An unreadable manifest is not ours; keep walking up.
      }
    }
    dir = dirname(dir);
  }
  return join(moduleDir(), '..', '..', 'vectors');
}

/** Reads and parses `dir/file` as JSON, with errors that name the file. */
export async function readVectorsJson(dir: string, file: string): Promise<unknown> {
  const path = join(dir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    throw new Error(
      `vectors file ${path} could not be read (${code}); expected a ${file} in the vectors directory`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`vectors file ${path} is not valid JSON (${(error as Error).message})`);
  }
}

/** Field readers that throw `file: path is <value>; expected <what>`. */
export class FieldReader {
  constructor(readonly file: string) {}

  fail(path: string, value: unknown, expected: string): never {
    const shown = JSON.stringify(value)?.slice(0, 60) ?? String(value);
    throw new Error(`vectors file ${this.file}: ${path} is ${shown}; expected ${expected}`);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(path, value, 'an object');
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, value, 'an array');
    return value;
  }

  /** Bits given as exactly `digits` hex digits (the golden files' convention). */
  hex(value: unknown, path: string, digits: 4 | 8): number {
    if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(value)) {
      this.fail(path, value, `${digits} hex digits`);
    }
    return Number.parseInt(value, 16) >>> 0;
  }

  hexArray(value: unknown, path: string, digits: 4 | 8, length: number): number[] {
    const items = this.array(value, path);
    if (items.length !== length) this.fail(`${path}.length`, items.length, `${length}`);
    return items.map((v, i) => this.hex(v, `${path}[${i}]`, digits));
  }

  int(value: unknown, path: string): number {
    if (!Number.isInteger(value) || (value as number) < 1)
      this.fail(path, value, 'a positive integer');
    return value as number;
  }

  halfDtype(value: unknown, path: string): 'bfloat16' | 'float16' {
    if (value === 'bf16') return 'bfloat16';
    if (value === 'fp16') return 'float16';
    return this.fail(path, value, "'bf16' or 'fp16'");
  }
}

/** One fp32 input of `casts.json` with its narrowed and re-widened bits. */
export interface CastVector {
  readonly tag: string;
  readonly f32: number;
  readonly bf16: number;
  readonly fp16: number;
  readonly bf16ToF32: number;
  readonly fp16ToF32: number;
}

/** One 16-bit pattern of `casts.json` "widen_cases" and its fp32 bits. */
export interface WidenVector {
  readonly dtype: 'bfloat16' | 'float16';
  readonly bits: number;
  readonly f32: number;
}

/** The contents of `casts.json` the suite uses. */
export interface CastVectors {
  readonly cases: readonly CastVector[];
  readonly widen: readonly WidenVector[];
}

/** Validates `casts.json`. */
export function parseCasts(json: unknown, file: string): CastVectors {
  const r = new FieldReader(file);
  const root = r.object(json, '(root)');
  const rawCases = r.array(root.cases, 'cases');
  if (rawCases.length === 0) r.fail('cases', rawCases, 'a non-empty array');
  const cases = rawCases.map((c, i): CastVector => {
    const o = r.object(c, `cases[${i}]`);
    return {
      tag: typeof o.tag === 'string' ? o.tag : '',
      f32: r.hex(o.f32, `cases[${i}].f32`, 8),
      bf16: r.hex(o.bf16, `cases[${i}].bf16`, 4),
      fp16: r.hex(o.fp16, `cases[${i}].fp16`, 4),
      bf16ToF32: r.hex(o.bf16_to_f32, `cases[${i}].bf16_to_f32`, 8),
      fp16ToF32: r.hex(o.fp16_to_f32, `cases[${i}].fp16_to_f32`, 8),
    };
  });
  const widen = r.array(root.widen_cases, 'widen_cases').map((c, i): WidenVector => {
    const o = r.object(c, `widen_cases[${i}]`);
    return {
      dtype: r.halfDtype(o.dtype, `widen_cases[${i}].dtype`),
      bits: r.hex(o.bits, `widen_cases[${i}].bits`, 4),
      f32: r.hex(o.f32, `widen_cases[${i}].f32`, 8),
    };
  });
  return { cases, widen };
}

/** One product of `matmul.json`: inputs and expected outputs as bit patterns. */
export interface MatmulVector {
  readonly note: string;
  readonly dtype: 'bfloat16' | 'float16';
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly A: readonly number[];
  readonly B: readonly number[];
  /** Exact product rounded once to the dtype. */
  readonly expected: readonly number[];
  /** Exact product rounded once to fp32. */
  readonly expectedF32: readonly number[];
}

/** Validates `matmul.json`. */
export function parseMatmul(json: unknown, file: string): MatmulVector[] {
  const r = new FieldReader(file);
  const root = r.object(json, '(root)');
  const cases = r.array(root.cases, 'cases');
  if (cases.length === 0) r.fail('cases', cases, 'a non-empty array');
  return cases.map((c, i): MatmulVector => {
    const o = r.object(c, `cases[${i}]`);
    const at = (f: string) => `cases[${i}].${f}`;
    const M = r.int(o.M, at('M'));
    const K = r.int(o.K, at('K'));
    const N = r.int(o.N, at('N'));
    return {
      note: typeof o.note === 'string' ? o.note : `case ${i}`,
      dtype: r.halfDtype(o.dtype, at('dtype')),
      M,
      K,
      N,
      A: r.hexArray(o.A, at('A'), 4, M * K),
      B: r.hexArray(o.B, at('B'), 4, K * N),
      expected: r.hexArray(o.expected, at('expected'), 4, M * N),
      expectedF32: r.hexArray(o.expected_f32, at('expected_f32'), 8, M * N),
    };
  });
}
