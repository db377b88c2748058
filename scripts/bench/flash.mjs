#!/usr/bin/env node
// Flash optimizer benchmarks (issue 5), on the reference backend:
//  1. memory per parameter after a training step, read from the backend's storages (params,
//     grads, optimizer state), for AdamW (32-true, bf16-mixed) and the flash optimizers × master
//     bits, with and without gradient release, against the theory of
//     docs/flashoptim.md#memory-per-parameter;
//  2. optimizer-step time on one 10M-parameter tensor: FlashAdamW (bf16, 24-bit, 8-bit moments)
//     against mixprec's plain fp32 AdamW in the same process (medians);
//  3. checkpoint bytes per parameter: fp32 AdamW vs FlashAdamW uncompressed vs compressed.
// Imports the built packages (run `pnpm build` first).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** MLP 256 → 1024 → 1024 → 16 (~1.3M parameters; every tensor a multiple of 32 but biases). */
function mlp(core) {
  core.manualSeed(1);
  return new core.Sequential(
    new core.Linear(256, 1024),
    new core.GELU(),
    new core.Linear(1024, 1024),
    new core.GELU(),
    new core.Linear(1024, 16),
  );
}

/**
 * One Trainer step of the MLP on `mode`'s plugin (bf16-flash by default) with the optimizer
 * `make` builds; gradient release when `release`. Returns the parts and the fit summary.
 */
async function trainOneStep(core, precision, { mode = 'bf16-flash', make, release = false }) {
  const backend = core.createReferenceBackend();
  const model = mlp(core);
  const plugin = precision.createPrecisionPlugin(mode);
  plugin.convertModule(model);
  const optimizer = make(model.parameters());
  const handle = release ? core.enableGradientRelease(model, optimizer) : undefined;
  const trainer = new core.Trainer({ backend, precision: plugin, maxSteps: 1 });
  const x = core.randn([8, 256], { seed: 2 });
  const y = core.fromArray(Int32Array.from({ length: 8 }, (_, i) => i % 16));
  const summary = await trainer.fit({
    model,
    optimizer,
    step: (m, b) => ({ loss: core.crossEntropy(m.forward(b.x), b.y), count: 8 }),
    trainData: () => [{ x, y }],
  });
  handle?.remove();
  return { model, optimizer, trainer, summary };
}

async function memoryRows(core, flash, precision) {
  const configs = [
    { name: 'AdamW, 32-true', mode: '32-true', make: (p) => new core.AdamW(p), theory: 16 },
    { name: 'AdamW, bf16-mixed', mode: 'bf16-mixed', make: (p) => new core.AdamW(p), theory: 16 },
    {
      name: 'FlashAdamW bf16, 24-bit',
      make: (p) => new flash.FlashAdamW(p),
      theory: 7.125,
      gr: 5.125,
    },
    {
      name: 'FlashAdamW bf16, 32-bit',
      make: (p) => new flash.FlashAdamW(p, { masterWeightBits: 32 }),
      theory: 8.125,
      gr: 6.125,
    },
    {
      name: 'FlashAdamW bf16, no master',
      make: (p) => new flash.FlashAdamW(p, { masterWeightBits: null, warn() {} }),
      theory: 6.125,
      gr: 4.125,
    },
    {
      name: 'FlashAdamW bf16, 24-bit, quantize off',
      make: (p) => new flash.FlashAdamW(p, { quantize: false }),
      theory: 9,
      gr: 7,
    },
    {
      name: 'FlashAdamW fp32, quantized',
      mode: '32-true',
      make: (p) => new flash.FlashAdamW(p, { masterWeightBits: null }),
      theory: 10.125,
      gr: 6.125,
    },
    {
      name: 'FlashLion bf16, 24-bit',
      make: (p) => new flash.FlashLion(p),
      theory: 6.0625,
      gr: 4.0625,
    },
    {
      name: 'FlashSGD bf16, 24-bit, momentum 0.9',
      make: (p) => new flash.FlashSGD(p, { momentum: 0.9 }),
      theory: 6.0625,
      gr: 4.0625,
    },
    {
      name: 'FlashSGD bf16, 24-bit, momentum 0',
      make: (p) => new flash.FlashSGD(p),
      theory: 5,
      gr: 3,
    },
  ];
  const rows = [];
  for (const c of configs) {
    for (const release of c.gr === undefined ? [false] : [false, true]) {
      const { model, summary } = await trainOneStep(core, precision, {
        mode: c.mode,
        make: c.make,
        release,
      });
      const mem = summary.lastTrain.memory;
      const n = model.numParameters();
      const perParam = (mem.params + mem.grads + mem.optimizerState) / n;
      const theory = release ? c.gr : c.theory;
      rows.push({
        config: c.name,
        release,
        params_B: mem.params / n,
        grads_B: mem.grads / n,
        state_B: mem.optimizerState / n,
        total_B_per_param: perParam,
        theory_B_per_param: theory,
        vs_theory: perParam / theory,
      });
    }
  }
  return rows;
}

async function stepTimeRows(core, flash, { size = 10_000_000, runs = 7 } = {}) {
  const rows = [];
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = Math.sin(i) * 0.5;
  const grads = new Float32Array(size);
  for (let i = 0; i < size; i++) grads[i] = Math.cos(i * 1.3) * 1e-3;
  const backend = core.createReferenceBackend();
  const time = async (name, dtype, make) => {
    const p = new core.Parameter(
      core.fromArray(core.castStorage(values, 'float32', dtype), { dtype, shape: [size] }),
    );
    await p.realize(backend);
    const g = await core
      .fromArray(core.castStorage(grads, 'float32', dtype), { dtype, shape: [size] })
      .realize(backend);
    const opt = make([p]);
    const times = [];
    for (let r = 0; r < runs + 1; r++) {
      p.grad = g;
      const t0 = performance.now();
      await opt.step();
      if (r > 0) times.push(performance.now() - t0);
    }
    rows.push({ optimizer: name, params: size, ms_median: median(times), runs });
  };
  await time('AdamW fp32 (mixprec host kernel)', 'float32', (p) => new core.AdamW(p));
  await time('FlashAdamW bf16, 24-bit, 8-bit moments', 'bfloat16', (p) => new flash.FlashAdamW(p));
  const base = rows[0].ms_median;
  for (const r of rows) r.vs_adamw = r.ms_median / base;
  return rows;
}

async function checkpointRows(core, flash, precision) {
  const rows = [];
  const configs = [
    { name: 'AdamW, 32-true', mode: '32-true', make: (p) => new core.AdamW(p) },
    { name: 'FlashAdamW bf16 24-bit, uncompressed', make: (p) => new flash.FlashAdamW(p) },
    {
      name: 'FlashAdamW bf16 24-bit, compressed',
      make: (p) => new flash.FlashAdamW(p, { compressStateDict: true }),
    },
  ];
  const root = mkdtempSync(join(tmpdir(), 'mixprec-bench-ckpt-'));
  try {
    for (const c of configs) {
      const { model, optimizer, trainer } = await trainOneStep(core, precision, {
        mode: c.mode,
        make: c.make,
      });
      const dir = join(root, String(rows.length));
      await core.saveTrainerCheckpoint(dir, { trainer, model, optimizer });
      const bytes = statSync(join(dir, 'model.safetensors')).size;
      rows.push({ checkpoint: c.name, bytes, bytes_per_param: bytes / model.numParameters() });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const base = rows[0].bytes;
  for (const r of rows) r.vs_adamw = r.bytes / base;
  return rows;
}

async function load() {
  return {
    core: await import('../../packages/core/dist/index.js'),
    flash: await import('../../packages/optim-flash/dist/index.js'),
    precision: await import('../../packages/precision/dist/index.js'),
  };
}

/** @returns {Promise<object[]>} memory rows */
export async function benchFlashMemory() {
  const { core, flash, precision } = await load();
  return memoryRows(core, flash, precision);
}

/** @returns {Promise<object[]>} step-time rows */
export async function benchFlashStep(options = {}) {
  const { core, flash } = await load();
  return stepTimeRows(core, flash, options);
}

/** @returns {Promise<object[]>} checkpoint rows */
export async function benchFlashCheckpoint() {
  const { core, flash, precision } = await load();
  return checkpointRows(core, flash, precision);
}
