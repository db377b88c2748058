// @mixprec/cli public API: the commands as functions, for tests and for embedding. Barrel: re-exports only.

export type { CliIo } from './cli-io.js';
export { memoryIo, processIo } from './cli-io.js';
export type {
  AutoReport,
  BackendReport,
  BackendsOptions,
  BackendsReport,
} from './commands/backends.js';
export {
  backendsCommand,
  collectBackends,
  formatBackendsReport,
} from './commands/backends.js';
export type {
  ConformanceCommandOptions,
  GroupCounts,
} from './commands/conformance.js';
export { conformanceCommand, countByGroup } from './commands/conformance.js';
export type { PlannedCommand } from './commands/planned.js';
export { PLANNED_COMMANDS, plannedCommand } from './commands/planned.js';
export type { TrainCommandDeps, TrainFlags } from './commands/train.js';
export { trainCommand } from './commands/train.js';
export type { TrainConfig } from './commands/train-config.js';
export {
  PRECISION_TRAIN_DEFAULTS,
  TRAIN_DEFAULTS,
  trainDefaultsFor,
} from './commands/train-config.js';
export { TRAIN_FLAG_SPECS } from './commands/train-flags.js';
export { precisionPluginFor } from './commands/train-precision.js';
export type { Align, Cell, TableOptions } from './format-table.js';
export { formatTable } from './format-table.js';
export type { CamelFlags, FlagSpec, FlagSpecs, ParsedFlags } from './parse-command-args.js';
export { camelCaseFlags, parseCommandArgs } from './parse-command-args.js';
export type { CliDeps } from './run-cli.js';
export { helpText, runCli } from './run-cli.js';
export { checkBackendName, cliRegistry, selectCliBackend } from './select-backend.js';
export * from './task/index.js';
export { UsageError } from './usage-error.js';
