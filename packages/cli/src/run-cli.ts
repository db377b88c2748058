import { type BackendRegistry, didYouMean } from '@mixprec/core';
import pkg from '../package.json';
import { type CliIo, processIo } from './cli-io.js';
import { backendsCommand } from './commands/backends.js';
import { conformanceCommand } from './commands/conformance.js';
import { PLANNED_COMMANDS, plannedCommand } from './commands/planned.js';
import { trainCommand } from './commands/train.js';
import { TRAIN_FLAG_SPECS } from './commands/train-flags.js';
import {
  camelCaseFlags,
  type FlagSpecs,
  flagUsage,
  type ParsedFlags,
  parseCommandArgs,
} from './parse-command-args.js';
import { UsageError } from './usage-error.js';

/** Things a caller (a test) may swap in; by default the process-wide registry is used. */
export interface CliDeps {
  /** Registry the commands select backends from (default: the process-wide one, with every known backend). */
  readonly registry?: BackendRegistry;
}

interface CommandDef {
  readonly summary: string;
  readonly flags: FlagSpecs;
  readonly run: (flags: ParsedFlags, io: CliIo, deps: CliDeps) => Promise<number>;
}

const str = (value: string | boolean | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** The implemented commands: their flags drive parsing, help text and error messages. */
const COMMANDS: Readonly<Record<string, CommandDef>> = {
  train: {
    summary: 'train the default model on the built-in audio task; prints progress and a summary',
    flags: TRAIN_FLAG_SPECS,
    run: (flags, io, deps) => trainCommand(camelCaseFlags(flags, TRAIN_FLAG_SPECS), io, deps),
  },
  backends: {
    summary: 'list registered backends: priority, availability, devices, dtype support, auto pick',
    flags: { json: { type: 'boolean', help: 'print the report as JSON' } },
    run: (flags, io, deps) => backendsCommand({ json: flags.json === true, ...deps }, io),
  },
  conformance: {
    summary: 'run the conformance suite on a backend and print a pass/fail table',
    flags: {
      backend: { type: 'string', value: 'NAME', help: "backend name or 'auto' (default: auto)" },
      vectors: {
        type: 'string',
        value: 'DIR',
        help: "test vectors (default: @mixprec/core's own)",
      },
      only: {
        type: 'string',
        value: 'PREFIX',
        help: "run only cases whose group or id starts with PREFIX (several: comma-separated), e.g. 'casts' or 'matmul/'",
      },
      json: { type: 'boolean', help: 'print every result as JSON' },
      verbose: { type: 'boolean', help: 'list every case, not only the failures' },
    },
    run: (flags, io, deps) =>
      conformanceCommand(
        {
          backend: str(flags.backend) ?? 'auto',
          vectors: str(flags.vectors),
          only: str(flags.only),
          json: flags.json === true,
          verbose: flags.verbose === true,
          ...deps,
        },
        io,
      ),
  },
};

/** Names `mixprec` accepts as the first argument, for error messages. */
function commandList(): string {
  return `${Object.keys(COMMANDS).join(', ')} (planned: ${Object.keys(PLANNED_COMMANDS).join(', ')})`;
}

/** `mixprec --help`. */
export function helpText(): string {
  const rows: string[] = [];
  const width = Math.max(
    ...[...Object.keys(COMMANDS), ...Object.keys(PLANNED_COMMANDS)].map((n) => n.length),
  );
  for (const [name, def] of Object.entries(COMMANDS))
    rows.push(`  ${name.padEnd(width)}  ${def.summary}`);
  for (const [name, p] of Object.entries(PLANNED_COMMANDS)) {
    rows.push(
      `  ${name.padEnd(width)}  ${p.summary} (not implemented yet: ${p.issue === null ? 'no issue filed yet' : `issue ${p.issue}`})`,
    );
  }
  return [
    `mixprec ${pkg.version}: mixed and low-precision training in TypeScript`,
    '',
    'Usage: mixprec <command> [options]',
    '',
    'Commands:',
    ...rows,
    '',
    'Options:',
    '  -h, --help     show help (also after a command: mixprec conformance --help)',
    '  -v, --version  print the version',
    '',
    'Environment: MIXPREC_BACKEND=NAME makes `auto` select that backend.',
    'Exit codes: 0 success, 1 failure (e.g. a failing conformance case), 2 usage error.',
  ].join('\n');
}

/** `mixprec <command> --help`. */
function commandHelp(name: string, def: CommandDef): string {
  const flags = Object.entries(def.flags).map(([n, s]) => [flagUsage(n, s), s.help] as const);
  flags.push(['--help', 'show this help']);
  const width = Math.max(...flags.map(([usage]) => usage.length));
  return [
    `Usage: mixprec ${name} [options]`,
    '',
    def.summary,
    '',
    'Options:',
    ...flags.map(([usage, help]) => `  ${usage.padEnd(width)}  ${help}`),
  ].join('\n');
}

async function dispatch(argv: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(helpText());
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.out(helpText());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(pkg.version);
    return 0;
  }
  if (first.startsWith('-')) {
    throw new UsageError(
      `mixprec: unknown option '${first}'; valid options before a command: --help, --version; valid commands: ${commandList()}${didYouMean(first, ['--help', '--version'])}`,
    );
  }
  const def = COMMANDS[first];
  if (def) {
    const flags = parseCommandArgs(first, rest, def.flags);
    if (flags.help) {
      io.out(commandHelp(first, def));
      return 0;
    }
    return def.run(flags, io, deps);
  }
  const planned = PLANNED_COMMANDS[first];
  if (planned) return plannedCommand(first, planned, Object.keys(COMMANDS), io);
  throw new UsageError(
    `mixprec: unknown command '${first}'; valid commands: ${commandList()}${didYouMean(first, [...Object.keys(COMMANDS), ...Object.keys(PLANNED_COMMANDS)])}`,
  );
}

/**
 * Runs `mixprec` with `argv` (the arguments after the program name) and returns the exit code:
 * 0 success, 1 failure, 2 usage error. Nothing is printed to the process directly; all output
 * goes through `io`.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo(),
  deps: CliDeps = {},
): Promise<number> {
  try {
    return await dispatch(argv, io, deps);
  } catch (error) {
    if (UsageError.isInstance(error)) {
      io.err(`${error.message}\nRun 'mixprec --help' for usage.`);
      return 2;
    }
    io.err(error instanceof Error ? error.message : String(error));
    return 1;
  }
}
