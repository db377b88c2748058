import type { Backend } from '../backend/backend.js';

/** The groups of the v1 suite, in run order. */
export const CONFORMANCE_GROUPS = [
  'casts',
  'ops',
  'matmul',
  'broadcast',
  'memory',
  'graph',
  'gradients',
  'optim',
  'training',
  'autocast',
] as const;

/** A group of conformance cases; case ids start with a group-specific prefix. */
export type ConformanceGroup = (typeof CONFORMANCE_GROUPS)[number];

/** Outcome of one case. */
export type ConformanceStatus = 'pass' | 'fail' | 'skip';

/** One row of a conformance run, as the CLI prints it. */
export interface ConformanceResult {
  /** Stable case id, e.g. `cast/f32→bf16`, `op/add/bf16`, `matmul/fp16`. */
  readonly id: string;
  readonly group: ConformanceGroup;
  readonly status: ConformanceStatus;
  /** What was compared and, on failure, the first mismatches (index, input, got, expected). */
  readonly detail: string;
}

/** Options shared by `runConformance` and `describeConformance`. */
export interface ConformanceOptions {
  /** Creates a fresh backend; called once per group, and the backend is disposed after it. */
  readonly createBackend: () => Backend | Promise<Backend>;
  /** Directory with `casts.json` and `matmul.json` (default: the package's `vectors/`). */
  readonly vectorsDir?: string;
  /** Run only cases whose group or id starts with one of these prefixes. */
  readonly only?: readonly string[];
}

/** What a case reports; a thrown error is a failure with the error's message. */
export interface CaseOutcome {
  readonly status: ConformanceStatus;
  readonly detail: string;
}

/** What a case runs against: the group's backend and the vector files, loaded once per group. */
export interface CaseContext {
  /** The group's backend (created on first use). */
  backend(): Promise<Backend>;
  /** Reads and parses a vectors file once; throws an error naming the file if it is missing or malformed. */
  vectors<T>(file: string, parse: (json: unknown, file: string) => T): Promise<T>;
}

/** One conformance case: a stable id and the check. */
export interface ConformanceCase {
  readonly id: string;
  readonly group: ConformanceGroup;
  run(ctx: CaseContext): Promise<CaseOutcome>;
}

/** A passing outcome. */
export const pass = (detail: string): CaseOutcome => ({ status: 'pass', detail });
/** A failing outcome. */
export const fail = (detail: string): CaseOutcome => ({ status: 'fail', detail });
/** A skipped outcome; the detail says why and which case covers it instead. */
export const skip = (detail: string): CaseOutcome => ({ status: 'skip', detail });
