import { optionSpec } from '../util/check-option-keys.js';
import {
  CONFORMANCE_OPTIONS,
  checkConformanceOptions,
  GroupSession,
  runCase,
  selectCases,
} from './run-conformance.js';
import { CONFORMANCE_GROUPS, type ConformanceOptions } from './types.js';

/** Options of `describeConformance`. */
export interface DescribeConformanceOptions extends ConformanceOptions {
  /** Timeout of each case in milliseconds (default 120 000: the reference backend is an interpreter). */
  readonly timeout?: number;
}

const DESCRIBE_OPTIONS = optionSpec<DescribeConformanceOptions>({
  ...CONFORMANCE_OPTIONS,
  timeout: 'number',
});

/**
 * Registers the conformance suite as vitest tests: one `describe` per group, one `it` per case
 * id, a backend per group (disposed in `afterAll`). Skipped cases call `ctx.skip` with the
 * reason; failures throw with the detail. vitest is imported dynamically here, so
 * `runConformance` never needs it. A backend package's whole test file:
 *
 * @example
 * import { describeConformance } from '@mixprec/core/conformance';
 * import { createOrtBackend } from '../src/index.js';
 * await describeConformance({ createBackend: () => createOrtBackend() });
 */
export async function describeConformance(options: DescribeConformanceOptions): Promise<void> {
  checkConformanceOptions('describeConformance', options, DESCRIBE_OPTIONS);
  const { afterAll, describe, it } = await import('vitest');
  const cases = selectCases(options.only);
  for (const group of CONFORMANCE_GROUPS) {
    const inGroup = cases.filter((c) => c.group === group);
    if (inGroup.length === 0) continue;
    describe(`conformance: ${group}`, () => {
      const session = new GroupSession(options);
      afterAll(() => session.dispose());
      for (const c of inGroup) {
        it(
          c.id,
          async (ctx) => {
            const result = await runCase(c, session);
            if (result.status === 'skip') ctx.skip(result.detail);
            if (result.status === 'fail') throw new Error(`${c.id}: ${result.detail}`);
          },
          options.timeout ?? 120_000,
        );
      }
    });
  }
}
