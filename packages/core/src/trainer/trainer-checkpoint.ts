import type { CheckpointMetadata } from '../checkpoint/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint.js';
import { CheckpointError } from '../errors/checkpoint-error.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type {
  OptimizerStateDict,
  ParamGroupState,
  ParamStateDict,
} from '../optim/optimizer-state.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { CORE_VERSION } from '../version.js';
import type { Trainer } from './trainer.js';
import type { SchedulerLike, TrainerState } from './trainer-types.js';

/** The pieces of a run a checkpoint captures. */
export interface TrainerCheckpointParts {
  readonly trainer: Trainer;
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly scheduler?: SchedulerLike;
  /** The run's configuration (JSON data), stored for reference and checked by callers on resume. */
  readonly config?: unknown;
}

/** A module with its own random stream (e.g. `Dropout`). */
interface RandomStateful {
  getState(): number[];
  setState(state: readonly number[]): void;
}

const hasRandomState = (m: unknown): m is RandomStateful =>
  typeof (m as RandomStateful).getState === 'function' &&
  typeof (m as RandomStateful).setState === 'function';

/**
 * Saves model parameters and buffers (`model.<name>`), optimizer state tensors
 * (`optimizer.<index>.<name>`) and, in `checkpoint.json`, the trainer position, optimizer
 * groups and step counts, scheduler, precision plugin and module RNG states, the config and
 * the core version. Resuming from it continues bit-identically.
 */
export async function saveTrainerCheckpoint(
  dir: string,
  parts: TrainerCheckpointParts,
): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(parts.model.stateDict())) tensors[`model.${name}`] = t;
  const sd = parts.optimizer.stateDict();
  const steps: Record<string, number> = {};
  for (const [index, entry] of Object.entries(sd.state)) {
    for (const [name, value] of Object.entries(entry)) {
      if (name === 'step') steps[index] = value as number;
      else tensors[`optimizer.${index}.${name}`] = value as Tensor;
    }
  }
  const rng: Record<string, number[]> = {};
  for (const [name, m] of parts.model.namedModules())
    if (hasRandomState(m)) rng[name] = m.getState();
  const metadata: CheckpointMetadata = {
    step: parts.trainer.state.globalStep,
    trainer: { ...parts.trainer.state },
    optimizer: { param_groups: sd.param_groups, steps },
    scheduler: parts.scheduler?.stateDict() ?? null,
    plugin: {
      precision: parts.trainer.precision,
      state: parts.trainer.precisionPlugin.stateDict(),
    },
    moduleRng: rng,
    config: parts.config ?? null,
    versions: { '@mixprec/core': CORE_VERSION },
  };
  await saveCheckpoint(dir, { tensors, metadata });
}

/** Restores everything `saveTrainerCheckpoint` wrote; returns the checkpoint metadata. */
export async function loadTrainerCheckpoint(
  dir: string,
  parts: TrainerCheckpointParts,
): Promise<CheckpointMetadata> {
  const { tensors, metadata } = await loadCheckpoint(dir);
  const file = `${dir}/checkpoint.json`;
  const plugin = metadata.plugin as
    | { precision?: string; state?: Record<string, unknown> }
    | undefined;
  if (plugin?.precision !== parts.trainer.precision) {
    throw new CheckpointError(
      `${file}: written with precision '${plugin?.precision}'; this run uses '${parts.trainer.precision}' (resume with the same precision)`,
    );
  }
  const model: Record<string, Tensor> = {};
  const optimizerTensors = new Map<string, Record<string, Tensor>>();
  for (const [name, t] of Object.entries(tensors)) {
    const tensor = fromArray(t.data, { dtype: t.dtype, shape: t.shape });
    if (name.startsWith('model.')) model[name.slice('model.'.length)] = tensor;
    else if (name.startsWith('optimizer.')) {
      const [index, ...rest] = name.slice('optimizer.'.length).split('.');
      const entry = optimizerTensors.get(index) ?? {};
      entry[rest.join('.')] = tensor;
      optimizerTensors.set(index, entry);
    } else
      throw new CheckpointError(
        `${dir}/model.safetensors: unexpected tensor '${name}'; expected 'model.*' or 'optimizer.*' names`,
      );
  }
  parts.model.loadStateDict(model);

  const saved = metadata.optimizer as {
    param_groups: ParamGroupState[];
    steps: Record<string, number>;
  };
  const state: Record<number, ParamStateDict> = {};
  for (const [index, step] of Object.entries(saved.steps)) {
    state[Number(index)] = { step, ...(optimizerTensors.get(index) ?? {}) };
  }
  const sd: OptimizerStateDict = { state, param_groups: saved.param_groups };
  await parts.optimizer.loadStateDict(sd);
  if (metadata.scheduler && parts.scheduler)
    parts.scheduler.loadStateDict(metadata.scheduler as never);
  parts.trainer.precisionPlugin.loadStateDict(plugin.state ?? {});
  const rng = (metadata.moduleRng ?? {}) as Record<string, number[]>;
  for (const [name, m] of parts.model.namedModules())
    if (hasRandomState(m) && rng[name]) m.setState(rng[name]);
  Object.assign(parts.trainer.state, metadata.trainer as TrainerState);
  return metadata;
}
