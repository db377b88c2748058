#!/usr/bin/env node
// Precision modes on the built-in task (issue 4): `mixprec train --precision X` with the
// defaults, on the reference backend, one full run per mode in this process. Reports the
// final validation accuracy and loss, end-to-end samples/s, memory by category (read from
// the backend's storages at the last step) and the parameter bytes against 32-true.
// Imports the built packages (run `pnpm build` first).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MiB = 2 ** 20;

/** @returns {Promise<object[]>} rows */
export async function benchPrecision({ modes, args = [] } = {}) {
  const core = await import('../../packages/core/dist/index.js');
  const cli = await import('../../packages/cli/dist/index.js');
  const { PRECISIONS } = await import('../../packages/precision/dist/index.js');
  const root = mkdtempSync(join(tmpdir(), 'mixprec-bench-precision-'));
  const rows = [];
  try {
    for (const mode of modes ?? Object.keys(PRECISIONS)) {
      const io = cli.memoryIo({});
      const registry = core.createBackendRegistry({ env: {} });
      registry.register('reference', core.createReferenceBackend, 0);
      const out = join(root, mode);
      const code = await cli.runCli(
        ['train', '--precision', mode, '--backend', 'reference', '--out', out, ...args],
        io,
        { registry },
      );
      if (code !== 0)
        throw new Error(`mixprec train --precision ${mode} exited ${code}: ${io.stderr()}`);
      const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
      const mem = m.summary.lastTrain.memory;
      const last = m.summary.lastValidation;
      rows.push({
        mode,
        steps: m.summary.steps,
        skipped: m.summary.skippedSteps ?? 0,
        lr: m.config.lr,
        eps: m.config.eps,
        val_acc_pct: last ? 100 * last.accuracy : null,
        val_loss: last ? last.loss : null,
        samples_per_s: m.summary.samplesPerSecond,
        seconds: m.seconds,
        params_MiB: mem.params / MiB,
        grads_MiB: mem.grads / MiB,
        optimizer_MiB: mem.optimizerState / MiB,
        activations_peak_MiB: mem.peakActivations / MiB,
        loss_scale: m.lossScale ?? null,
      });
      console.error(`  ${mode}: ${JSON.stringify(rows.at(-1))}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const base = rows.find((r) => r.mode === '32-true');
  for (const r of rows) {
    r.params_vs_32true = base ? r.params_MiB / base.params_MiB : null;
    r.samples_per_s_vs_32true = base ? r.samples_per_s / base.samples_per_s : null;
  }
  return rows;
}
