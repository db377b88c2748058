/**
 * The published package, tested as a user gets it: `pnpm pack` the built core into a tarball,
 * install it into a throwaway project with npm (offline: core has no runtime dependencies) and
 * run a bf16 matmul on the reference backend from both ESM and CommonJS. Needs `dist/` (root
 * `pnpm test` builds first). Every package installed together, with npm and with pnpm, is
 * packages/cli/test/pack-install.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
let tmp = '';
let app = '';

/** Environment without the npm_* variables a parent pnpm/npm sets, so npm runs as a user's would. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

/** pnpm as the parent process ran it (`npx pnpm@…` has no global binary), else `pnpm` on PATH. */
function pnpm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  const viaParent = execPath && /pnpm/i.test(execPath) && /\.c?js$/.test(execPath);
  const [cmd, argv] = viaParent ? [process.execPath, [execPath, ...args]] : ['pnpm', args];
  return execFileSync(cmd, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// 2×3 @ 3×2 with small integers: inputs and every partial sum are exact in bf16 and fp32, so
// the product is known without rounding: [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]].
const EXPECTED = { dtype: 'bfloat16', shape: [2, 2], values: [58, 64, 139, 154] };

const body = (imports: string) => `${imports}
const main = async () => {
  await setBackend('reference');
  const a = fromArray([[1, 2, 3], [4, 5, 6]], { dtype: 'bfloat16' });
  const b = fromArray([[7, 8], [9, 10], [11, 12]], { dtype: 'bfloat16' });
  const c = a.matmul(b);
  const vectorsDir = defaultVectorsDir();
  console.log(JSON.stringify({
    dtype: c.dtype,
    shape: c.shape,
    values: Array.from(await c.data()),
    conformance: typeof runConformance,
    vectorsDir,
    vectorsExist: existsSync(vectorsDir),
  }));
};
main().catch((error) => { console.error(error); process.exit(1); });
`;

const SCRIPTS = {
  'esm.mjs': body(`import { existsSync } from 'node:fs';
import { fromArray, setBackend } from '@mixprec/core';
import { defaultVectorsDir, runConformance } from '@mixprec/core/conformance';`),
  'cjs.cjs': body(`const { existsSync } = require('node:fs');
const { fromArray, setBackend } = require('@mixprec/core');
const { defaultVectorsDir, runConformance } = require('@mixprec/core/conformance');`),
};

beforeAll(() => {
  if (!existsSync(join(pkgDir, 'dist/index.js'))) {
    throw new Error('packages/core/dist is missing: build first (root `pnpm test` does)');
  }
  tmp = mkdtempSync(join(tmpdir(), 'mixprec-pack-'));
  pnpm(['pack', '--pack-destination', tmp], pkgDir);
  const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`pnpm pack wrote no tarball into ${tmp}`);
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'mixprec-pack-test',
      private: true,
      dependencies: { '@mixprec/core': `file:../${tarball}` },
    }),
  );
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const [file, source] of Object.entries(SCRIPTS)) writeFileSync(join(app, file), source);
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the packed @mixprec/core', () => {
  it('ships dist and vectors but no sources or tests, and pulls in no dependencies', () => {
    const installed = readdirSync(join(app, 'node_modules/@mixprec/core'));
    expect(installed).toEqual(expect.arrayContaining(['dist', 'package.json', 'vectors']));
    expect(installed).not.toContain('src');
    expect(installed).not.toContain('test');
    expect(readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual([
      '@mixprec',
    ]);
  });

  it.each(Object.keys(SCRIPTS))(
    '%s: bf16 matmul on the reference backend, and ./conformance resolves',
    (file) => {
      const out = execFileSync(process.execPath, [file], {
        cwd: app,
        encoding: 'utf8',
        env: cleanEnv(),
      });
      const result = JSON.parse(out.trim().split('\n').pop() ?? '');
      expect(result).toMatchObject({ ...EXPECTED, conformance: 'function', vectorsExist: true });
      expect(result.vectorsDir).toContain(`${sep}node_modules${sep}@mixprec${sep}core${sep}`);
    },
    120_000,
  );
});
