import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { CheckpointError } from '../errors/checkpoint-error.js';
import { Linear } from '../nn/linear.js';
import { crossEntropy } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { AdamW } from '../optim/adamw.js';
import { StepLR } from '../optim/lr-scheduler.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { manualSeed } from '../util/random.js';
import { Trainer } from './trainer.js';
import {
  loadTrainerCheckpoint,
  saveTrainerCheckpoint,
  type TrainerCheckpointParts,
} from './trainer-checkpoint.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixprec-parts-'));
  dirs.push(dir);
  return dir;
};

function makeParts(withScheduler = false): TrainerCheckpointParts & { scheduler?: StepLR } {
  manualSeed(3);
  const model = new Linear(4, 2);
  const optimizer = new AdamW(model.parameters(), { lr: 0.1 });
  const trainer = new Trainer({ backend: createReferenceBackend(), maxSteps: 1 });
  const scheduler = withScheduler ? new StepLR(optimizer, { stepSize: 1 }) : undefined;
  return withScheduler ? { trainer, model, optimizer, scheduler } : { trainer, model, optimizer };
}

const batch = {
  x: fromArray(new Float32Array(8), { shape: [2, 4] }),
  y: fromArray(new Int32Array(2)),
};
const step = (m: Module, b: typeof batch) => ({
  loss: crossEntropy(m.forward(b.x) as Tensor, b.y),
  count: 2,
});

type Fn = (dir: string, parts: TrainerCheckpointParts) => Promise<unknown>;
const FUNCTIONS: [string, Fn][] = [
  ['saveTrainerCheckpoint', saveTrainerCheckpoint],
  ['loadTrainerCheckpoint', loadTrainerCheckpoint],
];

describe('trainer checkpoint parts are checked before anything is read or written', () => {
  it.each(FUNCTIONS)(
    '%s: a missing required part names it and what it must be',
    async (name, fn) => {
      for (const part of ['trainer', 'model', 'optimizer'] as const) {
        const { [part]: _dropped, ...parts } = makeParts();
        const dir = join(tempDir(), 'never-written');
        const call = fn(dir, parts as never);
        await expect(call).rejects.toThrow(CheckpointError);
        await expect(fn(dir, parts as never)).rejects.toThrow(
          `${name}: part '${part}' is missing; expected`,
        );
        expect(existsSync(dir)).toBe(false);
      }
      // The old behaviour was a raw TypeError reading `parts.trainer.state`.
      await expect(fn(tempDir(), { model: makeParts().model } as never)).rejects.toThrow(
        /part 'trainer' is missing; expected the run's Trainer/,
      );
    },
  );

  it.each(FUNCTIONS)(
    '%s: an unknown part is named, with did-you-mean and the accepted parts',
    async (name, fn) => {
      const parts = { ...makeParts(), schedular: {} };
      await expect(fn(tempDir(), parts as never)).rejects.toThrow(
        `${name}: unknown part 'schedular' (did you mean 'scheduler'?); accepted parts: trainer, model, optimizer, scheduler, config`,
      );
      await expect(fn(tempDir(), parts as never)).rejects.toThrow(CheckpointError);
    },
  );

  it.each(FUNCTIONS)('%s: a part of the wrong kind says what was expected', async (name, fn) => {
    const good = makeParts();
    const cases: [Partial<Record<keyof TrainerCheckpointParts, unknown>>, string][] = [
      [{ trainer: good.model }, `${name}: part 'trainer' is a Linear; expected the run's Trainer`],
      [{ model: good.optimizer }, `${name}: part 'model' is a AdamW; expected a Module`],
      [{ optimizer: good.model }, `${name}: part 'optimizer' is a Linear; expected an Optimizer`],
      [{ scheduler: 0.1 }, `${name}: part 'scheduler' is 0.1; expected an LR scheduler`],
    ];
    for (const [override, message] of cases) {
      const call = fn(tempDir(), { ...good, ...override } as never);
      await expect(call).rejects.toThrow(CheckpointError);
      await expect(fn(tempDir(), { ...good, ...override } as never)).rejects.toThrow(message);
    }
  });

  it.each(FUNCTIONS)('%s: parts or dir that are not what they should be', async (name, fn) => {
    await expect(fn(tempDir(), undefined as never)).rejects.toThrow(
      `${name}: parts is undefined; expected { trainer, model, optimizer, scheduler?, config? }`,
    );
    await expect(fn(tempDir(), null as never)).rejects.toThrow(`${name}: parts is null`);
    await expect(fn('', makeParts())).rejects.toThrow(`${name}: dir is ""; expected`);
  });

  it('save refuses a config that is not JSON data before writing', async () => {
    const dir = join(tempDir(), 'out');
    await expect(
      saveTrainerCheckpoint(dir, { ...makeParts(), config: { lr: Number.NaN } }),
    ).rejects.toThrow(CheckpointError);
    expect(existsSync(dir)).toBe(false);
  });

  it('load refuses a scheduler part that does not match the checkpoint', async () => {
    const withScheduler = tempDir();
    const run = makeParts(true);
    await run.trainer.fit({
      model: run.model,
      optimizer: run.optimizer,
      step,
      trainData: () => [batch],
    });
    await saveTrainerCheckpoint(withScheduler, run);
    await expect(loadTrainerCheckpoint(withScheduler, makeParts())).rejects.toThrow(
      /holds LR scheduler state but no 'scheduler' part was given/,
    );
    await loadTrainerCheckpoint(withScheduler, makeParts(true)); // matching parts load

    const without = tempDir();
    await saveTrainerCheckpoint(without, makeParts());
    await expect(loadTrainerCheckpoint(without, makeParts(true))).rejects.toThrow(
      /holds no LR scheduler state .* but a 'scheduler' part was given/,
    );
  });
});
