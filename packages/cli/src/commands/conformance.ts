import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BackendFactory, BackendRegistry } from '@mixprec/core';
import {
  type ConformanceResult,
  type ConformanceSummary,
  defaultVectorsDir,
  listConformanceCases,
  runConformance,
  summarizeConformance,
} from '@mixprec/core/conformance';
import type { CliIo } from '../cli-io.js';
import { formatTable } from '../format-table.js';
import { cliRegistry, selectCliBackend } from '../select-backend.js';
import { UsageError } from '../usage-error.js';

/** Options of `mixprec conformance`. */
export interface ConformanceCommandOptions {
  /** Backend name or `'auto'` (honours `MIXPREC_BACKEND`). */
  readonly backend: string;
  /** Directory of test vectors (default: the vectors shipped with `@mixprec/core`). */
  readonly vectors?: string;
  /** Run only cases whose group or id starts with this prefix (several: comma-separated). */
  readonly only?: string;
  readonly json?: boolean;
  /** List every case, not only the failures. */
  readonly verbose?: boolean;
  /** Registry to select from (default: the process-wide one, where imported backend packages registered). */
  readonly registry?: BackendRegistry;
  /**
   * Runs the suite on backends made by this factory instead of selecting `backend` from the
   * registry (tests inject broken backends this way). Called once up front to check it loads.
   */
  readonly createBackend?: BackendFactory;
}

/** Per-group counts (`summarizeConformance`) plus a `total` row. */
export function countByGroup(results: readonly ConformanceResult[]): {
  groups: ConformanceSummary[];
  total: GroupCounts;
} {
  const groups = summarizeConformance(results);
  const total = { group: 'total', pass: 0, fail: 0, skip: 0 };
  for (const g of groups) {
    total.pass += g.pass;
    total.fail += g.fail;
    total.skip += g.skip;
  }
  return { groups, total };
}

/** Pass/fail/skip counts of a group, or of the whole run (`group: 'total'`). */
export type GroupCounts = Omit<ConformanceSummary, 'group'> & { readonly group: string };

/**
 * Splits `--only` into prefixes and checks that each matches a case (with the suite's own
 * message), so a typo is a usage error rather than an empty, green run.
 */
function parseOnly(only: string | undefined): string[] | undefined {
  const prefixes = only
    ?.split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (!prefixes || prefixes.length === 0) return undefined;
  try {
    listConformanceCases(prefixes);
  } catch (error) {
    throw new UsageError(
      `mixprec conformance: --only '${only}': ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return prefixes;
}

/** Checks `--vectors`: it must name an existing directory. Returns it absolute. */
function checkVectorsDir(dir: string): string {
  const abs = resolve(dir);
  if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(
      `mixprec conformance: --vectors '${dir}' is not a directory; expected a directory of test vectors in the format of @mixprec/core's vectors directory (casts.json, matmul.json, ...; see docs/conformance-vectors.md)`,
    );
  }
  return abs;
}

/** The backend the suite runs on: its name and a factory of fresh instances. */
interface Target {
  readonly name: string;
  readonly factory: BackendFactory;
}

/**
 * Resolves `--backend` (or the injected factory) to a name and a factory, loading the backend
 * once so that one that does not load stops the run with its own reason. An unregistered name is
 * a usage error.
 */
async function resolveTarget(
  options: ConformanceCommandOptions,
  env: CliIo['env'],
): Promise<Target> {
  if (options.createBackend) {
    const probe = await options.createBackend();
    await probe.dispose();
    return { name: probe.name, factory: options.createBackend };
  }
  const registry = cliRegistry(options.registry);
  const { name } = await selectCliBackend('conformance', options.backend, registry, env);
  // The suite disposes the backend after each group, so it needs fresh instances from the
  // registered factory, not the registry's shared one.
  const factory = registry.factoryOf(name);
  if (!factory) {
    throw new Error(
      `backend '${name}' was selected but has no registered factory; expected one of ${registry.names().join(', ')}`,
    );
  }
  return { name, factory };
}

function formatReport(
  backend: string,
  vectorsDir: string,
  results: readonly ConformanceResult[],
  verbose: boolean,
): string {
  const { groups, total } = countByGroup(results);
  const row = (c: GroupCounts) => [c.group, c.pass, c.fail, c.skip, c.pass + c.fail + c.skip];
  const parts = [
    `Conformance of backend '${backend}' (vectors: ${vectorsDir})`,
    '',
    formatTable(['group', 'pass', 'fail', 'skip', 'cases'], [...groups.map(row), row(total)]),
  ];
  const listed = verbose ? results : results.filter((r) => r.status === 'fail');
  if (listed.length > 0) {
    parts.push('', verbose ? 'Cases:' : 'Failures:');
    for (const r of listed)
      parts.push(`  ${r.status.toUpperCase().padEnd(4)} ${r.id}${r.detail ? `: ${r.detail}` : ''}`);
  }
  parts.push('', `${total.pass} passed, ${total.fail} failed, ${total.skip} skipped`);
  return parts.join('\n');
}

/**
 * `mixprec conformance`: runs `@mixprec/core/conformance` against one backend and prints the
 * pass/fail/skip counts per group, then every failing case with its detail. Exit code 1 when
 * any case fails or the backend does not load, 0 otherwise; 2 for a bad `--backend`,
 * `--vectors` or an `--only` prefix that matches no case.
 */
export async function conformanceCommand(
  options: ConformanceCommandOptions,
  io: CliIo,
): Promise<number> {
  const vectorsDir = options.vectors ? checkVectorsDir(options.vectors) : defaultVectorsDir();
  const only = parseOnly(options.only);
  let target: Target;
  try {
    target = await resolveTarget(options, io.env);
  } catch (error) {
    if (UsageError.isInstance(error)) throw error;
    io.err(`mixprec conformance: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const results = await runConformance({
    createBackend: target.factory,
    vectorsDir,
    ...(only ? { only } : {}),
  });
  const failed = results.some((r) => r.status === 'fail');
  if (options.json) {
    const { groups, total } = countByGroup(results);
    io.out(JSON.stringify({ backend: target.name, vectorsDir, total, groups, results }, null, 2));
  } else {
    io.out(formatReport(target.name, vectorsDir, results, options.verbose === true));
  }
  return failed ? 1 : 0;
}
