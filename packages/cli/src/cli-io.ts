/** Where a command writes and what environment it reads; tests pass their own. */
export interface CliIo {
  /** Writes one line (or several joined by `\n`) to standard output. */
  readonly out: (text: string) => void;
  /** Writes one line (or several joined by `\n`) to standard error. */
  readonly err: (text: string) => void;
  /**
   * Redraws a one-line status (a progress bar) in place; only present on a terminal. An empty
   * string clears it. Commands fall back to `err` lines without it.
   */
  readonly status?: (text: string) => void;
  /** Environment variables (`MIXPREC_BACKEND`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The real process: `process.stdout`, `process.stderr`, `process.env`. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    ...(process.stderr.isTTY
      ? { status: (text: string) => process.stderr.write(`\r\x1b[2K${text}`) }
      : {}),
    env: process.env,
  };
}

/** An in-memory `CliIo` that records what was written (for tests and embedding). */
export function memoryIo(env: Readonly<Record<string, string | undefined>> = {}): CliIo & {
  readonly stdout: () => string;
  readonly stderr: () => string;
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env,
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}
