/**
 * Output in kubectl's shapes: `-o table` (aligned columns under upper-case
 * headers, three spaces apart, as `kubectl get` prints them), `-o wide` (the
 * same with more columns), `-o json` and `-o yaml` (the data, for scripts).
 * Loaded only by commands, never for `--help`: it pulls in the YAML printer.
 */
import { stringify } from 'yaml';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  /** Shown only with `-o wide`. */
  readonly wide?: boolean;
}

/** Columns padded to their widest cell; the last column is not padded (no trailing blanks). */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[], wide = false): string {
  const shown = columns.filter((c) => wide || !c.wide);
  const cells = [shown.map((c) => c.header), ...rows.map((r) => shown.map((c) => clean(c.value(r))))];
  const widths = shown.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return `${cells
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** A cell is one line: tabs and newlines would break the columns. */
function clean(cell: string): string {
  return (cell === '' ? '<none>' : cell).replace(/\s+/g, ' ');
}

/** The data as `-o json|yaml` asks, or the table for `table|wide`. */
export function render<T>(format: OutputFormat, columns: readonly Column<T>[], rows: readonly T[], data: unknown = rows): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'yaml') return stringify(data);
  return renderTable(columns, rows, format === 'wide');
}

/** Data as JSON or YAML, for commands whose text form is not a table. */
export function renderData(format: 'json' | 'yaml', data: unknown): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data);
}
