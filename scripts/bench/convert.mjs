#!/usr/bin/env node
// Bulk conversion throughput of @mixprec/core (built dist): fp32 <-> bf16 / fp16 on 4M elements,
// on the default engine (wasm SIMD when available) and on the TS fallback, plus a plain JS
// loop for fp32 -> bf16 as the in-process baseline. Each row is the median of `runs` timed
// runs after warm-up, into preallocated outputs (allocation is not measured).
//
//   node scripts/bench/convert.mjs            prints a table
//   import { benchConvert } from './bench/convert.mjs'   (used by scripts/bench.mjs)
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const coreUrl = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;

const N = 4 * 1024 * 1024;
const WARMUP = 3;

/** The baseline: the obvious JS loop over the fp32 bits (RNE by adding 0x7fff + lsb). */
function plainJsF32ToBf16(src, dst) {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    dst[i] =
      (x & 0x7fffffff) > 0x7f800000
        ? ((x >>> 16) & 0x8000) | 0x7fc0
        : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
}

function measure(fn, runs) {
  for (let i = 0; i < WARMUP; i++) fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)], min: times[0], max: times[runs - 1] };
}

/** Deterministic test data: magnitudes spread over fp16's and bf16's ranges, both signs. */
function makeInput() {
  const src = new Float32Array(N);
  let s = 12345;
  for (let i = 0; i < N; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = s / 4294967296;
    src[i] = (u < 0.5 ? -1 : 1) * 2 ** (u * 60 - 30);
  }
  return src;
}

/**
 * Runs the benchmark. Rows: { name, engine, elems, GelemPerSec_median, elemsPerSec_median,
 * elemsPerSec_min, elemsPerSec_max, runs, vsPlainJs }.
 */
export async function benchConvert({ runs = 9 } = {}) {
  const core = await import(coreUrl);
  const src = makeInput();
  const bf = core.f32ToBf16(src);
  const fp = core.f32ToF16(src);
  const src64 = core.f32ToF64(src);
  const out16 = new Uint16Array(N);
  const out32 = new Float32Array(N);
  const work32 = new Float32Array(N);
  const work64 = new Float64Array(N);
  const cases = [
    ['fp32→bf16', () => core.f32ToBf16(src, out16)],
    ['fp32→fp16', () => core.f32ToF16(src, out16)],
    ['bf16→fp32', () => core.bf16ToF32(bf, out32)],
    ['fp16→fp32', () => core.f16ToF32(fp, out32)],
    ['f64→bf16', () => core.f64ToBf16(src64, out16)],
    ['roundToHalfInPlace fp32 bf16', () => core.roundToHalfInPlace(work32, 'bfloat16')],
    ['roundToHalfInPlace fp32 fp16', () => core.roundToHalfInPlace(work32, 'float16')],
    ['roundToHalfInPlace f64 fp16', () => core.roundToHalfInPlace(work64, 'float16')],
  ];
  const baseline = measure(() => plainJsF32ToBf16(src, out16), runs);
  const rate = (s) => N / s;
  const row = (name, engine, m) => ({
    name,
    engine,
    elems: N,
    GelemPerSec_median: rate(m.median) / 1e9,
    elemsPerSec_median: rate(m.median),
    elemsPerSec_min: rate(m.max),
    elemsPerSec_max: rate(m.min),
    runs,
    vsPlainJs: name === 'fp32→bf16' ? baseline.median / m.median : undefined,
  });
  const rows = [];
  for (const mode of ['auto', 'js']) {
    const engine = core.setConversionEngine(mode);
    for (const [name, fn] of cases) {
      // Rounding in place costs the same on already-rounded data; refill for equal inputs.
      work32.set(src);
      work64.set(src64);
      rows.push(row(name, engine, measure(fn, runs)));
    }
  }
  core.setConversionEngine('auto');
  rows.push(row('fp32→bf16 plain JS loop (baseline)', 'inline', baseline));
  return rows;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const rows = await benchConvert();
  console.log(`bulk conversion, ${N} elements, median of ${rows[0].runs} runs`);
  console.log(
    `${'conversion'.padEnd(36)} ${'engine'.padEnd(9)} ${'G elem/s'.padStart(9)}  vs plain JS`,
  );
  for (const r of rows) {
    const ratio = r.vsPlainJs === undefined ? '' : `${r.vsPlainJs.toFixed(2)}x`;
    console.log(
      `${r.name.padEnd(36)} ${r.engine.padEnd(9)} ${r.GelemPerSec_median.toFixed(3).padStart(9)}  ${ratio}`,
    );
  }
}
