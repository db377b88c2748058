// Matmul throughput of the reference backend's gemm (fp32 in, fp32 out), against a naive i-k-j
// triple loop in the same process as the baseline. Needs a built core (`pnpm build`).
//
//   node scripts/bench/matmul.mjs            prints a table
//   import { benchMatmul } from './matmul.mjs'  returns the rows
//
// `--core /path/to/module.mjs` (or `benchMatmul({ core })`) swaps in another module exporting
// `gemm`, e.g. an esbuild bundle of gemm.ts while the package build is broken.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const DIST = new URL('../../packages/core/dist/index.js', import.meta.url);

async function loadGemm(core) {
  const url = core ? pathToFileURL(core).href : DIST.href;
  let mod;
  try {
    mod = await import(url);
  } catch (error) {
    throw new Error(`cannot load ${url}; build core first (pnpm --filter @mixprec/core build)`, {
      cause: error,
    });
  }
  if (typeof mod.gemm !== 'function') throw new Error(`${url} does not export gemm`);
  return mod.gemm;
}

/** The baseline: the textbook cache-friendly loop order, accumulating straight into C. */
function naiveGemm(a, b, c, M, K, N) {
  c.fill(0);
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k];
      const bk = k * N;
      for (let j = 0; j < N; j++) c[ci + j] += aik * b[bk + j];
    }
  }
}

function randomF32(n, seed) {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; // LCG: reproducible, no Math.random
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Median GFLOP/s of `runs` timed calls after `warmup` untimed ones (warm-up lets V8 optimise). */
function measure(fn, flops, warmup, runs) {
  for (let r = 0; r < warmup; r++) fn();
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    rates.push(flops / ((performance.now() - t0) * 1e6));
  }
  rates.sort((x, y) => x - y);
  const mid = rates.length >> 1;
  return rates.length % 2 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
}

/**
 * Benchmarks square fp32 matmuls. Returns one row per size: `gflops_median` of gemm,
 * `naive_gflops_median` of the i-k-j loop (only at `naiveSizes`, it is slow), and `ratio`
 * (gemm / naive, null where the naive loop was not run). `core` is an optional module path to
 * load `gemm` from instead of packages/core/dist/index.js.
 */
export async function benchMatmul({
  sizes = [256, 512, 1024],
  naiveSizes = [256, 512],
  warmup = 2,
  runs = 7,
  core,
} = {}) {
  const gemm = await loadGemm(core);
  const rows = [];
  for (const n of sizes) {
    const a = randomF32(n * n, 1);
    const b = randomF32(n * n, 2);
    const c = new Float32Array(n * n);
    const flops = 2 * n * n * n;
    const gflops = measure(() => gemm(a, 0, b, 0, c, 0, n, n, n), flops, warmup, runs);
    const row = { size: n, gflops_median: gflops, ratio: null };
    if (naiveSizes.includes(n)) {
      const naive = measure(() => naiveGemm(a, b, c, n, n, n), flops, warmup, runs);
      row.naive_gflops_median = naive;
      row.ratio = gflops / naive;
    }
    rows.push(row);
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--core');
  const rows = await benchMatmul({ core: at > 0 ? process.argv[at + 1] : undefined });
  const fmt = (x, d = 2) => (x === undefined || x === null ? '-' : x.toFixed(d));
  console.log('size   gemm GFLOP/s   naive GFLOP/s   ratio');
  for (const r of rows) {
    console.log(
      `${String(r.size).padEnd(6)} ${fmt(r.gflops_median).padStart(13)}   ${fmt(r.naive_gflops_median).padStart(13)}   ${fmt(r.ratio, 1).padStart(5)}`,
    );
  }
}
