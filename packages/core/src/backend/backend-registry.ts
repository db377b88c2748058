import { BackendError } from '../errors/backend-error.js';
import { didYouMean } from '../util/did-you-mean.js';
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
  readonly source?: string;
  initPromise?: Promise<LoadResult>;
  result?: LoadResult;
}

/** Options of a registry (tests pass their own environment). */
export interface BackendRegistryOptions {
  /** Environment to read `MIXPREC_BACKEND` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Options of `register` / `registerBackend`. */
export interface RegisterBackendOptions {
  /**
   * Who registers (a package name such as `'@mixprec/backend-ort'`). Registering a name again
   * from the same source is a no-op, so the ESM and CommonJS copies of one backend package,
   * each with its own factory functions, can both register on import.
   */
  readonly source?: string;
}

/**
 * Packages that provide backends, by name prefix: named in the error for an unregistered
 * name, since the usual cause is a backend package that is not installed or not imported.
 * Strings only: core imports no backend.
 */
const BACKEND_PACKAGES: readonly (readonly [prefix: string, pkg: string])[] = [
  ['ort', '@mixprec/backend-ort'],
  ['tfjs', '@mixprec/backend-tfjs'],
];

/**
 * A set of backends by name. Factories stay lazy until selection; each entry keeps its own
 * init state, and concurrent selections share one init. Failures travel as values inside and
 * are thrown once, aggregated, at `select`.
 */
export class BackendRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: BackendRegistryOptions = {}) {}

  /**
   * Registers `factory` under `name`; nothing is loaded until the backend is selected or
   * probed. Re-registering: the same factory, or the same `options.source`, is a no-op; a
   * higher priority replaces the entry (and its factory); a lower priority keeps the existing
   * entry; the same priority with a different factory throws.
   */
  register(
    name: string,
    factory: BackendFactory,
    priority: number,
    options: RegisterBackendOptions = {},
  ): void {
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
    if (typeof factory !== 'function') {
      throw new BackendError(
        `registerBackend('${name}'): factory is ${factory === null ? 'null' : typeof factory}; expected a function returning a Backend (or a promise of one)`,
      );
    }
    const source = options.source;
    const existing = this.entries.get(name);
    if (existing) {
      if (source !== undefined && existing.source === source) return;
      if (existing.factory === factory && existing.priority === priority) return;
      if (priority < existing.priority) return;
      if (priority === existing.priority) {
        throw new BackendError(
          `registerBackend('${name}'): a different factory is already registered with priority ${priority}; expected a higher priority to replace it, or a different name`,
        );
      }
    }
    this.entries.set(name, {
      name,
      factory,
      priority,
      ...(source !== undefined ? { source } : {}),
    });
  }

  /** Registered names, highest priority first. */
  names(): string[] {
    return this.sorted().map((e) => e.name);
  }

  /**
   * The factory registered under `name` (undefined when none is): for callers that need fresh
   * instances rather than the registry's shared one, such as the conformance suite.
   */
  factoryOf(name: string): BackendFactory | undefined {
    return this.entries.get(name)?.factory;
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
   * highest-priority backend (priority >= 0) that loads, quietly: why the others did not load
   * is kept for `list()` (what `mixprec backends` shows), and all the reasons are thrown,
   * aggregated in one `BackendError`, only when none loads. A name never falls back.
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
      if (result.ok) return result.backend;
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
    if (!entry)
      throw new BackendError(`selectBackend('${name}')${via}: ${this.unknownNameMessage(name)}`);
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

  /**
   * Why `name` is not a backend of this registry: what is registered, and the closest name or
   * the package that provides backends of that name.
   */
  unknownNameMessage(name: string): string {
    const known = this.names();
    // The package hint only while none of that package's backends is registered: once it is
    // imported, an unknown 'ort-…' name is a typo or a backend it does not have.
    const pkg = BACKEND_PACKAGES.find(
      ([prefix]) => name.startsWith(prefix) && !known.some((k) => k.startsWith(prefix)),
    )?.[1];
    const hint = pkg
      ? `; '${name}' comes with ${pkg}: install it and import it once (import '${pkg}'), which registers its backends`
      : didYouMean(name, known);
    return `no backend of that name is registered; expected 'auto' or one of ${known.length ? known.join(', ') : '(none)'}${hint}`;
  }

  private sorted(): Entry[] {
    return [...this.entries.values()].sort((a, b) => b.priority - a.priority);
  }
}

/** A fresh, empty registry (tests use these instead of the process-wide one). */
export function createBackendRegistry(options?: BackendRegistryOptions): BackendRegistry {
  return new BackendRegistry(options);
}
