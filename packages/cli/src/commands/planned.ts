import type { CliIo } from '../cli-io.js';

/** A command `mixprec` will have that is not implemented yet, and the issue that adds it. */
export interface PlannedCommand {
  readonly summary: string;
  /** The issue that adds it, or `null` while no issue has been filed for it. */
  readonly issue: number | null;
}

/** The planned commands: `mixprec` knows their names so it can say where they stand. */
export const PLANNED_COMMANDS: Readonly<Record<string, PlannedCommand>> = {
  compare: { summary: 'train one config under several precisions and compare', issue: 17 },
  memory: { summary: 'plan parameter, gradient and optimizer-state memory', issue: 17 },
  bench: { summary: 'benchmark a backend: matmul and training steps', issue: 17 },
};

/**
 * Runs a planned command: says it is not implemented yet, names the issue that adds it and
 * the commands that work today (`available`). Exit code 2.
 */
export function plannedCommand(
  name: string,
  planned: PlannedCommand,
  available: readonly string[],
  io: CliIo,
): number {
  io.err(
    `mixprec ${name}: not implemented yet (${planned.issue === null ? 'no issue filed yet' : `issue ${planned.issue}`}: ${planned.summary}). ` +
      `Available today: ${available.map((c) => `mixprec ${c}`).join(', ')} (see mixprec --help).`,
  );
  return 2;
}
