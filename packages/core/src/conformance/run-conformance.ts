import { join } from 'node:path';
import type { Backend } from '../backend/backend.js';
import { OptionsError } from '../errors/options-error.js';
import { checkOptions, type OptionSpec, optionSpec } from '../util/check-option-keys.js';
import { closestMatch } from '../util/did-you-mean.js';
import { autocastCases } from './autocast-group.js';
import { broadcastCases } from './broadcast-group.js';
import { castsCases } from './casts-group.js';
import { gradientsCases } from './gradients-group.js';
import { graphCases } from './graph-group.js';
import { matmulCases } from './matmul-group.js';
import { memoryCases } from './memory-group.js';
import { opsCases } from './ops-group.js';
import { optimCases } from './optim-group.js';
import { errorText } from './probe.js';
import { trainingCases } from './training-group.js';
import {
  type CaseContext,
  CONFORMANCE_GROUPS,
  type ConformanceCase,
  type ConformanceGroup,
  type ConformanceOptions,
  type ConformanceResult,
} from './types.js';
import { defaultVectorsDir, readVectorsJson } from './vectors.js';

const ONLY = {
  expected: 'an array of group names or case id prefixes',
  test: (v: unknown) => Array.isArray(v) && v.every((p) => typeof p === 'string'),
};

/** The keys of `ConformanceOptions` and their kinds. */
export const CONFORMANCE_OPTIONS = optionSpec<ConformanceOptions>({
  createBackend: 'function',
  vectorsDir: 'string',
  only: ONLY,
});

/** Checks the options of `runConformance` / `describeConformance` before any case runs. */
export function checkConformanceOptions<T extends ConformanceOptions>(
  where: string,
  options: T,
  spec: OptionSpec<T>,
): T {
  return checkOptions(where, options, spec, { required: ['createBackend'] });
}

/** Every case of the v1 suite, in group order. */
function allCases(): ConformanceCase[] {
  return [
    ...castsCases(),
    ...opsCases(),
    ...matmulCases(),
    ...broadcastCases(),
    ...memoryCases(),
    ...graphCases(),
    ...gradientsCases(),
    ...optimCases(),
    ...trainingCases(),
    ...autocastCases(),
  ];
}

/**
 * The cases selected by `only` (group names or id prefixes; all when omitted). Throws when a
 * prefix matches nothing, so a typo does not pass as an empty, green run.
 */
export function selectCases(only?: readonly string[]): ConformanceCase[] {
  const cases = allCases();
  if (only === undefined) return cases;
  if (!ONLY.test(only)) {
    throw new OptionsError(
      `conformance: option 'only' is ${JSON.stringify(only)}; expected ${ONLY.expected}`,
      {
        where: 'conformance',
      },
    );
  }
  const unmatched = only.filter((p) => !cases.some((c) => c.group === p || c.id.startsWith(p)));
  if (unmatched.length > 0) {
    const candidates = [...CONFORMANCE_GROUPS, ...new Set(cases.map((c) => c.id))];
    const suggestions: Record<string, string> = {};
    for (const p of unmatched) {
      const match = closestMatch(p, candidates);
      if (match !== undefined) suggestions[p] = match;
    }
    const hints = Object.entries(suggestions).map(([p, m]) => `'${p}': did you mean '${m}'?`);
    throw new OptionsError(
      `conformance: 'only' entries ${JSON.stringify(unmatched)} match no case${hints.length > 0 ? ` (${hints.join('; ')})` : ''}; expected group names (${CONFORMANCE_GROUPS.join(', ')}) or id prefixes such as 'op/add' or 'cast/'`,
      { where: 'conformance', unknownKeys: unmatched, accepted: CONFORMANCE_GROUPS, suggestions },
    );
  }
  return cases.filter((c) => only.some((p) => c.group === p || c.id.startsWith(p)));
}

/** The ids and groups of the selected cases, for listings (`mixprec conformance --list`). */
export function listConformanceCases(
  only?: readonly string[],
): { id: string; group: ConformanceGroup }[] {
  return selectCases(only).map(({ id, group }) => ({ id, group }));
}

/**
 * The state one group's cases share: a backend created on first use and disposed after the
 * group, and vector files read once. Failures to create either are re-thrown to every case
 * that needs them, so each such case fails with the reason.
 */
export class GroupSession implements CaseContext {
  #backend: Promise<Backend> | undefined;
  readonly #files = new Map<string, Promise<unknown>>();
  readonly #dir: string;

  constructor(readonly options: ConformanceOptions) {
    this.#dir = options.vectorsDir ?? defaultVectorsDir();
  }

  backend(): Promise<Backend> {
    this.#backend ??= (async () => {
      try {
        return await this.options.createBackend();
      } catch (error) {
        throw new Error(`createBackend failed: ${errorText(error)}`);
      }
    })();
    return this.#backend;
  }

  vectors<T>(file: string, parse: (json: unknown, file: string) => T): Promise<T> {
    let loaded = this.#files.get(file);
    if (loaded === undefined) {
      loaded = readVectorsJson(this.#dir, file).then((json) => parse(json, join(this.#dir, file)));
      // Cases await it themselves; this only keeps an unawaited rejection from being reported twice.
      loaded.catch(() => undefined);
      this.#files.set(file, loaded);
    }
    return loaded as Promise<T>;
  }

  /** Disposes the backend if one was created. */
  async dispose(): Promise<void> {
    const pending = this.#backend;
    this.#backend = undefined;
    if (pending === undefined) return;
    const backend = await pending.catch(() => undefined);
    await backend?.dispose();
  }
}

/** Runs one case, turning a thrown error into a failure that carries the message. */
export async function runCase(c: ConformanceCase, ctx: CaseContext): Promise<ConformanceResult> {
  try {
    const { status, detail } = await c.run(ctx);
    return { id: c.id, group: c.group, status, detail };
  } catch (error) {
    return { id: c.id, group: c.group, status: 'fail', detail: errorText(error) };
  }
}

/**
 * Runs the conformance suite against a backend factory, without any test runner: for
 * `mixprec conformance` and for scripts. Each group gets its own backend (created lazily,
 * disposed afterwards); cases run one after another. A missing or malformed vectors file makes
 * the cases that need it fail with a message naming the file.
 *
 * @example
 * const results = await runConformance({ createBackend: () => createReferenceBackend() });
 * console.table(summarizeConformance(results));
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceResult[]> {
  checkConformanceOptions('runConformance', options, CONFORMANCE_OPTIONS);
  const cases = selectCases(options.only);
  const results: ConformanceResult[] = [];
  for (const group of CONFORMANCE_GROUPS) {
    const inGroup = cases.filter((c) => c.group === group);
    if (inGroup.length === 0) continue;
    const session = new GroupSession(options);
    try {
      for (const c of inGroup) results.push(await runCase(c, session));
    } finally {
      await session.dispose();
    }
  }
  return results;
}

/** Pass / fail / skip counts of one group. */
export interface ConformanceSummary {
  readonly group: ConformanceGroup;
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
}

/** Per-group counts of a run, in group order (groups without results are left out). */
export function summarizeConformance(results: readonly ConformanceResult[]): ConformanceSummary[] {
  return CONFORMANCE_GROUPS.flatMap((group) => {
    const rows = results.filter((r) => r.group === group);
    if (rows.length === 0) return [];
    const count = (s: ConformanceResult['status']) => rows.filter((r) => r.status === s).length;
    return [{ group, pass: count('pass'), fail: count('fail'), skip: count('skip') }];
  });
}
