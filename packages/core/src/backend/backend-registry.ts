import { BackendError } from '../errors/backend-error.js';
import type { Backend } from './backend.js';

/** Creates a backend. Called lazily, once, when the backend is first selected or probed. */
export type BackendFactory = () => Backend | Promise<Backend>;

/** What `listBackends()` reports for one registered backend. */
export interface BackendStatus {
  readonly name: string;
  readonly priority: number;
  /** `registered` = not tried yet. */
  readonly status: 'registered' | 'loading' | 'ready' | 'failed';
  /** Why it failed to load, with how to fix it. */
  readonly reason?: string;
  readonly backend?: Backend;
}

type LoadResult = { ok: true; backend: Backend } | { ok: false; reason: string };

interface Entry {
  readonly name: string;
  readonly factory: BackendFactory;
  readonly priority: number;
  initPromise?: Promise<LoadResult>;
  result?: LoadResult;
}

/** Options of a registry (tests pass their own environment and logger). */
export interface BackendRegistryOptions {
  /** Environment to read `MIXPREC_BACKEND` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where "passed over a backend" notices go (default `console.warn`). */
  readonly warn?: (message: string) => void;
}

/**
 * A set of backends by name. Factories stay lazy until selection; each entry keeps its own
 * init state, and concurrent selections share one init. Failures travel as values inside and
 * are thrown once, aggregated, at `select`.
 */
export class BackendRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly announced = new Set<string>();

  constructor(private readonly options: BackendRegistryOptions = {}) {}

  /**
   * Registers `factory` under `name`. Re-registering: the same factory is a no-op; a higher
   * priority replaces the entry (and its factory); a lower priority keeps the existing entry;
   * the same priority with a different factory throws.
   */
  register(name: string, factory: BackendFactory, priority: number): void {
    if (typeof name !== 'string' || name === '' || name === 'auto') {
      throw new BackendError(
        `registerBackend: name ${JSON.stringify(name)}; expected a non-empty string other than 'auto'`,
      );
    }
    if (!Number.isFinite(priority)) {
      throw new BackendError(
        `registerBackend('${name}'): priority ${priority}; expected a finite number (use BackendPriority)`,
      );
    }
    const existing = this.entries.get(name);
    if (existing) {
      if (existing.factory === factory && existing.priority === priority) return;
      if (priority < existing.priority) return;
      if (priority === existing.priority) {
        throw new BackendError(
          `registerBackend('${name}'): a different factory is already registered with priority ${priority}; expected a higher priority to replace it, or a different name`,
        );
      }
    }
    this.entries.set(name, { name, factory, priority });
  }

  /** Registered backends, highest priority first, with their load state. */
  list(): BackendStatus[] {
    return this.sorted().map((e) => ({
      name: e.name,
      priority: e.priority,
      status: e.result
        ? e.result.ok
          ? 'ready'
          : 'failed'
        : e.initPromise
          ? 'loading'
          : 'registered',
      ...(e.result && !e.result.ok ? { reason: e.result.reason } : {}),
      ...(e.result?.ok ? { backend: e.result.backend } : {}),
    }));
  }

  /** Tries to load every registered backend (for `mixprec backends`); never throws. */
  async probeAll(): Promise<BackendStatus[]> {
    await Promise.all(this.sorted().map((e) => this.load(e)));
    return this.list();
  }

  /**
   * Selects a backend. `'auto'` reads `MIXPREC_BACKEND` first; without it, takes the
   * highest-priority backend (priority >= 0) that loads, announcing once each one it passed
   * over, and throws an aggregated `BackendError` when none loads. A name never falls back.
   */
  async select(name = 'auto'): Promise<Backend> {
    const env = this.options.env ?? process.env;
    const fromEnv = env.MIXPREC_BACKEND?.trim();
    if (name === 'auto' && fromEnv && fromEnv !== 'auto')
      return this.selectByName(fromEnv, 'MIXPREC_BACKEND');
    if (name !== 'auto') return this.selectByName(name);

    const failures: string[] = [];
    for (const entry of this.sorted().filter((e) => e.priority >= 0)) {
      const result = await this.load(entry);
      if (result.ok) {
        for (const f of failures) this.announce(`mixprec: passed over backend ${f}`);
        return result.backend;
      }
      failures.push(`[${entry.name}] ${result.reason}`);
    }
    if (failures.length === 0) {
      throw new BackendError(
        `selectBackend('auto'): no backend is registered for automatic selection; expected at least one (register one with registerBackend)`,
      );
    }
    throw new BackendError(
      `selectBackend('auto'): no backend could be loaded: ${failures.join('; ')}`,
    );
  }

  private async selectByName(name: string, source?: string): Promise<Backend> {
    const entry = this.entries.get(name);
    const via = source ? ` (from ${source})` : '';
    if (!entry) {
      const known = this.sorted().map((e) => e.name);
      throw new BackendError(
        `selectBackend('${name}')${via}: no backend of that name is registered; expected one of ${known.length ? known.join(', ') : '(none)'}${name === 'ort' || name === 'tfjs' ? `; install and register @mixprec/backend-${name}` : ''}`,
      );
    }
    const result = await this.load(entry);
    if (!result.ok)
      throw new BackendError(
        `selectBackend('${name}')${via}: backend '${name}' could not be loaded: ${result.reason}`,
      );
    return result.backend;
  }

  private load(entry: Entry): Promise<LoadResult> {
    entry.initPromise ??= (async (): Promise<LoadResult> => {
      try {
        const backend = await entry.factory();
        return { ok: true, backend };
      } catch (error) {
        return { ok: false, reason: error instanceof Error ? error.message : String(error) };
      }
    })().then((result) => {
      entry.result = result;
      return result;
    });
    return entry.initPromise;
  }

  private announce(message: string): void {
    if (this.announced.has(message)) return;
    this.announced.add(message);
    (this.options.warn ?? console.warn)(message);
  }

  private sorted(): Entry[] {
    return [...this.entries.values()].sort((a, b) => b.priority - a.priority);
  }
}

/** A fresh, empty registry (tests use these instead of the process-wide one). */
export function createBackendRegistry(options?: BackendRegistryOptions): BackendRegistry {
  return new BackendRegistry(options);
}
