#!/usr/bin/env node
// Median ms per step on 10M elements: flashAdamStep's fast path (bf16 param, int8 ECC,
// quantized moments, fp32 grads) on the wasm SIMD and JS engines, and core's plain fp32 AdamW
// (hostOptimizerStep('adamw')). Not a test. Build core first: `pnpm --filter @mixprec/core build`,
// then `node scripts/bench/flash-kernel-timing.mjs [n] [steps]`.
import { loadavg } from 'node:os';
import * as core from '../../packages/core/dist/index.js';

const n = Number(process.argv[2] ?? 10_000_000);
const steps = Number(process.argv[3] ?? 7);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (a) => `median ${median(a).toFixed(1)} ms (${a.map((x) => x.toFixed(0)).join(' ')})`;

const p32 = new Float32Array(n).map(() => Math.random() - 0.5);
const g32 = new Float32Array(n).map(() => (Math.random() - 0.5) * 0.01);

function plainAdamW() {
  const p = p32.slice();
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const state = {
    exp_avg: { data: m, dtype: 'float32' },
    exp_avg_sq: { data: v, dtype: 'float32' },
  };
  const times = [];
  for (let s = 1; s <= steps; s++) {
    const t = performance.now();
    core.hostOptimizerStep('adamw', { lr: 1e-3 }, s, p, 'float32', g32, 'float32', state);
    times.push(performance.now() - t);
  }
  return times;
}

function flash(engine) {
  const used = core.setFlashKernelEngine(engine);
  const groups = core.numGroups(n);
  const job = {
    param: { data: core.castStorage(p32, 'float32', 'bfloat16'), dtype: 'bfloat16' },
    ecc: new Int8Array(n),
    expAvg: { kind: 'quantized', codes: new Int8Array(n), scales: new Uint16Array(groups) },
    expAvgSq: { kind: 'quantized', codes: new Uint8Array(n), scales: new Uint16Array(groups) },
    grad: { data: g32, dtype: 'float32' },
  };
  const hyper = {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0.01,
    decoupled: true,
    decoupleLr: false,
    initialLr: 1e-3,
  };
  const times = [];
  for (let s = 1; s <= steps; s++) {
    const t = performance.now();
    core.flashAdamStep({ ...job, step: s, hyper });
    times.push(performance.now() - t);
  }
  return { used, times };
}

console.log(
  `n = ${n}, ${steps} steps each; load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const w = flash('auto');
console.log(`flashAdamStep fast path, engine ${w.used}: ${fmt(w.times)}`);
const j = flash('js');
console.log(`flashAdamStep fast path, engine ${j.used}: ${fmt(j.times)}`);
core.setFlashKernelEngine('auto');
console.log(`hostOptimizerStep('adamw') fp32:     ${fmt(plainAdamW())}`);
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
