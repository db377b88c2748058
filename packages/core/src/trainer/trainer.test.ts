import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { countingRuns } from '../conformance/counting-runs.js';
import { OptionsError } from '../errors/options-error.js';
import { GELU } from '../nn/activations.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { crossEntropy } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { AdamW } from '../optim/adamw.js';
import { BasePrecision } from '../precision/base-precision.js';
import type { ForwardContext } from '../precision/precision-plugin.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { manualSeed, Random } from '../util/random.js';
import { Trainer } from './trainer.js';
import { loadTrainerCheckpoint, saveTrainerCheckpoint } from './trainer-checkpoint.js';
import type { StepOutput } from './trainer-types.js';

interface Batch {
  readonly x: Tensor;
  readonly y: Tensor;
}

/** Two Gaussian blobs per class in 8-d, a fixed order per epoch (seeded). */
function makeData(seed: number, n: number): { x: Float32Array; y: Int32Array } {
  const rng = new Random(seed);
  const x = new Float32Array(n * 8);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < 8; j++) x[i * 8 + j] = rng.normal() * 0.7 + (j % 3 === y[i] ? 1.5 : 0);
  }
  return { x, y };
}

const DATA = makeData(1, 96);
const batches = (epoch: number, size = 16): Batch[] => {
  const out: Batch[] = [];
  const order = Array.from({ length: 96 }, (_v, i) => i);
  const rng = new Random(100 + epoch);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextUint32() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let b = 0; b + size <= 96; b += size) {
    const idx = order.slice(b, b + size);
    const x = new Float32Array(size * 8);
    idx.forEach((k, r) => {
      x.set(DATA.x.subarray(k * 8, k * 8 + 8), r * 8);
    });
    out.push({
      x: fromArray(x, { shape: [size, 8] }),
      y: fromArray(Int32Array.from(idx.map((k) => DATA.y[k]))),
    });
  }
  return out;
};

const step = (model: Module, batch: Batch): StepOutput => {
  const logits = model.forward(batch.x) as Tensor;
  const correct = logits
    .max(1, true)
    .eq(logits)
    .cast('float32')
    .mul(
      batch.y
        .reshape([-1, 1])
        .eq(fromArray(new Int32Array([0, 1, 2])))
        .cast('float32'),
    )
    .sum();
  return { loss: crossEntropy(logits, batch.y), correct, count: batch.y.size };
};

function makeRun() {
  manualSeed(7);
  const model = new Sequential(
    new Linear(8, 16),
    new GELU(),
    new Dropout(0.1, { seed: 3 }),
    new Linear(16, 3),
  );
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
  return { model, optimizer };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Trainer', () => {
  it("tells the precision plugin's forwardContext which backend runs the step", async () => {
    const backend = createReferenceBackend();
    const seen: unknown[] = [];
    class Recording extends BasePrecision {
      override forwardContext<T>(fn: () => T, context?: ForwardContext): T {
        seen.push(context?.backend);
        return fn();
      }
    }
    const { model, optimizer } = makeRun();
    const trainer = new Trainer({ backend, precision: new Recording(), maxSteps: 1 });
    await trainer.fit({
      model,
      optimizer,
      step,
      trainData: () => batches(0),
      valData: () => batches(1).slice(0, 1),
    });
    expect(seen.length).toBeGreaterThanOrEqual(2); // a training step and a validation batch
    expect(seen.every((b) => b === backend)).toBe(true);
  });

  it('learns, with exactly one backend run per training step', async () => {
    const { backend, runs } = countingRuns(createReferenceBackend());
    const { model, optimizer } = makeRun();
    const trainer = new Trainer({ backend, maxEpochs: 8 });
    const runsPerStep: number[] = [];
    const summary = await trainer.fit({
      model,
      optimizer,
      step,
      trainData: (epoch) => batches(epoch),
      valData: () => batches(99),
    });
    expect(summary.steps).toBe(48);
    expect(summary.lastValidation?.accuracy).toBeGreaterThan(0.9);
    expect(summary.lastTrain?.memory.params).toBe(model.numParameters() * 4);
    expect(summary.lastTrain?.memory.optimizerState).toBe(model.numParameters() * 8);
    expect(summary.lastTrain?.memory.grads).toBe(model.numParameters() * 4);

    // A few explicit steps through the step API: one run each.
    for (const batch of batches(0).slice(0, 3)) {
      const before = runs();
      await trainer.step({ model, optimizer, step }, [batch]);
      runsPerStep.push(runs() - before);
    }
    expect(runsPerStep).toEqual([1, 1, 1]);
  });

  it('resumes exactly: N steps straight equal N/2 + checkpoint + N/2, bit for bit', async () => {
    const straight = makeRun();
    const t1 = new Trainer({ backend: createReferenceBackend(), maxSteps: 10 });
    await t1.fit({ ...straight, step, trainData: (e) => batches(e) });

    const dir = mkdtempSync(join(tmpdir(), 'mixprec-resume-'));
    dirs.push(dir);
    const first = makeRun();
    const t2 = new Trainer({ backend: createReferenceBackend(), maxSteps: 5 });
    await t2.fit({ ...first, step, trainData: (e) => batches(e) });
    await saveTrainerCheckpoint(dir, { trainer: t2, ...first });

    const resumed = makeRun();
    // Scramble the fresh model so only the checkpoint can make it right.
    manualSeed(12345);
    const t3 = new Trainer({ backend: createReferenceBackend(), maxSteps: 10 });
    await loadTrainerCheckpoint(dir, { trainer: t3, ...resumed });
    expect(t3.state.globalStep).toBe(5);
    await t3.fit({ ...resumed, step, trainData: (e) => batches(e) });

    const a = straight.model.stateDict();
    const b = resumed.model.stateDict();
    for (const name of Object.keys(a)) {
      expect(Array.from(await b[name].raw()), name).toEqual(Array.from(await a[name].raw()));
    }
  });

  it('refuses a corrupted checkpoint, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixprec-corrupt-'));
    dirs.push(dir);
    const run = makeRun();
    const trainer = new Trainer({ backend: createReferenceBackend(), maxSteps: 1 });
    await trainer.fit({ ...run, step, trainData: (e) => batches(e) });
    await saveTrainerCheckpoint(dir, { trainer, ...run });
    const file = join(dir, 'model.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(file, bytes);
    await expect(loadTrainerCheckpoint(dir, { trainer, ...run })).rejects.toThrow(
      /model\.safetensors.*checksum mismatch/,
    );
  });

  it('validates its options', () => {
    expect(() => new Trainer({})).toThrow(/expected at least one limit/);
    expect(() => new Trainer({ maxSteps: 1, gradientClipVal: -1 })).toThrow(
      /gradientClipVal is -1/,
    );
    expect(() => new Trainer({ maxSteps: 1, accumulateGradBatches: 0 })).toThrow(
      /accumulateGradBatches/,
    );
  });
});

describe('Trainer options and arguments', () => {
  const plugin = new Trainer({ maxSteps: 1 }).precisionPlugin;

  it("refuses an unknown option instead of falling back to fp32, with 'did you mean'", () => {
    const call = () => new Trainer({ maxSteps: 1, precison: plugin } as never);
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(
      "Trainer: unknown option 'precison' (did you mean 'precision'?); accepted options: precision, backend, maxSteps, maxEpochs, accumulateGradBatches, gradientClipVal, gradientClipAlgorithm, valCheckInterval, scheduler, callbacks",
    );
  });

  it("explains 'plugins' (a NeMo trainer config key) and a precision string", () => {
    expect(() => new Trainer({ maxSteps: 1, plugins: [plugin] } as never)).toThrow(
      "Trainer: unknown option 'plugins' (mixprec's Trainer takes one precision plugin as 'precision'",
    );
    expect(() => new Trainer({ maxSteps: 1, precision: 'bf16-mixed' } as never)).toThrow(
      `Trainer: option 'precision' is "bf16-mixed"; expected a PrecisionPlugin object`,
    );
  });

  it('checks the kinds of options and callbacks', () => {
    expect(() => new Trainer('fast' as never)).toThrow(
      'Trainer: options is "fast"; expected an object',
    );
    expect(() => new Trainer({ maxSteps: '10' } as never)).toThrow(
      'Trainer: maxSteps is "10"; expected a non-negative integer',
    );
    expect(() => new Trainer({ maxSteps: 1, callbacks: {} } as never)).toThrow(
      "Trainer: option 'callbacks' is an object; expected an array",
    );
    expect(() => new Trainer({ maxSteps: 1, scheduler: {} } as never)).toThrow(
      "Trainer: option 'scheduler' is an object; expected a scheduler",
    );
    expect(
      () => new Trainer({ maxSteps: 1, callbacks: [{ onTrainstepEnd: () => {} }] } as never),
    ).toThrow(
      "Trainer: callbacks[0]: unknown hook 'onTrainstepEnd' (did you mean 'onTrainStepEnd'?); accepted hooks: onFitStart, onTrainStepEnd, onValidationEnd, onFitEnd",
    );
    // Members that are not hooks (state) pass, and class instances' methods count as hooks.
    class Logger {
      lines: string[] = [];
      onFitEnd() {}
    }
    expect(() => new Trainer({ maxSteps: 1, callbacks: [new Logger()] })).not.toThrow();
  });

  it('fit and step check their arguments before doing anything', async () => {
    const { model, optimizer } = makeRun();
    const trainer = new Trainer({ backend: createReferenceBackend(), maxSteps: 1 });
    await expect(
      trainer.fit({ model, optimizer, step, traindata: () => batches(0) } as never),
    ).rejects.toThrow("Trainer.fit: unknown argument 'traindata' (did you mean 'trainData'?)");
    await expect(trainer.fit({ model, optimizer, step } as never)).rejects.toThrow(
      "Trainer.fit: argument 'trainData' is missing; expected a function",
    );
    await expect(trainer.step({ model, optimizer } as never, batches(0))).rejects.toThrow(
      "Trainer.step: argument 'step' is missing",
    );
    await expect(trainer.step({ model, optimizer, step }, [])).rejects.toThrow(
      "Trainer.step: argument 'batches' is an array of 0; expected a non-empty array",
    );
    expect(trainer.state.globalStep).toBe(0);
  });
});
