import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));
const PACKAGES = ['core', 'precision', 'optim-flash', 'backend-ort', 'backend-tfjs', 'cli'];

// Every exports subpath maps to its source so tests need no build (the pack test uses dist/).
const alias = [
  { find: /^@mixprec\/core\/conformance$/, replacement: pkg('core/src/conformance/index.ts') },
  { find: /^@mixprec\/core$/, replacement: pkg('core/src/index.ts') },
  { find: /^@mixprec\/precision$/, replacement: pkg('precision/src/index.ts') },
  { find: /^@mixprec\/optim-flash$/, replacement: pkg('optim-flash/src/index.ts') },
  { find: /^@mixprec\/backend-ort$/, replacement: pkg('backend-ort/src/index.ts') },
  { find: /^@mixprec\/backend-tfjs$/, replacement: pkg('backend-tfjs/src/index.ts') },
  { find: /^@mixprec\/cli$/, replacement: pkg('cli/src/index.ts') },
];

const coreVersion = JSON.parse(
  readFileSync(new URL('./packages/core/package.json', import.meta.url), 'utf8'),
).version;

export default defineConfig({
  define: { __MIXPREC_CORE_VERSION__: JSON.stringify(coreVersion) },
  resolve: { alias },
  test: {
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: PACKAGES.map((name) => ({
      extends: true,
      test: { name, root: pkg(name), include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
    })),
  },
});
