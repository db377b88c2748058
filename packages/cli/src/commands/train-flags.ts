import { PRECISIONS } from '@mixprec/precision';
import type { CamelFlags, FlagSpecs } from '../parse-command-args.js';
import { PRECISION_TRAIN_DEFAULTS, TRAIN_DEFAULTS } from './train-config.js';
import { TRAIN_OPTIMIZERS } from './train-optimizers.js';

/** The flags of `mixprec train`: they drive parsing, help text, errors and `TrainFlags`. */
export const TRAIN_FLAG_SPECS = {
  precision: {
    type: 'string',
    value: 'MODE',
    help: `precision mode: ${Object.keys(PRECISIONS).join(', ')} or an alias (default ${TRAIN_DEFAULTS.precision})`,
  },
  optimizer: {
    type: 'string',
    value: 'NAME',
    help: `${Object.keys(TRAIN_OPTIMIZERS).join(', ')} (default ${TRAIN_DEFAULTS.optimizer}; flash ones keep 8-bit moments and, for half parameters, 24-bit master weights)`,
  },
  backend: { type: 'string', value: 'NAME', help: "backend name or 'auto' (default: auto)" },
  steps: {
    type: 'string',
    value: 'N',
    help: `optimizer steps (default ${TRAIN_DEFAULTS.steps})`,
  },
  'batch-size': {
    type: 'string',
    value: 'N',
    help: `clips per step (default ${TRAIN_DEFAULTS.batchSize})`,
  },
  lr: {
    type: 'string',
    value: 'LR',
    help: `peak learning rate of AdamW with warm-up + cosine decay (default ${TRAIN_DEFAULTS.lr})`,
  },
  eps: {
    type: 'string',
    value: 'EPS',
    help: `AdamW eps (default ${TRAIN_DEFAULTS.eps}; ${Object.entries(PRECISION_TRAIN_DEFAULTS)
      .filter(([, d]) => d.eps !== undefined)
      .map(([mode, d]) => `${d.eps} for ${mode}`)
      .join(', ')}, where 1e-8 is 0 in fp16)`,
  },
  seed: {
    type: 'string',
    value: 'N',
    help: `seed of data, model init and order (default ${TRAIN_DEFAULTS.seed})`,
  },
  out: {
    type: 'string',
    value: 'DIR',
    help: 'run directory (default runs/train-<time>; with --resume, that directory)',
  },
  resume: { type: 'string', value: 'DIR', help: 'continue the run in DIR from its checkpoint' },
  'train-size': {
    type: 'string',
    value: 'N',
    help: `training clips (default ${TRAIN_DEFAULTS.trainSize})`,
  },
  'val-size': {
    type: 'string',
    value: 'N',
    help: `validation clips (default ${TRAIN_DEFAULTS.valSize})`,
  },
  'val-interval': {
    type: 'string',
    value: 'N',
    help: `validate every N steps, 0 = only at the end (default ${TRAIN_DEFAULTS.valInterval})`,
  },
  'gradient-release': {
    type: 'boolean',
    help: 'update each parameter during backward and free its gradient at once (not with 16-mixed)',
  },
  json: { type: 'boolean', help: 'print the summary as JSON' },
} as const satisfies FlagSpecs;

/** Raw `mixprec train` flags (strings as typed), camelCase: derived from `TRAIN_FLAG_SPECS`. */
export type TrainFlags = CamelFlags<typeof TRAIN_FLAG_SPECS>;
