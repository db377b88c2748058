#!/usr/bin/env node
// Checks one package's build against its package.json, so that ESM and CJS consumers both get
// every subpath with its types and the exports map cannot drift from the build (see
// docs/architecture.md, 'Generated and checked artefacts'). Run in the package directory after
// `tsup` (turbo task `check-exports`; publint runs after it):
//
// - the tsup config's `entry` list is the source of truth. Every entry of a config that builds
//   ESM + CJS with declarations (a library entry) must have its four files in dist: .js, .cjs,
//   .d.ts, .d.cts; every other entry (a binary) must have its .js file and be named in `bin`;
// - `exports` lists exactly the library entries' subpaths (`index` → `.`, `conformance/index` →
//   `./conformance`) plus `./package.json`, each nested as
//   import {types: .d.ts, default: .js} and require {types: .d.cts, default: .cjs}, types first;
// - "type" is "module", and `main`, `module`, `types` (when present) point at files that exist.
//
// The tsup config is evaluated, not pattern-matched: its `import { defineConfig } from 'tsup'`
// line is replaced by an identity function and the rest runs as JavaScript, so the config must
// not use TypeScript-only syntax.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const cwd = process.cwd();
const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
const errors = [];
const fail = (message) => errors.push(message);

/** The tsup configs of the package (an array even when the file exports one object). */
async function loadTsupConfigs() {
  const file = ['tsup.config.ts', 'tsup.config.mts', 'tsup.config.js', 'tsup.config.mjs']
    .map((f) => join(cwd, f))
    .find((f) => existsSync(f));
  if (!file) throw new Error(`check-exports: no tsup.config.* in ${cwd}`);
  // Evaluated from a data: URL, so the config's own location stands in for import.meta.url.
  const source = readFileSync(file, 'utf8')
    .replace(
      /import\s*\{\s*defineConfig\s*\}\s*from\s*['"]tsup['"];?/,
      'const defineConfig = (config) => config;',
    )
    .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(file).href));
  let mod;
  try {
    mod = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
  } catch (error) {
    throw new Error(
      `check-exports: cannot evaluate ${file} as JavaScript (${error.message}); keep it free of TypeScript-only syntax`,
    );
  }
  const config = typeof mod.default === 'function' ? await mod.default({}) : mod.default;
  return Array.isArray(config) ? config : [config];
}

/** Entry names of one config: keys of an object entry, or file names without extension. */
function entryNames(entry) {
  if (typeof entry === 'string') return [entry.replace(/^.*\//, '').replace(/\.[cm]?[jt]sx?$/, '')];
  if (Array.isArray(entry)) return entry.flatMap(entryNames);
  return Object.keys(entry ?? {});
}

const subpathOf = (name) => (name === 'index' ? '.' : `./${name.replace(/\/index$/, '')}`);
const expectedExport = (name) => ({
  import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
  require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
});

const configs = await loadTsupConfigs();
const library = [];
const binaries = [];
for (const config of configs) {
  const formats = [config.format ?? 'cjs'].flat();
  const isLibrary = formats.includes('esm') && formats.includes('cjs') && Boolean(config.dts);
  (isLibrary ? library : binaries).push(...entryNames(config.entry));
}

if (pkg.type !== 'module') fail(`"type" is ${JSON.stringify(pkg.type)}; expected "module"`);

let files = 0;
for (const name of library) {
  for (const ext of ['.js', '.cjs', '.d.ts', '.d.cts']) {
    files += 1;
    if (!existsSync(join(cwd, 'dist', `${name}${ext}`)))
      fail(`dist/${name}${ext} is missing (tsup entry '${name}'); run the build`);
  }
}
const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
for (const name of binaries) {
  files += 1;
  const file = `./dist/${name}.js`;
  if (!existsSync(join(cwd, file)))
    fail(`${file.slice(2)} is missing (tsup binary entry '${name}'); run the build`);
  if (!Object.values(bins).includes(file))
    fail(
      `tsup entry '${name}' builds neither ESM+CJS with types nor a file named in "bin"; expected "bin" to point at ${file}`,
    );
}

const exportsMap = pkg.exports ?? {};
const expectedKeys = [...library.map(subpathOf), './package.json'];
for (const key of Object.keys(exportsMap)) {
  if (!expectedKeys.includes(key))
    fail(`exports["${key}"] has no tsup entry; expected only ${expectedKeys.join(', ')}`);
}
for (const name of library) {
  const key = subpathOf(name);
  const actual = exportsMap[key];
  const want = expectedExport(name);
  if (!actual)
    fail(`exports["${key}"] is missing for tsup entry '${name}'; expected ${JSON.stringify(want)}`);
  else if (!isDeepStrictEqual(actual, want))
    fail(`exports["${key}"] is ${JSON.stringify(actual)}; expected ${JSON.stringify(want)}`);
  else {
    for (const cond of ['import', 'require']) {
      if (Object.keys(actual[cond])[0] !== 'types')
        fail(`exports["${key}"].${cond}: "types" must come first`);
    }
  }
}
if (exportsMap['./package.json'] !== './package.json')
  fail('exports["./package.json"] must be "./package.json"');

for (const field of ['main', 'module', 'types']) {
  if (pkg[field] && !existsSync(join(cwd, pkg[field])))
    fail(`"${field}" points at ${pkg[field]}, which does not exist`);
}

if (errors.length > 0) {
  console.error(`check-exports ${pkg.name}: ${errors.length} problem(s)`);
  for (const e of errors) console.error(`  - ${e}`);
  process.exit(1);
}
console.log(
  `check-exports ${pkg.name}: ${library.length} entr${library.length === 1 ? 'y' : 'ies'}${binaries.length ? ` + ${binaries.length} binary` : ''}, ${files} files, exports ok`,
);
