/** Column alignment of `formatTable`. */
export type Align = 'left' | 'right';

/** Options of `formatTable`. */
export interface TableOptions {
  /** Per-column alignment; numbers default to right, everything else to left. */
  readonly align?: readonly Align[];
}

/** A cell: strings print as they are, numbers right-aligned, null/undefined as `-`. */
export type Cell = string | number | boolean | null | undefined;

const text = (cell: Cell): string => (cell === null || cell === undefined ? '-' : String(cell));

/**
 * Formats rows as a plain-text table: a header, a rule of dashes, then one line per row, columns
 * separated by two spaces, trailing spaces trimmed. Returns the lines joined by `\n`.
 *
 * ```
 * name       priority  status
 * ---------  --------  ---------
 * reference         0  available
 * ```
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  options: TableOptions = {},
): string {
  const cells = rows.map((row) => headers.map((_, i) => text(row[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const align = headers.map(
    (_, i) =>
      options.align?.[i] ??
      (rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || row[i] == null)
        ? 'right'
        : 'left'),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
