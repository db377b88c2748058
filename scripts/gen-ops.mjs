#!/usr/bin/env node
// Writes docs/ops.md from core's tables (generated, never hand-written, so it cannot drift from
// the code): the op catalogue `OPS` (kind, arity, autocast category, differentiable) ×
// backends, plus each backend's per-dtype support from its `capabilities`. Never edit docs/ops.md by hand; run `pnpm gen:ops`
// (it builds core first). `--check` exits 1 when docs/ops.md is out of date instead of writing.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outPath = join(root, 'docs/ops.md');
const core = await import(pathToFileURL(join(root, 'packages/core/dist/index.js')).href).catch(
  (error) => {
    throw new Error(`gen-ops: cannot load packages/core/dist (${error.message}); run pnpm build`);
  },
);
const { OPS, OP_NAMES, DTYPE_NAMES, createReferenceBackend } = core;

// @mixprec/backend-ort's support table lives in its dist (built here; turbo caches it, and it
// builds core first).
execFileSync(
  join(root, 'node_modules/.bin/turbo'),
  ['run', 'build', '--filter=@mixprec/backend-ort', '--output-logs=errors-only'],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
);
const ortPackage = await import(
  pathToFileURL(join(root, 'packages/backend-ort/dist/index.js')).href
).catch((error) => {
  throw new Error(
    `gen-ops: cannot load packages/backend-ort/dist (${error.message}); run pnpm build`,
  );
});
const { ORT_OP_SUPPORT, createOrtBackend } = ortPackage;

/** How the ort backend computes an op, from its `compute` field. */
const ORT_COMPUTE = {
  exact: 'copies or selects stored values (nothing rounded)',
  once: "rounds once from the exact value (core's cast semantics)",
  fp32: 'float32 inside for float32 and half nodes (halves rounded by an explicit Cast pair), float64 for float64 nodes',
  f64: 'float64 inside for every float dtype (Cast in, op in double, Cast out)',
};

/**
 * One column per backend. `ops(name)` says how the backend runs an op: `native` (its own
 * kernel), `emulated` (composed from other ops or via a round trip; say how in `notes`) or
 * `missing`. `create` builds an instance to read `capabilities` from.
 *
 * - reference: its kernel table is `satisfies Record<OpName, Kernel>`, so every op is native
 *   by construction (a missing op does not compile).
 * - ort (@mixprec/backend-ort): its exported `ORT_OP_SUPPORT` table (`satisfies Record<OpName, …>`)
 *   says native (one ONNX op) or emulated (a composition), the ONNX ops and the precision inside.
 * - Later backends (@mixprec/backend-tfjs, issue 7) add a column here that reads their exported
 *   kernel table (`Partial<Record<OpName, ...>>`).
 */
const BACKENDS = [
  { name: 'reference', ops: () => 'native', notes: {}, create: createReferenceBackend },
  {
    name: 'ort',
    ops: (op) => ORT_OP_SUPPORT[op]?.support ?? 'missing',
    notes: Object.fromEntries(
      Object.entries(ORT_OP_SUPPORT).map(([op, row]) => [
        op,
        `${row.onnx}; ${ORT_COMPUTE[row.compute]}`,
      ]),
    ),
    create: () => createOrtBackend(),
  },
];

const cell = (value) => String(value).replaceAll('|', '\\|');
const table = (headers, rows) =>
  [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');

const opRows = OP_NAMES.map((name) => {
  const spec = OPS[name];
  return [
    `\`${name}\``,
    spec.kind,
    spec.arity,
    spec.autocast,
    spec.differentiable ? 'yes' : 'no',
    ...BACKENDS.map((b) => b.ops(name)),
  ];
});

const capabilities = [];
for (const b of BACKENDS) {
  const backend = await b.create();
  capabilities.push(backend.capabilities);
  await backend.dispose();
}
const dtypeRows = DTYPE_NAMES.map((d) => [`\`${d}\``, ...capabilities.map((c) => c.dtypes[d])]);
const noteLines = BACKENDS.flatMap((b) =>
  Object.entries(b.notes).map(([op, note]) => `- ${b.name}, \`${op}\`: ${note}`),
);
const backendNames = BACKENDS.map((b) => b.name);

const raw = `<!-- generated — do not edit. Source: OPS in packages/core/src/ops/catalogue.ts and each backend's tables; regenerate with \`pnpm gen:ops\`. -->

# Ops and backend support

generated — do not edit (\`pnpm gen:ops\` writes this file from the tables in code).

${OP_NAMES.length} ops. **autocast** is the op's category in the autocast policy: \`lowp\` runs in
the autocast dtype, \`fp32\` is forced to float32, \`promote\` promotes to the widest input dtype,
\`unchanged\` leaves dtypes alone. **arity** is the number of tensor inputs. Backend columns:
\`native\` = the backend's own kernel, \`emulated\` = composed from other ops (see notes),
\`missing\` = not supported (running it throws).

${table(['op', 'kind', 'arity', 'autocast', 'differentiable', ...backendNames], opRows)}

## Dtype support

From each backend's \`capabilities.dtypes\` (what \`mixprec backends\` prints): \`native\` = stored
in its own format, \`emulated\` = exact values held in a wider container, \`unsupported\` =
uploading or computing it throws \`UnsupportedDtypeError\`.

${table(['dtype', ...backendNames], dtypeRows)}

## Notes

${noteLines.length > 0 ? noteLines.join('\n') : 'None: every backend listed runs every op natively.'}
`;

// Formatted the way `pnpm lint` (biome) wants it, so regenerating never breaks the lint.
const markdown = execFileSync(
  join(root, 'node_modules/.bin/biome'),
  ['format', '--stdin-file-path=docs/ops.md'],
  {
    input: raw,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
  },
);

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(outPath, 'utf8');
  } catch {}
  if (current !== markdown) {
    console.error('gen-ops: docs/ops.md is out of date; run pnpm gen:ops');
    process.exit(1);
  }
  console.log('gen-ops: docs/ops.md is up to date');
} else {
  writeFileSync(outPath, markdown);
  console.log(`gen-ops: ${OP_NAMES.length} ops × ${BACKENDS.length} backend(s) -> docs/ops.md`);
}
