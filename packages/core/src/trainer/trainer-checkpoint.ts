import { assertJsonData } from '../checkpoint/assert-json-data.js';
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
import {
  checkOptions,
  describeValue,
  type OptionCheck,
  optionSpec,
} from '../util/check-option-keys.js';
import { CORE_VERSION } from '../version.js';
import type { Trainer } from './trainer.js';
import type { SchedulerLike, TrainerState } from './trainer-types.js';

/**
 * The pieces of a run a checkpoint captures; pass the same kind of object to
 * `saveTrainerCheckpoint` and `loadTrainerCheckpoint`. Any other key is refused.
 */
export interface TrainerCheckpointParts {
  /**
   * Required. The `Trainer` of the run: its position (`state`: global step, epoch, batch in
   * epoch) and its precision plugin (precision string and state, e.g. the loss scale) are
   * saved; on load the precision must match and the position is restored into it.
   */
  readonly trainer: Trainer;
  /**
   * Required. The model: parameters and persistent buffers (`model.<name>` tensors) and the
   * RNG streams of modules that have one (`Dropout`).
   */
  readonly model: Module;
  /**
   * Required. The optimizer: state tensors (`optimizer.<index>.<name>`), per-parameter step
   * counts and param groups.
   */
  readonly optimizer: Optimizer;
  /**
   * The LR scheduler, if the run has one (its `stateDict()`). Save and load must agree: loading
   * a checkpoint that holds scheduler state without this part, or with it from a checkpoint
   * saved without one, is refused.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * The run's configuration (JSON data), stored in `checkpoint.json` for reference. Load does
   * not read it: compare the returned metadata's `config` yourself if resuming needs the same.
   */
  readonly config?: unknown;
}

const hasMethods =
  (...names: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'object' &&
    v !== null &&
    names.every((n) => typeof (v as Record<string, unknown>)[n] === 'function');

/** What each part must be (duck-typed: another copy of core has other classes). */
const PART_KINDS: Readonly<Record<keyof TrainerCheckpointParts, OptionCheck>> = {
  trainer: {
    expected: "the run's Trainer (its state and precisionPlugin are saved)",
    test: (v) =>
      typeof (v as Trainer | null)?.state?.globalStep === 'number' &&
      hasMethods('stateDict', 'loadStateDict')((v as Trainer).precisionPlugin),
  },
  model: {
    expected: 'a Module (stateDict, loadStateDict, namedModules)',
    test: hasMethods('stateDict', 'loadStateDict', 'namedModules'),
  },
  optimizer: {
    expected: 'an Optimizer (stateDict, loadStateDict, paramGroups)',
    test: (v) =>
      hasMethods('stateDict', 'loadStateDict')(v) && Array.isArray((v as Optimizer).paramGroups),
  },
  scheduler: {
    expected: 'an LR scheduler (step, stateDict, loadStateDict)',
    test: hasMethods('step', 'stateDict', 'loadStateDict'),
  },
  config: { expected: 'JSON data', test: () => true },
};

const PARTS = optionSpec<TrainerCheckpointParts>(PART_KINDS);
const REQUIRED = ['trainer', 'model', 'optimizer'] as const;
const asCheckpointError = (message: string) => new CheckpointError(message);

/**
 * Checks `dir` and `parts` before anything is read or written.
 * @throws CheckpointError naming the part and what was expected.
 */
function checkParts(where: string, dir: unknown, parts: TrainerCheckpointParts): void {
  if (typeof dir !== 'string' || dir === '') {
    throw new CheckpointError(
      `${where}: dir is ${describeValue(dir)}; expected the checkpoint directory's path`,
    );
  }
  if (parts === undefined) {
    throw new CheckpointError(
      `${where}: parts is undefined; expected { trainer, model, optimizer, scheduler?, config? }`,
    );
  }
  checkOptions(where, parts, PARTS, {
    noun: 'part',
    subject: 'parts',
    makeError: asCheckpointError,
    required: REQUIRED,
  });
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
 * Writes a resumable checkpoint of a run into `dir`. `parts` (see `TrainerCheckpointParts`):
 * `trainer`, `model` and `optimizer` are required; `scheduler` and `config` are optional.
 * Saves model parameters and buffers (`model.<name>`), optimizer state tensors
 * (`optimizer.<index>.<name>`) and, in `checkpoint.json`, the trainer position, optimizer
 * groups and step counts, scheduler, precision plugin and module RNG states, the config and
 * the core version. Resuming from it continues bit-identically.
 * @throws CheckpointError for a missing, unknown or wrong part, or a non-JSON `config`, before
 *   anything is written.
 */
export async function saveTrainerCheckpoint(
  dir: string,
  parts: TrainerCheckpointParts,
): Promise<void> {
  checkParts('saveTrainerCheckpoint', dir, parts);
  if (parts.config !== undefined)
    assertJsonData(parts.config, 'config', `saveTrainerCheckpoint(${JSON.stringify(dir)})`);
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

/**
 * Restores everything `saveTrainerCheckpoint` wrote into `parts` (see `TrainerCheckpointParts`:
 * `trainer`, `model` and `optimizer` are required, `scheduler` exactly when the checkpoint was
 * saved with one); returns the checkpoint metadata (with the saved `config`).
 * @throws CheckpointError for a missing, unknown or wrong part (before reading anything), or a
 *   checkpoint that is corrupt or does not fit the parts.
 */
export async function loadTrainerCheckpoint(
  dir: string,
  parts: TrainerCheckpointParts,
): Promise<CheckpointMetadata> {
  checkParts('loadTrainerCheckpoint', dir, parts);
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
  const savedScheduler = metadata.scheduler !== undefined && metadata.scheduler !== null;
  if (savedScheduler && parts.scheduler === undefined) {
    throw new CheckpointError(
      `${file}: holds LR scheduler state but no 'scheduler' part was given; expected the run's scheduler (without it the schedule would restart from the base rate)`,
    );
  }
  if (!savedScheduler && parts.scheduler !== undefined) {
    throw new CheckpointError(
      `${file}: holds no LR scheduler state (saved without a 'scheduler' part) but a 'scheduler' part was given; expected no scheduler, or a checkpoint saved with one`,
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
  if (savedScheduler) parts.scheduler?.loadStateDict(metadata.scheduler as never);
  parts.trainer.precisionPlugin.loadStateDict(plugin.state ?? {});
  const rng = (metadata.moduleRng ?? {}) as Record<string, number[]>;
  for (const [name, m] of parts.model.namedModules())
    if (hasRandomState(m) && rng[name]) m.setState(rng[name]);
  Object.assign(parts.trainer.state, metadata.trainer as TrainerState);
  return metadata;
}
