import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackendRegistry, createReferenceBackend } from '@mixprec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli-io.js';
import { runCli } from '../run-cli.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tiny = ['--train-size', '48', '--val-size', '18', '--batch-size', '8', '--val-interval', '0'];

/** A short `mixprec train` run into a fresh directory: exit code, output and its metrics.json. */
async function shortTrain(...args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'mixprec-train-run-'));
  dirs.push(out);
  const run = await mixprec('train', '--steps', '2', '--out', out, ...tiny, ...args);
  const file = join(out, 'metrics.json');
  const metrics = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  return { ...run, metrics };
}

async function mixprec(...argv: string[]) {
  const io = memoryIo({});
  const registry = createBackendRegistry({ env: {} });
  registry.register('reference', createReferenceBackend, 0);
  const code = await runCli(argv, io, { registry });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('mixprec train', () => {
  it.each([
    [['--steps', '0'], "--steps '0'; expected an integer >= 1"],
    [['--steps', 'ten'], "--steps 'ten'; expected an integer >= 1"],
    [['--lr=-1'], "--lr '-1'; expected a number > 0"],
    [['--batch-size', '2.5'], "--batch-size '2.5'; expected an integer >= 1"],
    [['--precision', 'fp8'], "--precision: Precision 'fp8' is invalid; expected one of"],
    [['--optimizer', 'adafactor'], "--optimizer 'adafactor'; expected one of adamw, flash-adamw"],
    [
      ['--precision', '16-mixed', '--gradient-release'],
      "--gradient-release with precision '16-mixed'",
    ],
    [
      ['--resume', '/nonexistent/run'],
      "--resume '/nonexistent/run' has no checkpoint/checkpoint.json",
    ],
  ])('refuses %j with a clear message and exit 2', async (args, message) => {
    const { code, stderr } = await mixprec('train', ...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('    at '); // no stack trace
  });

  it('bf16-true trains with half the parameter bytes of 32-true', async () => {
    const bytes = async (precision: string) => {
      const run = await shortTrain('--precision', precision);
      expect(run.code).toBe(0);
      expect(run.metrics.config.precision).toBe(precision);
      return run.metrics.summary.lastTrain.memory.params as number;
    };
    expect(await bytes('bf16-true')).toBe((await bytes('32-true')) / 2);
  });

  it('16-mixed reports skipped steps and the loss scale', async () => {
    const run = await shortTrain('--precision', '16-mixed');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/steps +2 \(\d+ skipped\)/);
    expect(run.stdout).toMatch(/loss scale +\d+/);
  });

  it('fp16-true defaults to eps 1e-4; an explicit eps that is 0 in fp16 is warned about', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mixprec-fp16-'));
    dirs.push(root);
    const run = (...extra: string[]) =>
      mixprec('train', '--precision', 'fp16-true', '--steps', '1', ...tiny, ...extra);
    const plain = await run('--out', join(root, 'default'));
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toContain('has eps');
    const config = JSON.parse(readFileSync(join(root, 'default', 'metrics.json'), 'utf8')).config;
    expect(config.eps).toBe(1e-4);
    const flushed = await run('--eps', '1e-8', '--out', join(root, 'flushed'));
    expect(flushed.code).toBe(0);
    expect(flushed.stderr).toContain(
      'mixprec train: fp16-true: AdamW parameter group 0 has eps 1e-8, which is 0 in float16',
    );
  });

  it('bf16-flash + flash-adamw with gradient release: grads are gone after the step, state is 8-bit', async () => {
    const run = await shortTrain(
      '--precision',
      'bf16-flash',
      '--optimizer',
      'flash-adamw',
      '--gradient-release',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Summary (bf16-flash, flash-adamw)');
    const { metrics } = run;
    const memory = metrics.summary.lastTrain.memory;
    expect(memory.grads).toBe(0);
    // 2 B of bf16 weights; 2.125 B of 8-bit moments with scales plus 1 B of corrections.
    expect(memory.optimizerState / (memory.params / 2)).toBeGreaterThan(3.1);
    expect(memory.optimizerState / (memory.params / 2)).toBeLessThan(3.3);
    expect(metrics.config).toMatchObject({ optimizer: 'flash-adamw', gradientRelease: true });
  });

  it('an unknown backend is a usage error (exit 2) before any work, with a suggestion', async () => {
    const { code, stdout, stderr } = await mixprec('train', '--backend', 'refrence', ...tiny);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      "mixprec train: --backend 'refrence': no backend of that name is registered; expected 'auto' or one of reference; did you mean 'reference'?",
    );
  });

  it('trains, writes metrics and a checkpoint, and resumes to the same parameters', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mixprec-train-'));
    dirs.push(root);
    const straight = join(root, 'straight');
    const split = join(root, 'split');
    const a = await mixprec('train', '--steps', '4', '--out', straight, ...tiny);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/validation accuracy +\d+\.\d\d%/);
    expect(a.stdout).toMatch(/memory: optimizer state/);
    const metrics = JSON.parse(readFileSync(join(straight, 'metrics.json'), 'utf8'));
    expect(metrics.summary.steps).toBe(4);
    expect(metrics.history).toHaveLength(4);
    expect(existsSync(join(straight, 'checkpoint', 'model.safetensors'))).toBe(true);

    expect((await mixprec('train', '--steps', '2', '--out', split, ...tiny)).code).toBe(0);
    const resumed = await mixprec('train', '--resume', split, '--steps', '4');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('at step 2 of 4');
    const bytes = (dir: string) => readFileSync(join(dir, 'checkpoint', 'model.safetensors'));
    const sha = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'checkpoint', 'checkpoint.json'), 'utf8')).files[
        'model.safetensors'
      ].sha256;
    expect(sha(split)).toBe(sha(straight));
    expect(bytes(split).equals(bytes(straight))).toBe(true);

    const changed = await mixprec('train', '--resume', split, '--lr', '0.1');
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain("lr 0.1 differs from the run's 0.003");
  });
});
