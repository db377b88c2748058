import { describe, expect, it } from 'vitest';
import pkg from '../package.json';
import { memoryIo } from './cli-io.js';
import { PLANNED_COMMANDS } from './commands/planned.js';
import { runCli } from './run-cli.js';

async function mixprec(...argv: string[]) {
  const io = memoryIo();
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('mixprec: help and version', () => {
  it('--help lists every command, planned ones with their issue, and exits 0', async () => {
    const { code, stdout } = await mixprec('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: mixprec <command> \[options\]$/m);
    expect(stdout).toMatch(/^ {2}backends +list registered backends/m);
    expect(stdout).toMatch(/^ {2}conformance +run the conformance suite/m);
    expect(stdout).toMatch(/^ {2}train +train the default model on the built-in audio task/m);
    expect(stdout).toMatch(/^ {2}compare +.*not implemented yet: issue 17\)$/m);
  });

  it('--version prints the package version', async () => {
    expect(await mixprec('--version')).toEqual({ code: 0, stdout: pkg.version, stderr: '' });
    expect((await mixprec('-v')).stdout).toBe(pkg.version);
  });

  it('a command --help lists its flags with their values', async () => {
    const { code, stdout } = await mixprec('conformance', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: mixprec conformance [options]');
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
    const { code, stdout, stderr } = await mixprec();
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: mixprec <command>');
  });
});

describe('mixprec: argument errors exit 2 and list what is valid', () => {
  it('an unknown command', async () => {
    const { code, stderr } = await mixprec('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain(
      "mixprec: unknown command 'frobnicate'; valid commands: train, backends, conformance (planned: compare, memory, bench)",
    );
    expect(stderr).toContain("Run 'mixprec --help' for usage.");
  });

  it.each([
    ['trian', 'train'],
    ['conformace', 'conformance'],
    ['backend', 'backends'],
    ['bnech', 'bench'],
  ])('a mistyped command %s suggests %s', async (typo, command) => {
    const { code, stderr } = await mixprec(typo);
    expect(code).toBe(2);
    expect(stderr).toContain(`mixprec: unknown command '${typo}'`);
    expect(stderr).toContain(`did you mean '${command}'?`);
  });

  it('a mistyped option suggests the closest one; a far-off one gets no suggestion', async () => {
    const typo = await mixprec('train', '--precison', 'bf16-mixed');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("mixprec train: unknown option '--precison'; valid options:");
    expect(typo.stderr).toContain("did you mean '--precision'?");
    expect((await mixprec('--verison')).stderr).toContain("did you mean '--version'?");
    const far = await mixprec('backends', '--frobnicate');
    expect(far.code).toBe(2);
    expect(far.stderr).not.toContain('did you mean');
  });

  it.each([
    [['train', '--precision', 'bf16-mixd'], "did you mean 'bf16-mixed'?"],
    [['train', '--optimizer', 'adamww'], "did you mean 'adamw'?"],
  ])('a mistyped value %j suggests the closest one', async (argv, suggestion) => {
    const { code, stderr } = await mixprec(...argv);
    expect(code).toBe(2);
    expect(stderr).toContain(suggestion);
  });

  it('an unknown option before the command', async () => {
    const { code, stderr } = await mixprec('--frob');
    expect(code).toBe(2);
    expect(stderr).toContain(
      "mixprec: unknown option '--frob'; valid options before a command: --help, --version",
    );
  });

  it.each([
    [
      ['backends', '--frob'],
      "mixprec backends: unknown option '--frob'; valid options: --json, --help",
    ],
    [['backends', '-x'], "mixprec backends: unknown option '-x'"],
    [['backends', '--json=yes'], "mixprec backends: option '--json' takes no value (got 'yes')"],
    [['backends', 'extra'], "mixprec backends: unexpected argument 'extra'"],
    [['conformance', '--backend'], "mixprec conformance: option '--backend' needs a value"],
    [
      ['conformance', '--backend', '--json'],
      "mixprec conformance: option '--backend' needs a value",
    ],
    [['conformance', '--only='], "mixprec conformance: option '--only' needs a value"],
    [
      ['conformance', '--bakend', 'reference'],
      "mixprec conformance: unknown option '--bakend'; valid options: --backend NAME, --vectors DIR, --only PREFIX, --json, --verbose, --help",
    ],
  ])('%j', async (argv, message) => {
    const { code, stdout, stderr } = await mixprec(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });
});

describe('mixprec: planned commands', () => {
  it.each(Object.entries(PLANNED_COMMANDS))(
    '%s says where it stands and exits 2',
    async (name, planned) => {
      const { code, stderr } = await mixprec(name, '--anything');
      expect(code).toBe(2);
      const where = planned.issue === null ? 'no issue filed yet' : `issue ${planned.issue}`;
      expect(stderr).toContain(`mixprec ${name}: not implemented yet (${where}:`);
      expect(stderr).toContain(
        'Available today: mixprec train, mixprec backends, mixprec conformance',
      );
    },
  );
});
