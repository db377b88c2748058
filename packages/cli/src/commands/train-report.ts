import type { FitSummary } from '@mixprec/core';
import { formatTable } from '../format-table.js';
import type { TrainConfig } from './train-config.js';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);

/** The end-of-run summary of `mixprec train`. */
export function formatSummary(args: {
  config: TrainConfig;
  summary: FitSummary;
  seconds: number;
  out: string;
  parameters: number;
  /** The loss scale at the end (16-mixed only). */
  lossScale?: number;
}): string {
  const { summary } = args;
  const train = summary.lastTrain;
  const val = summary.lastValidation;
  const memory = train?.memory;
  const rows = [
    ['validation accuracy', pct(val?.accuracy)],
    ['validation loss', val ? val.loss.toFixed(4) : '-'],
    ['last train loss', train ? train.loss.toFixed(4) : '-'],
    ['steps', `${summary.steps} (${summary.skippedSteps} skipped)`],
    ...(args.lossScale === undefined ? [] : [['loss scale', String(args.lossScale)]]),
    ['throughput', `${summary.samplesPerSecond.toFixed(1)} samples/s`],
    ['wall time', `${args.seconds.toFixed(1)} s`],
    ['parameters', String(args.parameters)],
    ['memory: params', memory ? mib(memory.params) : '-'],
    ['memory: grads', memory ? mib(memory.grads) : '-'],
    ['memory: optimizer state', memory ? mib(memory.optimizerState) : '-'],
    ['memory: peak activations', memory ? mib(memory.peakActivations) : '-'],
    ['run directory', args.out],
  ];
  return [
    '',
    `Summary (${args.config.precision}, ${args.config.optimizer})`,
    '',
    formatTable(['metric', 'value'], rows),
  ].join('\n');
}
