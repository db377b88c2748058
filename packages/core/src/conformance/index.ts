// @mixprec/core/conformance: the conformance suite every backend runs. Barrel: re-exports only.

export { countingRuns } from './counting-runs.js';
export type { DescribeConformanceOptions } from './describe-conformance.js';
export { describeConformance } from './describe-conformance.js';
export type { ConformanceSummary } from './run-conformance.js';
export { listConformanceCases, runConformance, summarizeConformance } from './run-conformance.js';
export type {
  ConformanceGroup,
  ConformanceOptions,
  ConformanceResult,
  ConformanceStatus,
} from './types.js';
export { CONFORMANCE_GROUPS } from './types.js';
export { defaultVectorsDir } from './vectors.js';
