import { describe, expect, it } from 'vitest';
import pkg from '../package.json';
import { memoryIo } from './cli-io.js';
import { PLANNED_COMMANDS } from './commands/planned.js';
import { runCli } from './run-cli.js';

async function mixt(...argv: string[]) {
  const io = memoryIo();
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('mixt: help and version', () => {
  it('--help lists every command, planned ones with their issue, and exits 0', async () => {
    const { code, stdout } = await mixt('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: mixt <command> \[options\]$/m);
    expect(stdout).toMatch(/^ {2}backends +list registered backends/m);
    expect(stdout).toMatch(/^ {2}conformance +run the conformance suite/m);
    expect(stdout).toMatch(/^ {2}train +train the default model on the built-in audio task/m);
    expect(stdout).toMatch(/^ {2}compare +.*not implemented yet: no issue filed yet\)$/m);
  });

  it('--version prints the package version', async () => {
    expect(await mixt('--version')).toEqual({ code: 0, stdout: pkg.version, stderr: '' });
    expect((await mixt('-v')).stdout).toBe(pkg.version);
  });

  it('a command --help lists its flags with their values', async () => {
    const { code, stdout } = await mixt('conformance', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: mixt conformance [options]');
    for (const flag of [
      '--backend NAME',
      '--vectors DIR',
      '--only PREFIX',
      '--json',
      '--verbose',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it('no command prints the help on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await mixt();
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: mixt <command>');
  });
});

describe('mixt: argument errors exit 2 and list what is valid', () => {
  it('an unknown command', async () => {
    const { code, stderr } = await mixt('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain(
      "mixt: unknown command 'frobnicate'; valid commands: train, backends, conformance (planned: compare, memory, bench)",
    );
    expect(stderr).toContain("Run 'mixt --help' for usage.");
  });

  it('an unknown option before the command', async () => {
    const { code, stderr } = await mixt('--frob');
    expect(code).toBe(2);
    expect(stderr).toContain(
      "mixt: unknown option '--frob'; valid options before a command: --help, --version",
    );
  });

  it.each([
    [
      ['backends', '--frob'],
      "mixt backends: unknown option '--frob'; valid options: --json, --help",
    ],
    [['backends', '-x'], "mixt backends: unknown option '-x'"],
    [['backends', '--json=yes'], "mixt backends: option '--json' takes no value (got 'yes')"],
    [['backends', 'extra'], "mixt backends: unexpected argument 'extra'"],
    [['conformance', '--backend'], "mixt conformance: option '--backend' needs a value"],
    [['conformance', '--backend', '--json'], "mixt conformance: option '--backend' needs a value"],
    [['conformance', '--only='], "mixt conformance: option '--only' needs a value"],
    [
      ['conformance', '--bakend', 'reference'],
      "mixt conformance: unknown option '--bakend'; valid options: --backend NAME, --vectors DIR, --only PREFIX, --json, --verbose, --help",
    ],
  ])('%j', async (argv, message) => {
    const { code, stdout, stderr } = await mixt(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });
});

describe('mixt: planned commands', () => {
  it.each(Object.entries(PLANNED_COMMANDS))(
    '%s says where it stands and exits 2',
    async (name, planned) => {
      const { code, stderr } = await mixt(name, '--anything');
      expect(code).toBe(2);
      const where = planned.issue === null ? 'no issue filed yet' : `issue ${planned.issue}`;
      expect(stderr).toContain(`mixt ${name}: not implemented yet (${where}:`);
    },
  );
});
