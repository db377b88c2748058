import { type BackendRegistry, DTYPE_NAMES, type DType, type DTypeSupport } from '@mixprec/core';
import type { CliIo } from '../cli-io.js';
import { formatTable } from '../format-table.js';
import { cliRegistry } from '../select-backend.js';

/** Options of `mixprec backends`. */
export interface BackendsOptions {
  /** Print the report as JSON instead of tables. */
  readonly json?: boolean;
  /** Registry to report on (default: the process-wide one, where imported backend packages registered). */
  readonly registry?: BackendRegistry;
}

/** One registered backend, as `mixprec backends` reports it. */
export interface BackendReport {
  readonly name: string;
  readonly priority: number;
  /** A negative priority: `'auto'` never picks it, only its name or `MIXPREC_BACKEND` does. */
  readonly explicitOnly: boolean;
  readonly available: boolean;
  /** Why it did not load (only when not available). */
  readonly reason?: string;
  /** Devices, per-dtype support and fused optimizers from its capabilities (empty when not available). */
  readonly devices: readonly string[];
  readonly dtypes: Readonly<Partial<Record<DType, DTypeSupport>>>;
  readonly fusedOptimizers: readonly string[];
}

/** What `selectBackend('auto')` picks in this environment. */
export interface AutoReport {
  /** The backend `'auto'` selects, or null when selection fails. */
  readonly name: string | null;
  /** `MIXPREC_BACKEND` when that variable chose it, else `priority`. */
  readonly via: 'MIXPREC_BACKEND' | 'priority';
  /** The selection error, when `'auto'` selects nothing. */
  readonly error?: string;
}

/** The whole report of `mixprec backends`. */
export interface BackendsReport {
  readonly backends: readonly BackendReport[];
  readonly auto: AutoReport;
}

/**
 * Loads every registered backend (never throws) and asks the registry what `'auto'` would pick,
 * so the answer honours `MIXPREC_BACKEND` exactly as `selectBackend` does. `env` is only used to
 * say whether `MIXPREC_BACKEND` made the choice.
 */
export async function collectBackends(
  registry: BackendRegistry,
  env: CliIo['env'] = process.env,
): Promise<BackendsReport> {
  const statuses = await registry.probeAll();
  const backends = statuses.map((s): BackendReport => {
    const caps = s.backend?.capabilities;
    return {
      name: s.name,
      priority: s.priority,
      explicitOnly: s.priority < 0,
      available: s.status === 'ready',
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      devices: caps?.devices ?? [],
      dtypes: caps?.dtypes ?? {},
      fusedOptimizers: caps?.fusedOptimizers ?? [],
    };
  });
  const fromEnv = env.MIXPREC_BACKEND?.trim();
  const via = fromEnv && fromEnv !== 'auto' ? 'MIXPREC_BACKEND' : 'priority';
  let auto: AutoReport;
  try {
    auto = { name: (await registry.select('auto')).name, via };
  } catch (error) {
    auto = { name: null, via, error: error instanceof Error ? error.message : String(error) };
  }
  return { backends, auto };
}

/** Renders the report as the tables `mixprec backends` prints. */
export function formatBackendsReport(report: BackendsReport, env: CliIo['env'] = {}): string {
  const { backends, auto } = report;
  const parts: string[] = [];
  parts.push(
    'Registered backends (highest priority first):',
    '',
    formatTable(
      ['name', 'priority', 'available', 'devices', 'fused optimizers'],
      backends.map((b) => [
        b.name,
        b.explicitOnly ? `${b.priority} (by name only)` : b.priority,
        b.available ? 'yes' : 'no',
        b.devices.join(', ') || '-',
        b.fusedOptimizers.join(', ') || '-',
      ]),
      { align: ['left', 'right', 'left', 'left', 'left'] },
    ),
  );
  const failed = backends.filter((b) => !b.available);
  if (failed.length > 0) {
    parts.push('', 'Not available:', ...failed.map((b) => `  ${b.name}: ${b.reason ?? 'unknown'}`));
  }
  const loaded = backends.filter((b) => b.available);
  if (loaded.length > 0) {
    parts.push(
      '',
      'Dtype support (native = stored in its own format; emulated = exact values in a wider container):',
      '',
      formatTable(
        ['dtype', ...loaded.map((b) => b.name)],
        DTYPE_NAMES.map((dtype) => [dtype, ...loaded.map((b) => b.dtypes[dtype] ?? 'unsupported')]),
      ),
    );
  }
  parts.push('', formatAuto(auto, env));
  return parts.join('\n');
}

function formatAuto(auto: AutoReport, env: CliIo['env']): string {
  if (auto.name === null) return `auto: no backend selected: ${auto.error ?? 'unknown error'}`;
  if (auto.via === 'MIXPREC_BACKEND') {
    return `auto: ${auto.name} (chosen by MIXPREC_BACKEND=${env.MIXPREC_BACKEND?.trim() ?? auto.name})`;
  }
  return `auto: ${auto.name} (highest priority that loads; set MIXPREC_BACKEND=NAME to choose)`;
}

/**
 * `mixprec backends [--json]`: every registered backend with its priority, whether it loads (and
 * why not), devices and per-dtype support, and which backend `'auto'` picks. Exit code 0, or 1
 * when `'auto'` can select no backend.
 */
export async function backendsCommand(options: BackendsOptions, io: CliIo): Promise<number> {
  const registry = cliRegistry(options.registry);
  const report = await collectBackends(registry, io.env);
  io.out(options.json ? JSON.stringify(report, null, 2) : formatBackendsReport(report, io.env));
  return report.auto.name === null ? 1 : 0;
}
