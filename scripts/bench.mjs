#!/usr/bin/env node
// `pnpm bench`: runs the benchmarks in scripts/bench/ against the built core, prints their
// tables and writes bench/results.json and bench/RESULTS.md (committed: the figures an issue
// quotes come from there). Speed is measured here, never in timed tests: timings vary too much
// between machines and runs to be asserted on.
//
//   node scripts/bench.mjs            all benchmarks
//   node scripts/bench.mjs --quick    fewer runs (a smoke test; do not commit its results)
//   node scripts/bench.mjs --only precision,train   only these (other results are kept)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1]?.split(',') : undefined;

/** The benchmarks: module, exported function, options for a quick run. */
const BENCHES = [
  {
    name: 'convert',
    title: 'Bulk conversion',
    module: './bench/convert.mjs',
    fn: 'benchConvert',
    quick: { runs: 3 },
  },
  {
    name: 'matmul',
    title: 'fp32 matmul (reference gemm)',
    module: './bench/matmul.mjs',
    fn: 'benchMatmul',
    quick: { runs: 3, sizes: [256, 512], naiveSizes: [256] },
  },
  {
    name: 'train',
    title: 'Training on the reference backend',
    module: './bench/train.mjs',
    fn: 'benchTrain',
    quick: { runs: 3 },
  },
  {
    name: 'flash-memory',
    title:
      'Flash optimizers: bytes per parameter after a step (backend storages vs docs/flashoptim.md#memory-per-parameter)',
    module: './bench/flash.mjs',
    fn: 'benchFlashMemory',
    quick: {},
  },
  {
    name: 'flash-step',
    title: 'Flash optimizers: optimizer-step time on one 10M-parameter tensor',
    module: './bench/flash.mjs',
    fn: 'benchFlashStep',
    quick: { size: 1_000_000, runs: 3 },
  },
  {
    name: 'flash-checkpoint',
    title: 'Flash optimizers: checkpoint bytes (model.safetensors of a Trainer checkpoint)',
    module: './bench/flash.mjs',
    fn: 'benchFlashCheckpoint',
    quick: {},
  },
  {
    name: 'ort-matmul',
    title: 'ORT backend: matmul GFLOP/s (vs onnxruntime called directly and the reference backend)',
    module: './bench/ort.mjs',
    fn: 'benchOrtMatmul',
    quick: { sizes: [256, 512], refMax: 256 },
  },
  {
    name: 'ort-train',
    title: 'ORT backend: built-in task training step per precision (samples/s vs reference)',
    module: './bench/ort.mjs',
    fn: 'benchOrtTrain',
    quick: { modes: ['32-true', 'bf16-mixed'], steps: 3 },
  },
  {
    name: 'ort-overhead',
    title: 'ORT backend: per-run and per-step overhead (small MLP)',
    module: './bench/ort.mjs',
    fn: 'benchOrtOverhead',
    quick: {},
  },
  {
    name: 'ort-optimizer',
    title: 'ORT backend: AdamW update of 10M parameters, host kernel vs ONNX graph',
    module: './bench/ort.mjs',
    fn: 'benchOrtOptimizer',
    quick: { size: 1_000_000, runs: 3 },
  },
  {
    name: 'precision',
    title: 'Precision modes on the built-in task (mixprec train defaults, reference backend)',
    module: './bench/precision.mjs',
    fn: 'benchPrecision',
    quick: {
      args: ['--steps', '4', '--train-size', '64', '--val-size', '18', '--batch-size', '8'],
    },
  },
];
if (only) {
  const unknown = only.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0 || only.length === 0) {
    console.error(
      `bench: --only ${process.argv[onlyAt + 1]}; expected names among ${BENCHES.map((b) => b.name).join(', ')}`,
    );
    process.exit(2);
  }
}

/**
 * The issue's targets. `pick(rows)` returns the measured median or undefined when the rows do
 * not contain it (then the target reads "not measured").
 */
const TARGETS = [
  {
    bench: 'convert',
    name: 'fp32→bf16 bulk conversion (default engine)',
    unit: 'G elem/s',
    min: 1,
    // The first fp32→bf16 row is the default engine ('auto': wasm SIMD when available).
    pick: (rows) => rows.find((r) => r.name === 'fp32→bf16')?.GelemPerSec_median,
  },
  {
    bench: 'matmul',
    name: 'fp32 matmul 512×512×512',
    unit: 'GFLOP/s',
    min: 2.5,
    pick: (rows) => rows.find((r) => r.size === 512)?.gflops_median,
  },
  {
    bench: 'flash-memory',
    name: 'largest |measured / theory − 1| of bytes per parameter (flash memory table)',
    unit: '',
    max: 0.05,
    pick: (rows) =>
      rows.length > 0 ? Math.max(...rows.map((r) => Math.abs(r.vs_theory - 1))) : undefined,
  },
  {
    bench: 'flash-step',
    name: 'FlashAdamW step time / plain fp32 AdamW step time (10M parameters)',
    unit: '×',
    max: 1,
    pick: (rows) => rows.find((r) => r.optimizer.startsWith('FlashAdamW'))?.vs_adamw,
  },
  {
    bench: 'ort-matmul',
    name: 'ORT fp32 matmul 1024×1024×1024',
    unit: 'GFLOP/s',
    min: 100,
    pick: (rows) => rows.find((r) => r.size === 1024 && r.dtype === 'float32')?.ort_gflops,
  },
  {
    bench: 'ort-matmul',
    name: 'ORT fp32 matmul 1024² / onnxruntime called directly',
    unit: '×',
    min: 0.85,
    pick: (rows) => rows.find((r) => r.size === 1024 && r.dtype === 'float32')?.vs_direct,
  },
  {
    bench: 'ort-train',
    name: 'lowest ORT / reference training-step speedup over the precision modes',
    unit: '×',
    min: 10,
    pick: (rows) => (rows.length > 0 ? Math.min(...rows.map((r) => r.speedup)) : undefined),
  },
  {
    bench: 'precision',
    name: 'lowest final validation accuracy over the precision modes',
    unit: '%',
    min: 88,
    pick: (rows) => (rows.length > 0 ? Math.min(...rows.map((r) => r.val_acc_pct)) : undefined),
  },
  {
    bench: 'precision',
    name: 'bf16-true parameter bytes / 32-true',
    unit: '×',
    max: 0.5,
    pick: (rows) => rows.find((r) => r.mode === 'bf16-true')?.params_vs_32true ?? undefined,
  },
];

const fmt = (v) => {
  if (v === null || v === undefined) return '-';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential(1);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
};
const columns = (rows) => [...new Set(rows.flatMap((r) => Object.keys(r)))];
function textTable(rows) {
  const cols = columns(rows);
  const cells = rows.map((r) => cols.map((c) => fmt(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  // Numbers right-aligned, labels left-aligned.
  const numeric = cols.map((c) => rows.every((r) => r[c] == null || typeof r[c] === 'number'));
  const line = (r) =>
    r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
function markdownTable(headers, rows) {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const cpuList = cpus();
const machine = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${platform()} ${arch()}`,
  cpus: { count: cpuList.length, model: cpuList[0]?.model?.trim() ?? 'unknown' },
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  // Other work on the machine skews medians; a 1-minute load near the core count means a busy machine.
  loadAverage1m: Number(loadavg()[0].toFixed(2)),
  quick,
};
console.log(
  `mixprec bench: node ${machine.node}, ${machine.platform}, ${machine.cpus.count} × ${machine.cpus.model}${quick ? ' (quick)' : ''}`,
);

// With --only, the other benchmarks keep their last results (and dates).
const previous =
  only && existsSync(join(root, 'bench/results.json'))
    ? JSON.parse(readFileSync(join(root, 'bench/results.json'), 'utf8'))
    : {};
const results = { ...(previous.results ?? {}) };
const dates = { ...(previous.dates ?? {}) };
const failures = [];
for (const b of BENCHES.filter((x) => !only || only.includes(x.name))) {
  dates[b.name] = new Date().toISOString();
  console.log(`\n${b.title} (${b.module}):`);
  try {
    const mod = await import(b.module);
    if (typeof mod[b.fn] !== 'function') throw new Error(`${b.module} does not export ${b.fn}()`);
    const rows = await mod[b.fn](quick ? b.quick : {});
    results[b.name] = rows;
    console.log(textTable(rows));
  } catch (error) {
    failures.push(`${b.name}: ${error.message}`);
    console.error(`  failed: ${error.message}`);
  }
}

const targets = TARGETS.map((t) => {
  const measured = results[t.bench] ? t.pick(results[t.bench]) : undefined;
  const ok = t.max === undefined ? measured >= t.min : measured <= t.max;
  const status = measured === undefined ? 'not measured' : ok ? 'met' : 'not met';
  const required = t.max === undefined ? `≥ ${t.min}` : `≤ ${t.max}`;
  return { name: t.name, unit: t.unit, required, measured: measured ?? null, status };
});
console.log('\nTargets:');
for (const t of targets)
  console.log(`  ${t.name}: ${fmt(t.measured)} ${t.unit} (target ${t.required}): ${t.status}`);

const outDir = join(root, 'bench');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'results.json'),
  `${JSON.stringify({ machine, results, dates, targets, failures }, null, 2)}\n`,
);
const md = [
  '# Benchmark results',
  '',
  'Written by `pnpm bench` (scripts/bench.mjs); medians of timed runs after warm-up. Ratios',
  'compare against the in-process baselines each benchmark defines (see scripts/bench/*.mjs).',
  '',
  `- date: ${machine.date}`,
  `- node: ${machine.node} (${machine.platform})`,
  `- machine: ${machine.cpus.count} × ${machine.cpus.model}, ${machine.memoryGiB} GiB, 1-minute load ${machine.loadAverage1m} at start`,
  ...(quick ? ['- **quick run** (fewer repetitions): not for quoting'] : []),
  '',
  '## Targets',
  '',
  markdownTable(
    ['target', 'measured', 'required', 'status'],
    targets.map((t) => [
      t.name,
      `${fmt(t.measured)} ${t.unit}`,
      `${t.required} ${t.unit}`,
      t.status,
    ]),
  ),
  ...BENCHES.flatMap((b) => {
    const rows = results[b.name];
    if (!rows)
      return [
        '',
        `## ${b.title}`,
        '',
        `Not run: ${failures.find((f) => f.startsWith(`${b.name}:`)) ?? 'no rows'}`,
      ];
    const cols = columns(rows);
    return [
      '',
      `## ${b.title}`,
      '',
      `From \`${b.module.replace('./', 'scripts/')}\` (\`${b.fn}()\`), run ${dates[b.name] ?? 'at an unknown date'}.`,
      '',
      markdownTable(
        cols,
        rows.map((r) => cols.map((c) => fmt(r[c]))),
      ),
    ];
  }),
  '',
].join('\n');
// Formatted the way `pnpm lint` (biome) wants committed markdown.
const formatted = execFileSync(
  join(root, 'node_modules/.bin/biome'),
  ['format', '--stdin-file-path=bench/RESULTS.md'],
  { input: md, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] },
);
writeFileSync(join(outDir, 'RESULTS.md'), formatted);
console.log(`\nwrote bench/results.json and bench/RESULTS.md`);
if (failures.length > 0) process.exit(1);
