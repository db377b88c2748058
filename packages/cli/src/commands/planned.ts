import type { CliIo } from '../cli-io.js';

/** A command of the design (DESIGN.md) that is not implemented yet, and the issue that adds it. */
export interface PlannedCommand {
  readonly summary: string;
  /** The issue that adds it, or `null` while no issue has been filed for it. */
  readonly issue: number | null;
}

/** The planned commands: `mixprec` knows their names so it can say where they stand. */
export const PLANNED_COMMANDS: Readonly<Record<string, PlannedCommand>> = {
  compare: { summary: 'train one config under several precisions and compare', issue: null },
  memory: { summary: 'report parameter, gradient and optimizer-state memory', issue: null },
  bench: { summary: 'benchmark the registered backends', issue: null },
};

/**
 * Runs a planned command: says it is not implemented yet, names the issue that adds it and
 * what works today. Exit code 2.
 */
export function plannedCommand(name: string, planned: PlannedCommand, io: CliIo): number {
  io.err(
    `mixprec ${name}: not implemented yet (${planned.issue === null ? 'no issue filed yet' : `issue ${planned.issue}`}: ${planned.summary}). ` +
      'Available today: mixprec backends, mixprec conformance (see mixprec --help).',
  );
  return 2;
}
