import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  arange,
  type Backend,
  BackendError,
  type BackendRegistry,
  CORE_VERSION,
  CosineAnnealing,
  crossEntropy,
  enableGradientRelease,
  type FitSummary,
  loadTrainerCheckpoint,
  MixprecError,
  type Module,
  type PrecisionPlugin,
  type StepOutput,
  saveTrainerCheckpoint,
  type Tensor,
  Trainer,
  type TrainerCheckpointParts,
  type TrainStepResult,
  type ValidationResult,
} from '@mixprec/core';
import { PRECISIONS, precisionMode } from '@mixprec/precision';
import type { CliIo } from '../cli-io.js';
import { cliRegistry, selectCliBackend } from '../select-backend.js';
import type { AudioDataset } from '../task/audio-dataset.js';
import {
  type AudioBatch,
  CLASS_NAMES,
  createAudioDataset,
  createDefaultModel,
} from '../task/index.js';
import { UsageError } from '../usage-error.js';
import {
  parseNumberFlag,
  parseOptimizerFlag,
  parsePrecisionFlag,
  TRAIN_DEFAULTS,
  type TrainConfig,
  trainDefaultsFor,
} from './train-config.js';
import type { TrainFlags } from './train-flags.js';
import { TRAIN_OPTIMIZERS } from './train-optimizers.js';
import { precisionPluginFor } from './train-precision.js';
import { progressBar } from './train-progress.js';
import { formatSummary } from './train-report.js';

export type { TrainFlags } from './train-flags.js';

/** Options of `trainCommand` beyond the flags. */
export interface TrainCommandDeps {
  readonly registry?: BackendRegistry;
  /** Clock for the default run-directory name (tests pin it). */
  readonly now?: () => Date;
}

const CHECKPOINT_DIR = 'checkpoint';

/**
 * The run's config: flags over `base`. For a new run (`base` = the defaults), the precision's
 * own defaults (`PRECISION_TRAIN_DEFAULTS`) apply first; on resume `base` is the saved config.
 */
function configFromFlags(
  flags: TrainFlags,
  saved: TrainConfig | undefined,
  warn: (m: string) => void,
): TrainConfig {
  const int = (flag: string, v: string | undefined, fallback: number, min: number) =>
    v === undefined ? fallback : parseNumberFlag(flag, v, { integer: true, min });
  const precision =
    flags.precision === undefined
      ? (saved ?? TRAIN_DEFAULTS).precision
      : parsePrecisionFlag(flags.precision, warn);
  const optimizer =
    flags.optimizer === undefined
      ? (saved ?? TRAIN_DEFAULTS).optimizer
      : parseOptimizerFlag(flags.optimizer);
  const base = saved ?? trainDefaultsFor(precision, optimizer);
  const config: TrainConfig = {
    ...base,
    precision,
    optimizer,
    backend: flags.backend ?? base.backend,
    steps: int('steps', flags.steps, base.steps, 1),
    batchSize: int('batch-size', flags.batchSize, base.batchSize, 1),
    lr:
      flags.lr === undefined
        ? base.lr
        : parseNumberFlag('lr', flags.lr, { min: 0, exclusiveMin: true }),
    eps:
      flags.eps === undefined
        ? base.eps
        : parseNumberFlag('eps', flags.eps, { min: 0, exclusiveMin: true }),
    seed: int('seed', flags.seed, base.seed, 0),
    trainSize: int('train-size', flags.trainSize, base.trainSize, 1),
    valSize: int('val-size', flags.valSize, base.valSize, 1),
    valInterval: int('val-interval', flags.valInterval, base.valInterval, 0),
    gradientRelease: flags.gradientRelease ?? base.gradientRelease ?? false,
  };
  // Checked here too (core refuses it at the first step) so the usage error comes before any work.
  if (config.gradientRelease && precisionMode(config.precision)?.lossScaling) {
    throw new UsageError(
      `mixprec train: --gradient-release with precision '${config.precision}'; loss scaling must see every gradient before any update, expected a precision without loss scaling (${Object.entries(
        PRECISIONS,
      )
        .filter(([, mode]) => !mode.lossScaling)
        .map(([name]) => name)
        .join(', ')})`,
    );
  }
  return config;
}

/** On resume the run's own config wins; only `--steps` (and the output) may change. */
function resumeConfig(dir: string, flags: TrainFlags, warn: (m: string) => void): TrainConfig {
  const file = join(dir, CHECKPOINT_DIR, 'checkpoint.json');
  if (!existsSync(file)) {
    throw new UsageError(
      `mixprec train: --resume '${dir}' has no ${CHECKPOINT_DIR}/checkpoint.json; expected a run directory written by mixprec train`,
    );
  }
  const saved = (JSON.parse(readFileSync(file, 'utf8')) as { config?: TrainConfig }).config;
  if (saved?.task !== 'builtin-audio') {
    throw new UsageError(
      `mixprec train: ${file} holds no built-in-task config; expected a run directory written by mixprec train`,
    );
  }
  const merged = configFromFlags(flags, saved, warn);
  for (const key of Object.keys(saved) as (keyof TrainConfig)[]) {
    if (key !== 'steps' && key !== 'backend' && merged[key] !== saved[key]) {
      throw new UsageError(
        `mixprec train: --resume: ${key} ${JSON.stringify(merged[key])} differs from the run's ${JSON.stringify(saved[key])}; drop the flag (only --steps, --backend and --out may change on resume)`,
      );
    }
  }
  return merged;
}

/** Counts argmax(logits) == label without an argmax op: one-hot of the row max times one-hot labels. */
function correctCount(logits: Tensor, labels: Tensor): Tensor {
  // arange is a source node computed in the graph: nothing to upload each step.
  const classes = arange(logits.shape[1]);
  const isMax = logits.eq(logits.max(1, true)).cast('float32');
  return isMax.mul(labels.reshape([-1, 1]).eq(classes).cast('float32')).sum();
}

const step = (model: Module, batch: AudioBatch): StepOutput => {
  const logits = model.forward(batch.audio) as Tensor;
  return {
    loss: crossEntropy(logits, batch.labels),
    correct: correctCount(logits, batch.labels),
    count: batch.labels.shape[0],
  };
};

function defaultOutDir(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `train-${stamp}`);
}

/**
 * `mixprec train`: trains the default model on the built-in audio task, prints a progress bar
 * and a summary, and writes `<out>/metrics.json` and `<out>/checkpoint/`. Exit code 0 on
 * success, 1 when the run cannot start or fails (backend, checkpoint), 2 for bad flags.
 */
export async function trainCommand(
  flags: TrainFlags,
  io: CliIo,
  deps: TrainCommandDeps = {},
): Promise<number> {
  const warn = (message: string) => io.err(`mixprec train: ${message}`);
  const config = flags.resume
    ? resumeConfig(flags.resume, flags, warn)
    : configFromFlags(flags, undefined, warn);
  const out = resolve(
    flags.out ?? flags.resume ?? defaultOutDir((deps.now ?? (() => new Date()))()),
  );
  const registry = cliRegistry(deps.registry);
  let backend: Backend;
  try {
    backend = await selectCliBackend('train', config.backend, registry, io.env);
  } catch (error) {
    if (!BackendError.isInstance(error)) throw error;
    io.err(`mixprec train: ${error.message}`);
    return 1;
  }

  const started = performance.now();
  const plan = planTrainRun(config, backend, io, warn);
  try {
    if (flags.resume) {
      await loadTrainerCheckpoint(join(flags.resume, CHECKPOINT_DIR), plan.parts);
      io.err(
        `resuming ${flags.resume} at step ${plan.trainer.state.globalStep} of ${config.steps}`,
      );
    }
  } catch (error) {
    // CheckpointError and the state-dict mismatch errors are all MixprecErrors; others are bugs.
    if (!MixprecError.isInstance(error)) throw error;
    io.err(`mixprec train: cannot resume: ${error.message}`);
    return 1;
  }
  io.err(
    `mixprec train: built-in audio task (${CLASS_NAMES.length} classes, ${config.trainSize} train / ${config.valSize} val clips), ` +
      `${plan.model.numParameters()} parameters, precision ${config.precision}, optimizer ${config.optimizer}, backend ${backend.name}, ${config.steps} steps of ${config.batchSize}`,
  );
  const summary = await runTrainPlan(plan, config);
  mkdirSync(out, { recursive: true });
  await saveTrainerCheckpoint(join(out, CHECKPOINT_DIR), plan.parts);
  const seconds = (performance.now() - started) / 1000;
  reportTrainRun({ plan, config, backend, summary, seconds, out, json: flags.json === true }, io);
  return 0;
}

/** Everything a `mixprec train` run is made of, built in the order the pieces need. */
interface TrainPlan {
  readonly train: AudioDataset;
  readonly val: AudioDataset;
  readonly precision: PrecisionPlugin;
  readonly model: Module;
  readonly trainer: Trainer;
  /** What the checkpoint holds (`saveTrainerCheckpoint` parts). */
  readonly parts: TrainerCheckpointParts & { readonly config: TrainConfig };
  readonly history: TrainStepResult[];
  readonly validations: ValidationResult[];
}

/** Builds data, precision plugin, model, optimizer, scheduler and trainer for `config`. */
function planTrainRun(
  config: TrainConfig,
  backend: Backend,
  io: CliIo,
  warn: (message: string) => void,
): TrainPlan {
  const train = createAudioDataset({
    seed: config.seed,
    size: config.trainSize,
    split: 'train',
    cache: true,
  });
  const val = createAudioDataset({
    seed: config.seed,
    size: config.valSize,
    split: 'val',
    cache: true,
  });
  // The fp32 feature front end stays fp32 in every mode; the audio key stays fp32 in the
  // audio-aware modes (HalfPrecisionForAudio, FlashPrecision).
  const precision = precisionPluginFor(config.precision, warn);
  // Converted before the optimizer sees the parameters (a flash optimizer picks its master
  // weights from their dtype); the trainer's own conversion is then a no-op.
  const model = precision.convertModule(
    precision.moduleInitContext(() =>
      createDefaultModel({ numClasses: CLASS_NAMES.length, seed: config.seed }),
    ),
  );
  const params = model.parameters();
  const optimizer = TRAIN_OPTIMIZERS[config.optimizer].create(params, {
    config,
    masterWeightBits: params.some((p) => p.dtype === 'bfloat16' || p.dtype === 'float16')
      ? 24
      : null,
    warn,
  });
  if (config.gradientRelease) enableGradientRelease(model, optimizer, { warn });
  const scheduler = new CosineAnnealing(optimizer, {
    tMax: config.steps,
    warmupSteps: config.warmupSteps,
    etaMin: config.lr * 0.05,
  });
  const history: TrainStepResult[] = [];
  const validations: ValidationResult[] = [];
  const trainer = new Trainer({
    backend,
    precision,
    maxSteps: config.steps,
    valCheckInterval: config.valInterval,
    scheduler,
    callbacks: [
      progressBar(io, config.steps),
      { onTrainStepEnd: (r) => history.push(r), onValidationEnd: (r) => validations.push(r) },
    ],
  });
  const parts = { trainer, model, optimizer, scheduler, config };
  return { train, val, precision, model, trainer, parts, history, validations };
}

/** Trains `plan` to `config.steps` with the built-in task's batches. */
function runTrainPlan(plan: TrainPlan, config: TrainConfig): Promise<FitSummary> {
  const { train, val } = plan;
  return plan.trainer.fit({
    model: plan.model,
    optimizer: plan.parts.optimizer,
    step,
    trainData: (epoch) =>
      train.batches(config.batchSize, {
        shuffle: true,
        epochSeed: config.seed * 100_003 + epoch,
        dropLast: true,
      }),
    valData: () => val.batches(config.batchSize, { shuffle: false }),
  });
}

/** Writes `<out>/metrics.json` and prints the summary (a table, or JSON with `json`). */
function reportTrainRun(
  run: {
    readonly plan: TrainPlan;
    readonly config: TrainConfig;
    readonly backend: Backend;
    readonly summary: FitSummary;
    readonly seconds: number;
    readonly out: string;
    readonly json: boolean;
  },
  io: CliIo,
): void {
  const { plan, config, backend, summary, seconds, out } = run;
  const lossScale = plan.precision.lossScale;
  const metrics = {
    config,
    versions: { '@mixprec/core': CORE_VERSION },
    backend: backend.name,
    lossScale,
    seconds,
    summary,
    validations: plan.validations,
    history: plan.history,
  };
  writeFileSync(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  if (run.json)
    io.out(JSON.stringify({ config, backend: backend.name, seconds, summary }, null, 2));
  else
    io.out(
      formatSummary({
        config,
        summary,
        seconds,
        out,
        parameters: plan.model.numParameters(),
        lossScale,
      }),
    );
}
