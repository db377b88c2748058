import { BackendPriority, createBackendRegistry, createReferenceBackend } from '@mixprec/core';
import { describe, expect, it } from 'vitest';
import { dtypeSupport, fakeBackend } from '../__fixtures__/fake-backend.js';
import { memoryIo } from '../cli-io.js';
import { runCli } from '../run-cli.js';
import { type BackendsReport, backendsCommand } from './backends.js';

/**
 * A fresh registry: reference, a loading GPU-ish fake, a broken one and an explicit-only one
 * (not the real ort backends of KNOWN_BACKENDS: register-backends.test.ts covers those).
 */
function registry(env: Record<string, string | undefined> = {}) {
  const r = createBackendRegistry({ env });
  r.register('reference', createReferenceBackend, BackendPriority.reference);
  r.register(
    'fast',
    () =>
      fakeBackend('fast', {
        devices: ['cuda:0'],
        dtypes: dtypeSupport('native', { bfloat16: 'emulated', float64: 'unsupported' }),
        fusedOptimizers: ['adamw'],
      }),
    BackendPriority.tfjs,
  );
  r.register(
    'broken',
    () => {
      throw new Error('libonnxruntime.so.1: cannot open shared object file');
    },
    BackendPriority.ort,
  );
  r.register(
    'manual',
    () =>
      fakeBackend('manual', {
        devices: ['cpu'],
        dtypes: dtypeSupport('native'),
        fusedOptimizers: [],
      }),
    BackendPriority.explicitOnly,
  );
  return r;
}

async function backends(json: boolean, env: Record<string, string | undefined> = {}) {
  const io = memoryIo(env);
  const code = await backendsCommand({ json, registry: registry(env) }, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('mixprec backends', () => {
  it('lists every backend by priority with availability, devices and why one failed', async () => {
    const { code, stdout } = await backends(false);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(/ {2,}/);
    expect(row('broken')).toEqual(['broken', '20', 'no', '-', '-']);
    expect(row('fast')).toEqual(['fast', '10', 'yes', 'cuda:0', 'adamw']);
    expect(row('reference')?.slice(0, 3)).toEqual(['reference', '0', 'yes']);
    expect(row('manual')?.slice(0, 3)).toEqual(['manual', '-1 (by name only)', 'yes']);
    // Highest priority first.
    expect(stdout.indexOf('broken ')).toBeLessThan(stdout.indexOf('fast '));
    expect(stdout.indexOf('fast ')).toBeLessThan(stdout.indexOf('reference '));
    expect(stdout).toContain(
      'Not available:\n  broken: libonnxruntime.so.1: cannot open shared object file',
    );
  });

  it('prints per-dtype support for every loaded backend', async () => {
    const { stdout } = await backends(false);
    const row = (dtype: string) =>
      stdout
        .split('\n')
        .find((l) => l.startsWith(`${dtype} `))
        ?.split(/ {2,}/);
    expect(stdout).toMatch(/^dtype +fast +reference +manual$/m);
    expect(row('bfloat16')).toEqual(['bfloat16', 'emulated', 'native', 'native']);
    expect(row('float64')).toEqual(['float64', 'unsupported', 'native', 'native']);
    expect(row('int32')?.[1]).toBe('native');
  });

  it("says 'auto' picks the highest-priority backend that loads, never an explicit-only one", async () => {
    const { stdout } = await backends(false);
    expect(stdout).toMatch(
      /^auto: fast \(highest priority that loads; set MIXPREC_BACKEND=NAME to choose\)$/m,
    );
  });

  it('honours MIXPREC_BACKEND, even for an explicit-only backend', async () => {
    const { code, stdout } = await backends(false, { MIXPREC_BACKEND: 'manual' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^auto: manual \(chosen by MIXPREC_BACKEND=manual\)$/m);
  });

  it('exits 1 and says why when MIXPREC_BACKEND names a backend that does not load', async () => {
    const { code, stdout } = await backends(false, { MIXPREC_BACKEND: 'broken' });
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^auto: no backend selected: .*backend 'broken' could not be loaded: libonnxruntime/m,
    );
  });

  it('--json carries the same data', async () => {
    const { code, stdout } = await backends(true);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as BackendsReport;
    expect(report.auto).toEqual({ name: 'fast', via: 'priority' });
    expect(report.backends.map((b) => b.name)).toEqual(['broken', 'fast', 'reference', 'manual']);
    const broken = report.backends[0];
    expect(broken).toMatchObject({ available: false, priority: 20, devices: [], dtypes: {} });
    expect(broken?.reason).toContain('libonnxruntime');
    expect(report.backends[1]).toMatchObject({
      explicitOnly: false,
      dtypes: { bfloat16: 'emulated' },
    });
    expect(report.backends[3]?.explicitOnly).toBe(true);
  });

  it('on the process-wide registry, shows the reference backend with every dtype supported', async () => {
    const io = memoryIo({});
    await runCli(['backends', '--json'], io);
    const report = JSON.parse(io.stdout()) as BackendsReport;
    const reference = report.backends.find((b) => b.name === 'reference');
    expect(reference?.available).toBe(true);
    expect(Object.values(reference?.dtypes ?? {})).not.toContain('unsupported');
    expect(Object.keys(reference?.dtypes ?? {})).toHaveLength(9);
  });
});
