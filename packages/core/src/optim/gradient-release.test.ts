import { describe, expect, it, vi } from 'vitest';
import type { Backend, RunOptions, Storage } from '../backend/backend.js';
import { decode, encode, GraphBuilder } from '../backend/reference/__fixtures__/graphs.js';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { DTYPES } from '../dtype/dtypes.js';
import type { Graph } from '../graph/graph.js';
import { ReLU } from '../nn/activations.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { BasePrecision } from '../precision/base-precision.js';
import { fromArray, rand, randn } from '../tensor/creation.js';
import { realize, type Tensor } from '../tensor/tensor.js';
import { Trainer } from '../trainer/trainer.js';
import type { StepOutput } from '../trainer/trainer-types.js';
import { manualSeed } from '../util/random.js';
import { AdamW } from './adamw.js';
import { enableGradientRelease, gradientReleaseOf } from './gradient-release.js';
import { SGD } from './sgd.js';

const data = async (t: Tensor) => Array.from(await t.data());

/** Linear(5, 5, bias false) with a fixed init, on its own reference backend. */
async function tinyLinear(backend: Backend) {
  manualSeed(11);
  const model = new Linear(5, 5, { bias: false });
  await realize(model.parameters(), backend);
  return model;
}

describe('gradient release', () => {
  it('matches a manual step() loop exactly (flashoptim gradient_release_matches_manual_step)', async () => {
    const lossOf = (m: Linear) => {
      const y = m.forward(randn([32, 5], { seed: 5 }));
      return y.mul(y).mean();
    };

    const manualBackend = createReferenceBackend();
    const manual = await tinyLinear(manualBackend);
    const manualOpt = new AdamW(manual.parameters(), { lr: 1e-2 });
    const manualLosses: number[] = [];
    for (let i = 0; i < 3; i++) {
      manualOpt.zeroGrad();
      const loss = lossOf(manual);
      loss.backward();
      await realize([loss], manualBackend);
      manualLosses.push(await loss.item());
      await manualOpt.step();
    }

    const releaseBackend = createReferenceBackend();
    const released = await tinyLinear(releaseBackend);
    const opt = new AdamW(released.parameters(), { lr: 1e-2 });
    const release = enableGradientRelease(released, opt);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const loss = lossOf(released);
      loss.backward();
      const runs = releaseBackend.stats.runs;
      await release.realize([loss]);
      expect(releaseBackend.stats.runs - runs).toBe(1);
      expect(released.weight.grad).toBeUndefined();
      losses.push(await loss.item());
    }

    expect(losses[1]).toBeLessThan(losses[0]);
    expect(losses[2]).toBeLessThan(losses[1]);
    expect(losses).toEqual(manualLosses);
    expect(opt.paramStep(released.weight)).toBe(3);
    expect(await data(released.weight)).toEqual(await data(manual.weight));
    const state = opt.stateOf(released.weight)!;
    const manualState = manualOpt.stateOf(manual.weight)!;
    for (const name of ['exp_avg', 'exp_avg_sq'])
      expect(await data(state[name])).toEqual(await data(manualState[name]));
  });

  it('updates a tied parameter exactly once per run', async () => {
    class TiedLM extends Module {
      readonly embed: Embedding;
      readonly head: Linear;
      constructor() {
        super();
        this.embed = new Embedding(32, 16);
        this.head = new Linear(16, 32, { bias: false });
        Object.assign(this.head, { weight: this.embed.weight });
      }
      override forward(ids: Tensor): Tensor {
        return this.head.forward(this.embed.forward(ids));
      }
    }
    manualSeed(3);
    const backend = createReferenceBackend();
    const model = new TiedLM();
    expect(model.parameters()).toHaveLength(1);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const spy = vi.spyOn(backend, 'optimizerStep');
    const release = enableGradientRelease(model, opt);
    const ids = fromArray(new Int32Array([1, 5, 9, 30]));
    for (let i = 1; i <= 2; i++) {
      const logits = model.forward(ids);
      const loss = logits.mul(logits).mean();
      loss.backward();
      await release.realize([loss], backend);
      expect(spy).toHaveBeenCalledTimes(i);
      expect(opt.paramStep(model.embed.weight)).toBe(i);
    }
  });

  it('peak memory of the step drops by the gradients it no longer holds together', async () => {
    // A 4-layer, 256-wide nn.Linear MLP (x @ Wᵀ: the backward uses W itself, not the
    // forward's transposed copy, so that copy dies right after the forward matmul).
    const Dense = (seed: number) => {
      manualSeed(seed);
      return new Linear(256, 256, { bias: false });
    };
    const ReLU_ = () => new ReLU();
    const build = async (backend: Backend) => {
      const model = new Sequential(
        Dense(1),
        ReLU_(),
        Dense(2),
        ReLU_(),
        Dense(3),
        ReLU_(),
        Dense(4),
      );
      await realize(model.parameters(), backend);
      return { model, opt: new SGD(model.parameters(), { lr: 0.01 }) };
    };
    const lossOf = (model: Module) => {
      const y = model.forward(randn([4, 256], { seed: 7 })) as Tensor;
      return y.mul(y).mean();
    };

    const plain = createReferenceBackend();
    const a = await build(plain);
    const lossA = lossOf(a.model);
    lossA.backward();
    plain.memory({ resetPeak: true });
    await realize([lossA, ...a.model.parameters().map((p) => p.grad as Tensor)], plain);
    await a.opt.step();
    const peakWithout = plain.memory().peakBytes;

    const streaming = createReferenceBackend();
    const b = await build(streaming);
    const release = enableGradientRelease(b.model, b.opt);
    const lossB = lossOf(b.model);
    lossB.backward();
    streaming.memory({ resetPeak: true });
    await release.realize([lossB]);
    const peakWith = streaming.memory().peakBytes;

    expect(await lossB.item()).toBe(await lossA.item());
    for (const [i, p] of b.model.parameters().entries())
      expect(await data(p)).toEqual(await data(a.model.parameters()[i]));
    // Without release all four gradients are outputs, live together at the end of the run:
    // peak ≥ params + Σ grads. With release each is freed once its parameter is updated, so
    // the peak is about params + one gradient + one transient transpose of a weight (as large
    // as a gradient) + a few [4,256] activations: a drop of about Σ − 2·largest. Require at
    // least (Σ − largest) / 2, i.e. 1.5 of the 3 gradients that no longer coexist.
    const gradBytes = b.model.parameters().map((p) => p.size * DTYPES[p.dtype].itemSize);
    const sum = gradBytes.reduce((s, n) => s + n, 0);
    const largest = Math.max(...gradBytes);
    console.info(`peak bytes: without release ${peakWithout}, with release ${peakWith}`);
    expect(peakWithout - peakWith).toBeGreaterThanOrEqual((sum - largest) / 2);
    // Every gradient is gone afterwards.
    expect(b.model.parameters().every((p) => p.grad === undefined)).toBe(true);
    expect(streaming.memory().bytes).toBeLessThan(plain.memory().bytes);
  });

  it('step() and zeroGrad() warn and do nothing while active; remove() restores them', async () => {
    const backend = createReferenceBackend();
    const model = await tinyLinear(backend);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const warnings: string[] = [];
    const release = enableGradientRelease(model, opt, { warn: (m) => warnings.push(m) });
    expect(gradientReleaseOf(opt)).toBe(release);
    expect(release.active).toBe(true);
    const before = await data(model.weight);
    const grad = fromArray(new Float32Array(25).fill(1), { shape: [5, 5] });
    model.weight.grad = grad;
    const closure = vi.fn(() => 1);
    expect(await opt.step(closure)).toBeUndefined();
    expect(closure).not.toHaveBeenCalled();
    opt.zeroGrad();
    expect(model.weight.grad).toBe(grad);
    expect(await data(model.weight)).toEqual(before);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/step\(\) does nothing while gradient release is active/);
    expect(warnings[1]).toMatch(/zeroGrad\(\) does nothing while gradient release is active/);
    expect(() => enableGradientRelease(model, opt)).toThrow(/already has gradient release/);

    release.remove();
    expect(release.active).toBe(false);
    expect(gradientReleaseOf(opt)).toBeUndefined();
    await expect(release.realize([])).rejects.toThrow(/handle was removed/);
    expect(await opt.step(closure)).toBe(1);
    const after = await data(model.weight);
    after.forEach((v, i) => {
      expect(v).toBeCloseTo(before[i] - 0.1, 6);
    });
    opt.zeroGrad();
    expect(model.weight.grad).toBeUndefined();
    expect(warnings).toHaveLength(2);
  });

  it('refuses a model whose trainable parameter is not in the optimizer, naming it', () => {
    const first = new Linear(3, 4);
    const second = new Linear(4, 2);
    const model = new Sequential(first, second);
    const opt = new SGD(first.parameters(), { lr: 0.1 });
    expect(() => enableGradientRelease(model, opt)).toThrow(
      "parameter '1.weight' float32[2,4] is not in the SGD optimizer",
    );
    second.weight.requiresGrad_(false);
    second.bias?.requiresGrad_(false);
    expect(() => enableGradientRelease(model, opt).remove()).not.toThrow();
  });

  it('preStep returning false keeps the gradient, realized, and skips the update', async () => {
    const backend = createReferenceBackend();
    const model = await tinyLinear(backend);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const seen: Tensor[] = [];
    const release = enableGradientRelease(model, opt, {
      preStep: (p) => {
        seen.push(p);
        return false;
      },
    });
    const before = await data(model.weight);
    const y = model.forward(randn([2, 5], { seed: 2 }));
    y.mul(y).sum().backward();
    await release.realize([]);
    expect(seen).toEqual([model.weight]);
    expect(model.weight.grad?.isRealized).toBe(true);
    expect(await data(model.weight)).toEqual(before);
    expect(opt.paramStep(model.weight)).toBe(0);
  });

  it('gives the same parameters on a backend that cannot stream (onReady after the run)', async () => {
    const train = async (backend: Backend) => {
      const x = randn([8, 5], { seed: 9 });
      const model = await tinyLinear(backend);
      const opt = new AdamW(model.parameters(), { lr: 1e-2 });
      const release = enableGradientRelease(model, opt);
      for (let i = 0; i < 2; i++) {
        const y = model.forward(x);
        y.mul(y).mean().backward();
        await release.realize([]);
      }
      return data(model.weight);
    };
    const ref = createReferenceBackend();
    let deferred = 0;
    // Computes every released node as an extra output, then hands them over in node order.
    const batch: Backend = Object.assign(Object.create(ref) as Backend, {
      async run(graph: Graph, feeds: readonly Storage[], options?: RunOptions) {
        const release = [...(options?.release ?? [])].sort((a, b) => a.node - b.node);
        const wide = { ...graph, outputs: [...graph.outputs, ...release.map((r) => r.node)] };
        const all = await ref.run({ ...wide, key: `${graph.key}#batch` }, feeds);
        for (const [k, r] of release.entries()) {
          deferred++;
          await r.onReady(all[graph.outputs.length + k]);
        }
        return all.slice(0, graph.outputs.length);
      },
    });
    const streamed = await train(createReferenceBackend());
    expect(await train(batch)).toEqual(streamed);
    expect(deferred).toBe(2);
  });
});

describe('early release in the reference interpreter', () => {
  // W [3,3] and X [4,3] are fed; dW = Xᵀ·Y is computed BEFORE dX = Y·Wᵀ reads W again.
  const g = new GraphBuilder();
  const w = g.input('float32', [3, 3]);
  const x = g.input('float32', [4, 3]);
  const y = g.op('matmul', [x, w], {});
  const xt = g.op('permute', [x], { perm: [1, 0] });
  const dW = g.op('matmul', [xt, y], {});
  const wt = g.op('permute', [w], { perm: [1, 0] });
  const dX = g.op('matmul', [y, wt], {});
  const graph = g.build([dX]);
  const wValues = [0.5, -1, 2, 1.5, 0.25, -0.75, 1, 2, -0.5];
  const xValues = [1, 2, 3, -1, 0.5, 2, 0, 1, -2, 3, 1, 1];

  /** Runs the graph; with `after`, releases dW and applies W -= dW in onReady. */
  async function runGraph(after?: readonly number[]) {
    const backend = createReferenceBackend();
    const feeds = [
      backend.upload(encode(wValues, 'float32') as Float32Array, 'float32', [3, 3]),
      backend.upload(encode(xValues, 'float32') as Float32Array, 'float32', [4, 3]),
    ];
    const order: string[] = [];
    const release = after && [
      {
        node: dW,
        after,
        async onReady(storage: Storage) {
          order.push('dW');
          await backend.optimizerStep({
            algorithm: 'sgd',
            hyper: { lr: 1, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0 },
            step: 1,
            param: feeds[0],
            grad: storage,
            state: {},
          });
          backend.free(storage);
        },
      },
    ];
    const [out] = await backend.run(graph, feeds, release && { release });
    order.push('resolved');
    const dx = decode(await backend.download(out), 'float32');
    const wAfter = decode(await backend.download(feeds[0]), 'float32');
    backend.free(out);
    for (const f of feeds) backend.free(f);
    return { dx, wAfter, order, bytes: backend.memory().bytes };
  }

  it('hands a value over only after the last reader of its `after` nodes', async () => {
    const plain = await runGraph();
    const released = await runGraph([w]);
    expect(released.order).toEqual(['dW', 'resolved']);
    expect(released.dx).toEqual(plain.dx);
    expect(released.wAfter).not.toEqual(wValues);
    expect(released.bytes).toBe(0);
    // Without `after`, W is updated before dX reads it: the result changes (the check can fail).
    const early = await runGraph([]);
    expect(early.wAfter).toEqual(released.wAfter);
    expect(early.dx).not.toEqual(plain.dx);
  });

  it('rejects releasing an input node, an output, or a node twice', async () => {
    const backend = createReferenceBackend();
    const feeds = [
      backend.upload(encode(wValues, 'float32') as Float32Array, 'float32', [3, 3]),
      backend.upload(encode(xValues, 'float32') as Float32Array, 'float32', [4, 3]),
    ];
    const onReady = async (s: Storage) => backend.free(s);
    const run = (release: RunOptions['release']) => backend.run(graph, feeds, { release });
    await expect(run([{ node: w, after: [], onReady }])).rejects.toThrow(
      'release[0].node 0 is an input node; expected a computed node',
    );
    await expect(run([{ node: dX, after: [], onReady }])).rejects.toThrow(
      `release[0].node ${dX} is a graph output`,
    );
    await expect(
      run([
        { node: dW, after: [], onReady },
        { node: dW, after: [], onReady },
      ]),
    ).rejects.toThrow('is released twice');
    await expect(run([{ node: 99, after: [], onReady }])).rejects.toThrow(
      'release[0].node is 99; expected a node index in [0, 7)',
    );
  });
});

describe('Trainer with gradient release', () => {
  interface Batch {
    readonly x: Tensor;
    readonly y: Tensor;
  }
  const batchesOf = (epoch: number): Batch[] =>
    [0, 1, 2, 3].map((i) => {
      const x = rand([8, 4], { seed: 100 * epoch + i });
      // y = x · [1, -2, 0.5, 3]ᵀ
      return { x, y: x.matmul(fromArray([1, -2, 0.5, 3], { shape: [4, 1] })) };
    });
  const step = (model: Module, batch: Batch): StepOutput => {
    const d = (model.forward(batch.x) as Tensor).sub(batch.y);
    return { loss: d.mul(d).mean(), count: 8 };
  };
  const setup = () => {
    manualSeed(4);
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
    const optimizer = new AdamW(model.parameters(), { lr: 2e-2 });
    return { model, optimizer, release: enableGradientRelease(model, optimizer) };
  };

  it('trains with one run per step, skips the plugin step, and reports grads 0', async () => {
    const backend = createReferenceBackend();
    const { model, optimizer } = setup();
    const precision = new BasePrecision();
    const pluginStep = vi.spyOn(precision, 'optimizerStep');
    const trainer = new Trainer({ backend, precision, maxSteps: 24 });
    const losses: number[] = [];
    const runsPerStep: number[] = [];
    await trainer.fit({
      model,
      optimizer,
      step,
      trainData: batchesOf,
    });
    for (const batch of batchesOf(0)) {
      const before = backend.stats.runs;
      const r = await trainer.step({ model, optimizer, step }, [batch]);
      runsPerStep.push(backend.stats.runs - before);
      losses.push(r.loss);
      expect(r).toMatchObject({ stepped: true, gradientsFinite: true, gradNorm: undefined });
      expect(r.memory.grads).toBe(0);
      expect(r.memory.optimizerState).toBe(model.numParameters() * 8);
    }
    expect(runsPerStep).toEqual([1, 1, 1, 1]);
    expect(pluginStep).not.toHaveBeenCalled();
    expect(optimizer.paramStep(model.parameters()[0])).toBe(28);
    // After 24 steps the loss is well below the first one measured on the same batch.
    const fresh = setup();
    const first = await new Trainer({ backend: createReferenceBackend(), maxSteps: 1 }).step(
      { model: fresh.model, optimizer: fresh.optimizer, step },
      [batchesOf(0)[0]],
    );
    expect(losses[0]).toBeLessThan(first.loss / 4);
  });

  it('refuses accumulation, clipping and loss scaling with a clear error', async () => {
    const fitWith = (options: ConstructorParameters<typeof Trainer>[0]) => {
      const { model, optimizer } = setup();
      return new Trainer({ backend: createReferenceBackend(), maxSteps: 1, ...options }).fit({
        model,
        optimizer,
        step,
        trainData: batchesOf,
      });
    };
    await expect(fitWith({ accumulateGradBatches: 2 })).rejects.toThrow(
      'gradient release updates each parameter during backward; expected accumulateGradBatches 1',
    );
    await expect(fitWith({ gradientClipVal: 1 })).rejects.toThrow(
      'gradientClipVal is 1 with gradient release',
    );
    class Scaling extends BasePrecision {
      override get scalesLoss(): boolean {
        return true;
      }
    }
    await expect(fitWith({ precision: new Scaling() })).rejects.toThrow(
      "precision '32-true' scales the loss (GradScaler)",
    );
  });
});
