import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerOrtBackends } from '@mixprec/backend-ort';
import {
  type Backend,
  type BackendFactory,
  BackendPriority,
  createBackendRegistry,
  createReferenceBackend,
  type Storage,
} from '@mixprec/core';
import { defaultVectorsDir } from '@mixprec/core/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../cli-io.js';
import { runCli } from '../run-cli.js';
import { type ConformanceCommandOptions, conformanceCommand } from './conformance.js';

/**
 * The reference backend with one bug: every half-precision result it hands back has the
 * lowest bit of its first element flipped (one ulp off), the kind of error the suite exists
 * to catch.
 */
const offByOneUlp: BackendFactory = async () => {
  const inner = await createReferenceBackend();
  const download = async (storage: Storage) => {
    const data = await inner.download(storage);
    if (!(data instanceof Uint16Array) || data.length === 0) return data;
    const copy = data.slice();
    copy[0] ^= 1;
    return copy;
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'name') return 'off-by-one-ulp';
      if (prop === 'download') return download;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Backend;
};

async function conformance(options: Partial<ConformanceCommandOptions>) {
  const io = memoryIo({});
  const code = await conformanceCommand({ backend: 'reference', ...options }, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

async function mixprec(...argv: string[]) {
  const io = memoryIo({});
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const tmp = mkdtempSync(join(tmpdir(), 'mixprec-cli-vectors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('mixprec conformance: exit codes', () => {
  it('the reference backend passes the whole suite: exit 0, a table per group', async () => {
    const { code, stdout } = await mixprec('conformance', '--backend', 'reference');
    expect(code).toBe(0);
    expect(stdout).toContain("Conformance of backend 'reference'");
    expect(stdout).toMatch(/^group +pass +fail +skip +cases$/m);
    for (const group of ['casts', 'matmul'])
      expect(stdout).toMatch(new RegExp(`^${group} +\\d+ +0 `, 'm'));
    expect(stdout).toMatch(/^total +\d+ +0 +\d+ +\d+$/m);
    expect(stdout).not.toContain('Failures:');
    expect(stdout).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/m);
  }, 120_000);

  it('a backend one ulp off: exit 1, the failing case ids with their detail', async () => {
    const { code, stdout } = await conformance({ createBackend: offByOneUlp, only: 'casts' });
    expect(code).toBe(1);
    expect(stdout).toContain("Conformance of backend 'off-by-one-ulp'");
    expect(stdout).toMatch(/^casts +\d+ +[1-9]\d* /m);
    expect(stdout).toMatch(/^Failures:\n {2}FAIL cast\S*: \S/m);
    expect(stdout).toMatch(/^\d+ passed, [1-9]\d* failed/m);
  });

  it('a backend that does not load: exit 1 with its reason, from a fresh registry', async () => {
    const registry = createBackendRegistry({ env: {} });
    registry.register(
      'broken',
      () => {
        throw new Error('CUDA driver version is insufficient');
      },
      BackendPriority.ort,
    );
    const { code, stdout, stderr } = await conformance({ backend: 'broken', registry });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      "backend 'broken' could not be loaded: CUDA driver version is insufficient",
    );
  });

  it("'auto' quietly passes over a backend that does not load and runs on the next one", async () => {
    const registry = registerOrtBackends(createBackendRegistry({ env: {} }));
    registry.register(
      'broken',
      () => Promise.reject(new Error('no GPU')),
      BackendPriority.ort + 10,
    );
    const { code, stdout, stderr } = await conformance({
      backend: 'auto',
      registry,
      only: 'casts',
    });
    expect(code).toBe(0);
    expect(stdout).toContain("Conformance of backend 'ort'");
    expect(stderr).toBe('');
    expect(registry.list().find((s) => s.name === 'broken')?.reason).toBe('no GPU');
  });

  it('--vectors: the same suite on another directory; a wrong expected bit fails', async () => {
    const dir = join(tmp, 'vectors');
    cpSync(defaultVectorsDir(), dir, { recursive: true });
    const file = join(dir, 'casts.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      cases: { tag: string; bf16: string }[];
    };
    const zero = json.cases.find((c) => c.tag === '+0');
    expect(zero?.bf16).toBe('0000');
    if (zero) zero.bf16 = '0001';
    writeFileSync(file, JSON.stringify(json));
    const { code, stdout } = await mixprec('conformance', '--vectors', dir, '--only', 'casts');
    expect(code).toBe(1);
    expect(stdout).toContain(`(vectors: ${dir})`);
    expect(stdout).toMatch(/FAIL cast\S*f32→bf16\S*: /);
  });

  it('--json prints every result and the per-group counts', async () => {
    const { code, stdout } = await mixprec('conformance', '--only', 'matmul', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      backend: string;
      total: { pass: number; fail: number; skip: number };
      groups: { group: string }[];
      results: { id: string; status: string }[];
    };
    expect(report.backend).toBe('ort');
    expect(report.total.fail).toBe(0);
    expect(report.groups.map((g) => g.group)).toEqual(['matmul']);
    expect(report.results).toHaveLength(report.total.pass + report.total.fail + report.total.skip);
    expect(report.results.every((r) => r.id.startsWith('matmul'))).toBe(true);
  });

  it('--verbose lists every case', async () => {
    const { code, stdout } = await mixprec('conformance', '--only', 'matmul', '--verbose');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Cases:\n {2}PASS matmul\S*: /m);
  });
});

describe('mixprec conformance: usage errors exit 2', () => {
  it.each([
    [
      ['--backend', 'nope'],
      "--backend 'nope': no backend of that name is registered; expected 'auto' or one of ort-cuda, ort, reference",
    ],
    [['--vectors', '/no/such/dir'], "--vectors '/no/such/dir' is not a directory"],
    [['--only', 'no-such-group'], "--only 'no-such-group': conformance: 'only' entries"],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await mixprec('conformance', ...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });
});
