#!/usr/bin/env node
// Exhaustive proof of core's conversion module (`pnpm verify:casts`, after a build of core).
// - ALL 2^32 fp32 bit patterns -> bf16 and -> fp16 with the bulk functions, each result widened
//   back to fp32, and roundToHalfInPlace on fp32: compared with an independent scalar reference
//   (verify-casts/reference.mjs: value arithmetic with an explicit half-even tie test).
// - All 65536 bf16 and fp16 patterns widened to fp32 and f64.
// - f64 -> bf16 / fp16 (direct, one rounding) and roundToHalfInPlace on f64 for a few million
//   doubles: edge values, random bit patterns, random magnitudes and values at / just around
//   rounding ties of each format (where going through fp32 would round twice).
// Every bulk check runs on both engines (wasm-simd and js). NaN results count as a match only
// when they are the promised quiet NaN with the input's sign. Exit code 1 on any mismatch.
// Work is split over 2 worker threads. Options: --workers=N, --core=path/to/core/dist/index.js,
// --f32-batches=N (quick run over N of the 1024 fp32 batches; not a proof).
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const option = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const F32_BATCH = 2 ** 22;
const F64_BATCHES = 4;
const F64_BATCH = 2 ** 20;

async function worker() {
  const core = await import(workerData.coreUrl);
  const checks = await import('./verify-casts/checks.mjs');
  const engines = ['wasm-simd', 'js'];
  if (core.setConversionEngine('auto') !== 'wasm-simd') {
    parentPort.postMessage({ error: 'the wasm-simd engine did not load in this runtime' });
    return;
  }
  parentPort.on('message', (task) => {
    if (task === null) {
      parentPort.close();
      return;
    }
    let result;
    if (task.kind === 'f32') result = checks.checkF32Range(core, engines, task.start, task.count);
    else if (task.kind === 'widen') result = checks.checkWidenAll(core, engines);
    else result = checks.checkF64Batch(core, engines, task.seed, task.count);
    parentPort.postMessage({ result });
  });
  parentPort.postMessage({ ready: true });
}

function merge(total, checks) {
  for (const [name, c] of Object.entries(checks)) {
    total[name] ??= { checked: 0, mismatches: 0, ms: 0, examples: [] };
    const t = total[name];
    t.checked += c.checked;
    t.mismatches += c.mismatches;
    t.ms += c.ms;
    for (const e of c.examples) if (t.examples.length < 5) t.examples.push(e);
  }
}

async function main() {
  const coreUrl = pathToFileURL(resolve(option('core', join(root, 'packages/core/dist/index.js'))));
  const core = await import(coreUrl.href);
  const workers = Number(option('workers', Math.min(2, availableParallelism())));
  const tasks = [{ kind: 'widen' }];
  for (let s = 1; s <= F64_BATCHES; s++) tasks.push({ kind: 'f64', seed: s, count: F64_BATCH });
  // --f32-batches=N checks only N evenly spaced batches of 2^22 patterns (a quick run; the
  // default, all 1024 batches, is the exhaustive proof).
  const f32Tasks = Number(option('f32-batches', 2 ** 32 / F32_BATCH));
  const stride = 2 ** 32 / F32_BATCH / f32Tasks;
  for (let b = 0; b < f32Tasks; b++) {
    tasks.push({ kind: 'f32', start: Math.floor(b * stride) * F32_BATCH, count: F32_BATCH });
  }
  console.log(
    `verify-casts: core ${relative(root, fileURLToPath(coreUrl))}, engine ${core.conversionEngine()}, ` +
      `${workers} workers, ${tasks.length} tasks`,
  );
  const total = {};
  const t0 = performance.now();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, () => {
      const w = new Worker(fileURLToPath(import.meta.url), {
        workerData: { coreUrl: coreUrl.href },
      });
      return new Promise((resolveWorker, reject) => {
        const feed = () => w.postMessage(next < tasks.length ? tasks[next++] : null);
        w.on('message', (msg) => {
          if (msg.error) reject(new Error(msg.error));
          if (msg.result) {
            merge(total, msg.result);
            done++;
            if (done % 128 === 0) {
              const s = ((performance.now() - t0) / 1000).toFixed(0);
              process.stderr.write(
                `  ${done}/${tasks.length} tasks (${f32Tasks} of fp32), ${s} s\n`,
              );
            }
          }
          if (msg.ready || msg.result) feed();
        });
        w.on('error', reject);
        w.on('exit', resolveWorker);
      });
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  report(total, wall);
}

function report(total, wall) {
  const rows = Object.entries(total);
  const width = Math.max(...rows.map(([n]) => n.length));
  console.log(
    `${'check'.padEnd(width)}  ${'checked'.padStart(13)}  mismatches  time (s, summed over workers)`,
  );
  let bad = 0;
  for (const [name, c] of rows) {
    bad += c.mismatches;
    const ms = (c.ms / 1000).toFixed(2);
    console.log(
      `${name.padEnd(width)}  ${String(c.checked).padStart(13)}  ${String(c.mismatches).padStart(10)}  ${ms.padStart(8)}`,
    );
    for (const e of c.examples) console.log(`    e.g. ${e}`);
  }
  console.log(
    `wall time ${wall.toFixed(1)} s; ${bad === 0 ? 'ALL CHECKS PASSED (0 mismatches)' : `${bad} MISMATCHES`}`,
  );
  process.exitCode = bad === 0 ? 0 : 1;
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  await worker();
}
