import type {
  FitSummary,
  TrainerCallbacks,
  TrainerStateView,
  TrainStepResult,
  ValidationResult,
} from '@mixprec/core';
import type { CliIo } from '../cli-io.js';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * A progress bar for `mixprec train`: steps, loss, accuracy, throughput and ETA. On a terminal it
 * redraws one line (`io.status`); elsewhere it prints a line every 5% of the run.
 */
export function progressBar(io: CliIo, totalSteps: number): TrainerCallbacks {
  const started = performance.now();
  let firstStep: number | undefined;
  let samples = 0;
  let lossAvg: number | undefined;
  let printedAt = 0;
  const every = Math.max(1, Math.round(totalSteps / 20));
  return {
    onTrainStepEnd(result: TrainStepResult, trainer: TrainerStateView) {
      firstStep ??= result.step - 1;
      samples += result.samples;
      // Smoothed loss: a single batch's loss is too noisy to read.
      lossAvg = lossAvg === undefined ? result.loss : 0.9 * lossAvg + 0.1 * result.loss;
      const elapsed = (performance.now() - started) / 1000;
      const done = result.step - firstStep;
      const rate = samples / elapsed;
      const eta = (elapsed / done) * (trainer.maxSteps - result.step);
      const width = 24;
      const filled = Math.round((width * result.step) / trainer.maxSteps);
      const line =
        `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${result.step}/${trainer.maxSteps}` +
        ` loss ${lossAvg.toFixed(4)}` +
        (result.accuracy === undefined ? '' : ` acc ${(result.accuracy * 100).toFixed(1)}%`) +
        ` ${rate.toFixed(1)} samples/s lr ${result.lr.toExponential(2)} ETA ${duration(eta)}`;
      if (io.status) io.status(line);
      else if (result.step - printedAt >= every || result.step === trainer.maxSteps) {
        printedAt = result.step;
        io.err(line);
      }
    },
    onValidationEnd(result: ValidationResult) {
      const acc =
        result.accuracy === undefined ? '' : `, accuracy ${(result.accuracy * 100).toFixed(2)}%`;
      io.status?.('');
      io.err(
        `validation at step ${result.step}: loss ${result.loss.toFixed(4)}${acc} (${result.samples} samples)`,
      );
    },
    onFitEnd(_summary: FitSummary) {
      io.status?.('');
    },
  };
}
