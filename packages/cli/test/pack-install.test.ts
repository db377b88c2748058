/**
 * The published packages, installed as users get them: `pnpm pack` every built package into a
 * tarball and install the tarballs into throwaway projects with npm and with pnpm, in two
 * setups:
 *
 * - `libs`: `@mixprec/core` + `@mixprec/precision` + `@mixprec/backend-ort`;
 * - `cli`: the same plus `@mixprec/cli`, whose dependencies on our packages are redirected to
 *   the local tarballs with npm `overrides` / `pnpm.overrides` (nothing is published).
 *
 * In every project an ESM and a CommonJS user script pick the backend with
 * `setBackend('auto')` after `import '@mixprec/backend-ort'`, train a small MLP for a few
 * steps in bf16-mixed, save a checkpoint and reload it into a fresh model. In the `libs`
 * projects a strict `tsc --noEmit` (NodeNext) checks the installed types from ESM and CommonJS;
 * in the `cli` projects the installed `mixprec` bin runs a tiny `mixprec train`.
 *
 * npm runs onnxruntime-node's install script, which on linux/x64 downloads the CUDA provider
 * from NuGet unless told not to: the npm installs set `ONNXRUNTIME_NODE_INSTALL=skip` (the CPU
 * binaries ship in the package). pnpm 10 runs no dependency install scripts, so the pnpm
 * installs set nothing. The installs use the machine's npm cache and pnpm store, so only a
 * first run downloads onnxruntime-node (about 110 MB). Needs every package's `dist/` (root
 * `pnpm test` builds first).
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** Every published package, by directory under packages/. */
const PACKAGES = ['core', 'precision', 'optim-flash', 'backend-ort', 'backend-tfjs', 'cli'];
const manifest = (dir: string) => readJson(join(repoRoot, 'packages', dir, 'package.json'));
const NAMES: Record<string, string> = {};
const VERSIONS: Record<string, string> = {};
for (const dir of PACKAGES) {
  ({ name: NAMES[dir], version: VERSIONS[dir] } = manifest(dir));
}
const LIBS = ['core', 'precision', 'backend-ort'];
/** What the CLI depends on (backend-tfjs joins once it has a backend to register, issue 15). */
const CLI_DEPS = [...LIBS, 'optim-flash'];
const DEP_FIELDS = ['dependencies', 'peerDependencies', 'devDependencies', 'optionalDependencies'];

const MANAGERS = ['npm', 'pnpm'] as const;
type Manager = (typeof MANAGERS)[number];
const SETUPS = ['libs', 'cli'] as const;
type Setup = (typeof SETUPS)[number];

let tmp = '';
/** Per package directory: the tarball's file name, its packed package.json and its files. */
const packed: Record<string, { file: string; json: Record<string, unknown>; files: string[] }> = {};
const projectDir = (manager: Manager, setup: Setup) => join(tmp, `${manager}-${setup}`);

/** Environment without what a parent pnpm/npm or the caller set, so children run as a user's. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([k]) => !/^npm_/i.test(k) && !/^(ONNXRUNTIME_NODE_INSTALL|MIXPREC_)/.test(k),
  );
  return { ...Object.fromEntries(inherited), ...extra };
}

/**
 * pnpm as the parent process ran it (`npx pnpm@…` has no global binary), else the version the
 * root package.json pins, through npx.
 */
function pnpmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/i.test(execPath) && /\.c?js$/.test(execPath)) {
    return [process.execPath, [execPath]];
  }
  return ['npx', ['-y', readJson(join(repoRoot, 'package.json')).packageManager]];
}

/** Runs a command; a failure's message carries its output (execFile's own hides stderr). */
async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
) {
  try {
    return await execFileAsync(cmd, args, { maxBuffer: 64 << 20, ...options });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.message}\n${e.stdout}\n${e.stderr}`);
  }
}

/** The throwaway project's package.json: `file:` tarballs, plus overrides for the CLI's deps. */
function projectManifest(manager: Manager, setup: Setup) {
  const spec = (dir: string) => `file:../packs/${packed[dir].file}`;
  const direct = setup === 'libs' ? LIBS : [...LIBS, 'cli'];
  const pkg: Record<string, unknown> = {
    name: `mixprec-pack-${manager}-${setup}`,
    private: true,
    dependencies: Object.fromEntries(direct.map((dir) => [NAMES[dir], spec(dir)])),
  };
  if (setup === 'cli') {
    const overrides = Object.fromEntries(CLI_DEPS.map((dir) => [NAMES[dir], spec(dir)]));
    if (manager === 'npm') pkg.overrides = overrides;
    else pkg.pnpm = { overrides };
  }
  return pkg;
}

async function install(manager: Manager, setup: Setup): Promise<void> {
  const cwd = projectDir(manager, setup);
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'package.json'), JSON.stringify(projectManifest(manager, setup)));
  for (const [file, source] of Object.entries(SCRIPTS)) writeFileSync(join(cwd, file), source);
  for (const file of TYPECHECK_FILES) writeFileSync(join(cwd, file), TYPECHECK_SOURCE);
  if (manager === 'npm') {
    // npm runs onnxruntime-node's postinstall: skip its CUDA download (CPU binaries ship).
    const env = cleanEnv({ ONNXRUNTIME_NODE_INSTALL: 'skip' });
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd, env });
  } else {
    // CI=true makes pnpm default to --frozen-lockfile, and a fresh project has no lockfile.
    const [cmd, prefix] = pnpmCommand();
    const args = [...prefix, 'install', '--no-frozen-lockfile', '--prefer-offline'];
    await run(cmd, args, { cwd, env: cleanEnv() });
  }
}

/**
 * Where `name` is installed under `cwd`: npm's nested node_modules walked from the top; pnpm's
 * virtual store entries (one per resolved version and peer set).
 */
function copies(manager: Manager, cwd: string, name: string): string[] {
  if (manager === 'pnpm') {
    const store = readdirSync(join(cwd, 'node_modules/.pnpm'));
    return store.filter((d) => d.startsWith(`${name.replace('/', '+')}@`));
  }
  const found: string[] = [];
  const walk = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return;
    if (existsSync(join(nodeModules, name, 'package.json'))) found.push(join(nodeModules, name));
    for (const entry of readdirSync(nodeModules)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@')
        ? readdirSync(join(nodeModules, entry)).map((d) => join(nodeModules, entry, d))
        : [join(nodeModules, entry)];
      for (const dir of dirs) walk(join(dir, 'node_modules'));
    }
  };
  walk(join(cwd, 'node_modules'));
  return found;
}

// A user program: the backend chosen at run time, a few bf16-mixed training steps through the
// precision plugin and the Trainer, and a checkpoint round trip into a freshly built model.
const body = (imports: string) => `${imports}
const bits = async (model) => {
  const out = {};
  for (const [name, t] of Object.entries(model.stateDict())) {
    const raw = await t.raw();
    const hex = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('hex');
    out[name] = { dtype: t.dtype, shape: t.shape, hex };
  }
  return JSON.stringify(out);
};
const main = async () => {
  const backend = await setBackend('auto');
  const build = () => new Sequential(new Linear(4, 16), new GELU(), new Linear(16, 2));
  const batches = Array.from({ length: 2 }, (_v, i) => {
    const x = randn([8, 4], { seed: i });
    return { x, y: x.sum(1).gt(0).cast('int32') };
  });
  const step = (m, b) => ({ loss: crossEntropy(m.forward(b.x), b.y), count: 8 });
  const setup = (model) => ({
    model,
    optimizer: new AdamW(model.parameters(), { lr: 1e-2 }),
    trainer: new Trainer({ precision: createPrecisionPlugin('bf16-mixed'), maxSteps: 3 }),
  });
  manualSeed(0);
  const run = setup(build());
  const initial = await bits(run.model);
  const { model, optimizer } = run;
  const summary = await run.trainer.fit({ model, optimizer, step, trainData: () => batches });
  const trained = await bits(run.model);
  const dir = mkdtempSync(join(process.cwd(), 'checkpoint-'));
  await saveTrainerCheckpoint(dir, run);
  manualSeed(1);
  const fresh = setup(build());
  const differedBeforeLoad = (await bits(fresh.model)) !== trained;
  await loadTrainerCheckpoint(dir, fresh);
  const reloaded = await bits(fresh.model);
  console.log(JSON.stringify({
    backend: backend.name,
    precision: run.trainer.precision,
    steps: summary.steps,
    loss: summary.lastTrain.loss,
    dtypes: Object.values(JSON.parse(trained)).map((p) => p.dtype),
    changedByTraining: trained !== initial,
    differedBeforeLoad,
    reloadedEqual: reloaded === trained,
    reloadedStep: fresh.trainer.state.globalStep,
  }));
};
main().catch((error) => { console.error(error); process.exit(1); });
`;

const CORE_IMPORTS = [
  'AdamW',
  'crossEntropy',
  'GELU',
  'Linear',
  'loadTrainerCheckpoint',
  'manualSeed',
  'randn',
  'saveTrainerCheckpoint',
  'Sequential',
  'setBackend',
  'Trainer',
].join(', ');

const SCRIPTS: Record<string, string> = {
  'user-esm.mjs': body(`import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { ${CORE_IMPORTS} } from '@mixprec/core';
import '@mixprec/backend-ort';
import { createPrecisionPlugin } from '@mixprec/precision';`),
  'user-cjs.cjs': body(`const { mkdtempSync } = require('node:fs');
const { join } = require('node:path');
const { ${CORE_IMPORTS} } = require('@mixprec/core');
require('@mixprec/backend-ort');
const { createPrecisionPlugin } = require('@mixprec/precision');`),
};

// The same source checked as ESM (.mts: the "import" types) and as CommonJS (.cts: "require").
const TYPECHECK_FILES = ['types-esm.mts', 'types-cjs.cts'];
const TYPECHECK_SOURCE = `import {
  AdamW,
  type Backend,
  Linear,
  type Module,
  type PrecisionPlugin,
  Sequential,
  saveTrainerCheckpoint,
  setBackend,
  Trainer,
} from '@mixprec/core';
import { createOrtBackend, type OrtBackend, type OrtBackendOptions } from '@mixprec/backend-ort';
import { createPrecisionPlugin } from '@mixprec/precision';

const options: OrtBackendOptions = { executionProvider: 'cpu' };
const ort: OrtBackend = createOrtBackend(options);
const model: Module = new Sequential(new Linear(4, 2));
const precision: PrecisionPlugin = createPrecisionPlugin('bf16-mixed');
const trainer = new Trainer({ precision, maxSteps: 1, backend: ort });
const optimizer = new AdamW(model.parameters(), { lr: 1e-3 });
const selected: Promise<Backend> = setBackend('auto');
const save: (dir: string) => Promise<void> = (dir) =>
  saveTrainerCheckpoint(dir, { trainer, model, optimizer });
export { save, selected };
`;

beforeAll(async () => {
  const missing = PACKAGES.filter((dir) => !existsSync(join(repoRoot, 'packages', dir, 'dist')));
  if (missing.length > 0) {
    throw new Error(`dist/ is missing in packages ${missing.join(', ')}: build first`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'mixprec-install-'));
  const packs = join(tmp, 'packs');
  mkdirSync(packs);
  // One pnpm process packs them all (workspace: ranges become real ones, as on publish).
  const [cmd, prefix] = pnpmCommand();
  const filters = PACKAGES.flatMap((dir) => ['--filter', `./packages/${dir}`]);
  const { stdout } = await run(
    cmd,
    [...prefix, '-r', ...filters, 'pack', '--pack-destination', packs, '--json'],
    { cwd: repoRoot },
  );
  const report = JSON.parse(stdout) as {
    name: string;
    filename: string;
    files: { path: string }[];
  }[];
  await Promise.all(
    PACKAGES.map(async (dir) => {
      const entry = report.find((r) => r.name === NAMES[dir]);
      if (!entry) throw new Error(`pnpm pack made no tarball for ${NAMES[dir]}:\n${stdout}`);
      const json = await run('tar', ['-xzOf', entry.filename, 'package/package.json'], {});
      packed[dir] = {
        file: basename(entry.filename),
        json: JSON.parse(json.stdout),
        files: entry.files.map((f) => f.path),
      };
    }),
  );
  // Both npm projects install at once from one npm cache, filled first so that a cold cache
  // downloads onnxruntime-node once; the pnpm projects install alongside.
  const ortDeps = packed['backend-ort'].json.dependencies as Record<string, string>;
  const npm = async () => {
    const specs = Object.entries(ortDeps).map(([name, range]) => `${name}@${range}`);
    await run('npm', ['cache', 'add', ...specs, '--prefer-offline'], { cwd: tmp, env: cleanEnv() });
    await Promise.all(SETUPS.map((setup) => install('npm', setup)));
  };
  await Promise.all([npm(), ...SETUPS.map((setup) => install('pnpm', setup))]);
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed tarballs', () => {
  it.each(PACKAGES)('%s: internal ranges are real semver ranges, no workspace: left', (dir) => {
    const json = packed[dir].json;
    expect(JSON.stringify(json)).not.toContain('workspace:');
    for (const field of DEP_FIELDS) {
      const deps = (json[field] ?? {}) as Record<string, string>;
      for (const [name, range] of Object.entries(deps)) {
        expect(range, `${field}.${name}`).not.toMatch(/^[\^~]?\d+$/);
        const internal = PACKAGES.find((d) => NAMES[d] === name);
        if (internal) {
          const version = VERSIONS[internal];
          expect(range, `${field}.${name}`).toBe(
            field === 'devDependencies' ? version : `^${version}`,
          );
        }
      }
    }
  });

  it('peers on core and the CLI dependencies are ^<version>; core has no dependencies', () => {
    for (const dir of ['precision', 'optim-flash', 'backend-ort', 'backend-tfjs']) {
      expect(packed[dir].json.peerDependencies).toEqual({ '@mixprec/core': `^${VERSIONS.core}` });
    }
    expect(packed.cli.json.dependencies).toEqual(
      Object.fromEntries(CLI_DEPS.map((d) => [NAMES[d], `^${VERSIONS[d]}`])),
    );
    expect(packed.core.json.dependencies).toBeUndefined();
  });

  it.each(PACKAGES)('%s: ships dist, package.json and README, no sources or tests', (dir) => {
    const files = packed[dir].files;
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.cjs']),
    );
    expect(
      files.filter((f) => /^(src|test)\//.test(f) || /\.test(-d)?\.[cm]?[jt]s$/.test(f)),
    ).toEqual([]);
    if (dir === 'core') expect(files).toEqual(expect.arrayContaining(['vectors/casts.json']));
  });
});

for (const manager of MANAGERS) {
  for (const setup of SETUPS) {
    const title = setup === 'libs' ? 'core + precision + backend-ort' : 'cli + its dependencies';
    describe.concurrent(`${manager} install: ${title}`, () => {
      const cwd = () => projectDir(manager, setup);
      const outputs = new Map<string, Promise<Record<string, unknown>>>();
      /** Runs a user script once; its last stdout line is the JSON result. */
      const result = (file: string) => {
        let output = outputs.get(file);
        if (!output) {
          output = run(process.execPath, [file], { cwd: cwd(), env: cleanEnv() }).then(
            ({ stdout }) => JSON.parse(stdout.trim().split('\n').pop() ?? ''),
          );
          outputs.set(file, output);
        }
        return output;
      };

      it('installed one copy of each of our packages, from the tarballs', () => {
        for (const dir of setup === 'libs' ? LIBS : [...CLI_DEPS, 'cli']) {
          expect(copies(manager, cwd(), NAMES[dir]), NAMES[dir]).toHaveLength(1);
        }
        const lockfile = manager === 'npm' ? 'package-lock.json' : 'pnpm-lock.yaml';
        expect(readFileSync(join(cwd(), lockfile), 'utf8')).not.toContain(
          'registry.npmjs.org/@mixprec',
        );
        expect(readdirSync(join(cwd(), 'node_modules/@mixprec/core'))).toEqual(
          expect.arrayContaining(['dist', 'vectors']),
        );
      });

      it.each(Object.keys(SCRIPTS))(
        '%s: trains 3 bf16-mixed steps and reloads the checkpoint bit for bit',
        async (file) => {
          const out = await result(file);
          expect(out).toMatchObject({
            precision: 'bf16-mixed',
            steps: 3,
            dtypes: ['float32', 'float32', 'float32', 'float32'],
            changedByTraining: true,
            differedBeforeLoad: true,
            reloadedEqual: true,
            reloadedStep: 3,
          });
          expect(Number.isFinite(out.loss)).toBe(true);
        },
        60_000,
      );

      it.each(Object.keys(SCRIPTS))(
        "%s: setBackend('auto') selects ort after import '@mixprec/backend-ort'",
        async (file) => {
          expect((await result(file)).backend).toBe('ort');
        },
        60_000,
      );

      if (setup === 'libs') {
        it('the installed types pass tsc --strict (NodeNext, ES2022 lib; ESM and CommonJS)', async () => {
          const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
          // No DOM lib (and no @types installed): the published types must stand on their own.
          const args = ['--strict', '--noEmit', '--module', 'nodenext', '--target', 'es2022'];
          args.push('--lib', 'es2022');
          await run(process.execPath, [tsc, ...args, ...TYPECHECK_FILES], { cwd: cwd() });
        }, 60_000);
      }

      if (setup === 'cli') {
        it('node_modules/.bin/mixprec --version, and a tiny mixprec train, exit 0', async () => {
          const bin = join(cwd(), 'node_modules/.bin/mixprec');
          const options = { cwd: cwd(), env: cleanEnv() };
          expect((await run(bin, ['--version'], options)).stdout.trim()).toBe(VERSIONS.cli);
          const tiny = '--steps 2 --train-size 32 --val-size 16 --batch-size 8'.split(' ');
          const train = await run(bin, ['train', ...tiny, '--out', 'run', '--json'], options);
          expect(JSON.parse(train.stdout).summary.steps).toBe(2);
          expect(JSON.parse(train.stdout).backend).toBe('ort');
          // Nothing about backends the user did not ask for (no CUDA here: ort-cuda was probed).
          expect(train.stderr).toContain('backend ort,');
          expect(train.stderr).not.toMatch(/ort-cuda|cuda|onnxruntime|passed over|warn/i);
          expect(readdirSync(join(cwd(), 'run'))).toEqual(
            expect.arrayContaining(['checkpoint', 'metrics.json']),
          );
        }, 120_000);

        it.each([
          [['trian'], "did you mean 'train'?"],
          [['train', '--backend', 'nope'], "mixprec train: --backend 'nope': no backend"],
        ])(
          'mixprec %j is a usage error: exit 2',
          async (argv, message) => {
            const bin = join(cwd(), 'node_modules/.bin/mixprec');
            const failure = await execFileAsync(bin, argv, { cwd: cwd(), env: cleanEnv() }).then(
              () => undefined,
              (e: unknown) => e as { code?: number; stderr?: string },
            );
            expect(failure?.code).toBe(2);
            expect(failure?.stderr).toContain(message);
          },
          60_000,
        );
      }
    });
  }
}
