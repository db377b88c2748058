#!/usr/bin/env node
// Training benchmarks on the reference backend (issue 3):
//  1. training-step throughput of the built-in audio task (default model, AdamW, batch 32);
//  2. per-step overhead of recording a step graph (forward + backward) and lowering it through
//     the structural cache, for a small MLP, against a full step of the same MLP as baseline.
// Medians after warm-up. Imports the built packages (run `pnpm build` first).
import { performance } from 'node:perf_hooks';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** @returns {Promise<object[]>} rows */
export async function benchTrain({ runs = 12, warmup = 2, batchSize = 32 } = {}) {
  const core = await import('../../packages/core/dist/index.js');
  const cli = await import('../../packages/cli/dist/index.js');
  const rows = [];

  // 1. Built-in task throughput.
  {
    const backend = core.createReferenceBackend();
    const data = cli.createAudioDataset({
      seed: 0,
      size: batchSize * (runs + warmup),
      split: 'train',
      cache: true,
    });
    const model = cli.createDefaultModel({ seed: 0 });
    const optimizer = new core.AdamW(model.parameters(), { lr: 1e-3 });
    const trainer = new core.Trainer({ backend, maxSteps: runs + warmup });
    await trainer.setup(model);
    const step = (m, b) => ({
      loss: core.crossEntropy(m.forward(b.audio), b.labels),
      count: b.labels.shape[0],
    });
    const times = [];
    let i = 0;
    for (const batch of data.batches(batchSize, { shuffle: false })) {
      const t0 = performance.now();
      await trainer.step({ model, optimizer, step }, [batch]);
      if (i++ >= warmup) times.push(performance.now() - t0);
    }
    const ms = median(times);
    rows.push({
      name: 'built-in task train step (default model, fp32)',
      batch: batchSize,
      ms_median: ms,
      samples_per_s_median: (batchSize * 1000) / ms,
      runs: times.length,
    });
  }

  // 2. Graph recording + lowering overhead for a small MLP vs a full step.
  {
    const backend = core.createReferenceBackend();
    core.manualSeed(1);
    const model = new core.Sequential(
      new core.Linear(32, 64),
      new core.GELU(),
      new core.Linear(64, 10),
    );
    const optimizer = new core.AdamW(model.parameters(), { lr: 1e-3 });
    const trainer = new core.Trainer({ backend, maxSteps: 1 });
    await trainer.setup(model);
    const x = core.randn([16, 32], { seed: 2 });
    const y = core.fromArray(new Int32Array(16).map((_v, i) => i % 10));
    await core.realize([x, y], backend);
    const params = model.parameters();
    const record = () => {
      const loss = core.crossEntropy(model.forward(x), y);
      return [loss, ...core.gradients(loss, params)];
    };
    const n = 200;
    for (let k = 0; k < 20; k++) core.lowerGraph(record().map((t) => t.node));
    const rec = [];
    const low = [];
    for (let k = 0; k < n; k++) {
      const t0 = performance.now();
      const outs = record();
      const t1 = performance.now();
      core.lowerGraph(outs.map((t) => t.node));
      rec.push((t1 - t0) * 1000);
      low.push((performance.now() - t1) * 1000);
    }
    const step = (m, b) => ({ loss: core.crossEntropy(m.forward(b.x), b.y), count: 16 });
    const full = [];
    for (let k = 0; k < 60; k++) {
      const t0 = performance.now();
      await trainer.step({ model, optimizer, step }, [{ x, y }]);
      if (k >= 10) full.push((performance.now() - t0) * 1000);
    }
    const overhead = median(rec) + median(low);
    rows.push({
      name: 'small MLP: record forward+backward graph',
      batch: 16,
      us_median: median(rec),
      runs: n,
    });
    rows.push({
      name: 'small MLP: lower + cache lookup (hit)',
      batch: 16,
      us_median: median(low),
      runs: n,
    });
    rows.push({
      name: 'small MLP: full train step (baseline)',
      batch: 16,
      us_median: median(full),
      runs: full.length,
      overhead_share: overhead / median(full),
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchTrain();
  console.table(rows);
}
