#!/usr/bin/env node
// ORT backend benchmarks (issue 6), each against the reference backend in the same process:
//  1. matmul GFLOP/s at 256/512/1024/2048: fp32 (also onnxruntime called directly on the same
//     model, the ceiling), bf16 and fp16 semantics (half inputs, fp32 accumulation, one
//     rounding);
//  2. built-in task training step per precision: samples/s, ORT vs reference;
//  3. per-step overhead beyond compute for a small MLP: a trivial graph's run, and the time a
//     step spends outside the backend run;
//  4. optimizer update of 10M parameters: core's host AdamW on the ORT storages vs the same
//     update expressed as a graph run by ORT (which `optimizerStep` should use).
// Imports the built packages (run `pnpm build` first).
import { createRequire } from 'node:module';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function load() {
  const require = createRequire(
    new URL('../../packages/backend-ort/package.json', import.meta.url),
  );
  return {
    core: await import('../../packages/core/dist/index.js'),
    ortBackend: await import('../../packages/backend-ort/dist/index.js'),
    precision: await import('../../packages/precision/dist/index.js'),
    cli: await import('../../packages/cli/dist/index.js'),
    ort: require('onnxruntime-node'),
  };
}

async function timeIt(fn, runs, warmup = 2) {
  const times = [];
  for (let r = 0; r < runs + warmup; r++) {
    const t0 = performance.now();
    await fn();
    if (r >= warmup) times.push(performance.now() - t0);
  }
  return median(times);
}

/** @returns {Promise<object[]>} matmul rows */
export async function benchOrtMatmul({ sizes = [256, 512, 1024, 2048], refMax = 1024 } = {}) {
  const { core, ortBackend, ort } = await load();
  const rows = [];
  const ortB = ortBackend.createOrtBackend();
  const ref = core.createReferenceBackend();
  for (const n of sizes) {
    const runs = n >= 2048 ? 5 : n >= 1024 ? 9 : 15;
    const flops = 2 * n ** 3;
    for (const dtype of ['float32', 'bfloat16', 'float16']) {
      const host = core.castStorage(
        Float32Array.from({ length: n * n }, (_, i) => Math.sin(i) * 0.5),
        'float32',
        dtype,
      );
      const gflops = async (backend) => {
        const a = backend.upload(host, dtype, [n, n]);
        const b = backend.upload(host, dtype, [n, n]);
        const ms = await timeIt(
          async () => backend.free(await backend.matmul(a, b)),
          backend === ref ? Math.min(runs, 3) : runs,
          backend === ref ? 1 : 2,
        );
        backend.free(a);
        backend.free(b);
        return flops / ms / 1e6;
      };
      const row = { size: n, dtype, ort_gflops: await gflops(ortB) };
      if (dtype === 'float32') {
        // The ceiling: onnxruntime itself on the compiled model, fed JS arrays.
        const x = core.fromArray(host, { shape: [n, n] });
        const { graph } = core.lowerGraph([x.matmul(core.fromArray(host, { shape: [n, n] })).node]);
        const model = ortBackend.compileGraph(graph);
        // Same session options as the backend (threads sleep between runs: spinning pools of
        // two live sessions slow each other down by 25% on 2 cores).
        const session = await ort.InferenceSession.create(model.bytes, {
          intraOpNumThreads: (await import('node:os')).cpus().length,
          graphOptimizationLevel: 'all',
          extra: { session: { intra_op: { allow_spinning: '0' } } },
        });
        const t = new ort.Tensor('float32', host, [n, n]);
        const feeds = Object.fromEntries(session.inputNames.map((name) => [name, t]));
        const ms = await timeIt(() => session.run(feeds), runs);
        await session.release();
        row.ort_direct_gflops = flops / ms / 1e6;
        row.vs_direct = row.ort_gflops / row.ort_direct_gflops;
      }
      if (n <= refMax) {
        row.reference_gflops = await gflops(ref);
        row.vs_reference = row.ort_gflops / row.reference_gflops;
      }
      rows.push(row);
    }
  }
  return rows;
}

/** @returns {Promise<object[]>} training rows */
export async function benchOrtTrain({ modes, steps = 8, batchSize = 32 } = {}) {
  const { core, ortBackend, precision, cli } = await load();
  const rows = [];
  const data = cli.createAudioDataset({
    seed: 0,
    size: batchSize * (steps + 2),
    split: 'train',
    cache: true,
  });
  for (const mode of modes ?? Object.keys(precision.PRECISIONS)) {
    const row = { mode };
    for (const [name, make] of [
      ['ort', () => ortBackend.createOrtBackend()],
      ['reference', () => core.createReferenceBackend()],
    ]) {
      const backend = make();
      // Fresh tensors per backend: a realized batch belongs to the backend that ran it.
      const batches = [...data.batches(batchSize, { shuffle: false })];
      // The plugin and AdamW eps `mixprec train` uses for this mode.
      const plugin = cli.precisionPluginFor(mode, () => {});
      const model = plugin.convertModule(
        plugin.moduleInitContext(() => cli.createDefaultModel({ seed: 0 })),
      );
      const optimizer = new core.AdamW(model.parameters(), {
        lr: 1e-3,
        eps: cli.trainDefaultsFor(mode).eps,
      });
      const trainer = new core.Trainer({ backend, precision: plugin, maxSteps: steps + 2 });
      await trainer.setup(model);
      const step = (m, b) => ({
        loss: core.crossEntropy(m.forward(b.audio), b.labels),
        count: batchSize,
      });
      const times = [];
      for (const [i, batch] of batches.entries()) {
        const t0 = performance.now();
        await trainer.step({ model, optimizer, step }, [batch]);
        if (i >= 2) times.push(performance.now() - t0);
      }
      row[`${name}_samples_per_s`] = (batchSize * 1000) / median(times);
    }
    row.speedup = row.ort_samples_per_s / row.reference_samples_per_s;
    rows.push(row);
  }
  return rows;
}

/** @returns {Promise<object[]>} overhead rows */
export async function benchOrtOverhead() {
  const { core, ortBackend } = await load();
  const rows = [];
  const backend = ortBackend.createOrtBackend();
  // A trivial graph: one add of two scalars, fed from storages.
  const a = core.fromArray([1]);
  const { graph, feedNodes } = core.lowerGraph([a.add(core.fromArray([2])).node]);
  const feeds = feedNodes.map((n) => backend.upload(n.hostData, n.dtype, n.shape));
  const runUs =
    (await timeIt(
      async () => {
        for (const s of await backend.run(graph, feeds)) backend.free(s);
      },
      400,
      50,
    )) * 1000;
  rows.push({ name: 'ORT backend run of a 1-op graph', us_median: runUs });
  // A small MLP step: total vs the backend run alone.
  core.manualSeed(1);
  const model = new core.Sequential(
    new core.Linear(32, 64),
    new core.GELU(),
    new core.Linear(64, 10),
  );
  const optimizer = new core.AdamW(model.parameters(), { lr: 1e-3 });
  const runs = [];
  const counting = {
    ...backend,
    async run(g, f, o) {
      const t0 = performance.now();
      const out = await backend.run(g, f, o);
      runs.push((performance.now() - t0) * 1000);
      return out;
    },
  };
  const trainer = new core.Trainer({ backend: counting, maxSteps: 1 });
  await trainer.setup(model);
  const x = core.randn([16, 32], { seed: 2 });
  const y = core.fromArray(new Int32Array(16).map((_v, i) => i % 10));
  await core.realize([x, y], counting);
  const step = (m, b) => ({ loss: core.crossEntropy(m.forward(b.x), b.y), count: 16 });
  const full = [];
  for (let k = 0; k < 220; k++) {
    runs.length = 0;
    const t0 = performance.now();
    await trainer.step({ model, optimizer, step }, [{ x, y }]);
    const total = (performance.now() - t0) * 1000;
    if (k >= 20) full.push({ total, run: runs.reduce((s, v) => s + v, 0), runs: runs.length });
  }
  const total = median(full.map((f) => f.total));
  const inRun = median(full.map((f) => f.run));
  rows.push({
    name: 'small MLP step (batch 16): total',
    us_median: total,
    runs_per_step: median(full.map((f) => f.runs)),
  });
  rows.push({ name: 'small MLP step: inside backend runs', us_median: inRun });
  rows.push({
    name: 'small MLP step: overhead beyond the runs',
    us_median: total - inRun,
    share: (total - inRun) / total,
  });
  return rows;
}

/** @returns {Promise<object[]>} optimizer-update rows */
export async function benchOrtOptimizer({ size = 10_000_000, runs = 5 } = {}) {
  const { core, ortBackend } = await load();
  const backend = ortBackend.createOrtBackend();
  const init = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 0.5);
  const grad = Float32Array.from({ length: size }, (_, i) => Math.cos(i) * 1e-3);
  const p = new core.Parameter(core.fromArray(init));
  await p.realize(backend);
  const g = await core.fromArray(grad).realize(backend);
  const opt = new core.AdamW([p], { lr: 1e-3 });
  const host = await timeIt(async () => {
    p.grad = g;
    await opt.step();
  }, runs);
  // The same AdamW update as one graph (decay, moments, bias correction, step) run by ORT.
  let m = await core.zeros([size]).realize(backend);
  let v = await core.zeros([size]).realize(backend);
  let w = await core.fromArray(init).realize(backend);
  let t = 0;
  const graphStep = async () => {
    t++;
    const [b1, b2, lr, eps, wd] = [0.9, 0.999, 1e-3, 1e-8, 1e-2];
    const m2 = m.mul(b1).add(g.mul(1 - b1));
    const v2 = v.mul(b2).add(g.mul(g).mul(1 - b2));
    const denom = v2
      .div(1 - b2 ** t)
      .sqrt()
      .add(eps);
    const w2 = w.mul(1 - lr * wd).sub(m2.div(denom).mul(lr / (1 - b1 ** t)));
    await core.realize([m2, v2, w2], backend);
    for (const old of [m, v, w]) old.dispose();
    [m, v, w] = [m2, v2, w2];
  };
  const graph = await timeIt(graphStep, runs);
  return [
    {
      update: 'AdamW, host kernel on the ORT storages (optimizerStep)',
      params: size,
      ms_median: host,
    },
    {
      update: 'AdamW as an ONNX graph run by ORT',
      params: size,
      ms_median: graph,
      vs_host: graph / host,
    },
  ];
}
