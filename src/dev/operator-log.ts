/**
 * `npm start` sends the operator's JSON log to a file and shows on the
 * terminal only what needs a person: one readable line per reconcile error
 * (and other errors). A key that keeps failing the same way is shown once,
 * and again when its message changes.
 */

interface LogRecord {
  readonly level?: string | number;
  readonly msg?: string;
  readonly controller?: string;
  readonly key?: string;
  readonly retries?: number;
  readonly err?: string | { readonly message?: string };
}

const ERROR_LEVELS = new Set(['error', 'fatal', 50, 60]);

function errorMessage(err: LogRecord['err']): string | undefined {
  if (typeof err === 'string') return err;
  return err?.message;
}

/** The one-line summary of a log line, or undefined when it is not an error (or not JSON). */
export function summarizeLogLine(line: string): { readonly id: string; readonly text: string } | undefined {
  let record: LogRecord;
  try {
    record = JSON.parse(line) as LogRecord;
  } catch {
    return undefined;
  }
  if (record === null || typeof record !== 'object' || !ERROR_LEVELS.has(record.level ?? '')) return undefined;
  // A message can run over several lines (a stack, a YAML error): the terminal gets the first.
  const cause = (errorMessage(record.err) ?? '').split('\n')[0]!.trim();
  const where = [record.controller, record.key].filter(Boolean).join(' ');
  const text = `${where ? `${where}: ` : ''}${record.msg ?? 'error'}${cause ? `: ${cause}` : ''}`;
  return { id: `${record.controller ?? ''}|${record.key ?? ''}|${record.msg ?? ''}`, text };
}

/** Feeds chunks of the log stream and calls `print` with each new summary line. */
export class OperatorLogSummary {
  private partial = '';
  private readonly lastById = new Map<string, string>();

  constructor(private readonly print: (line: string) => void) {}

  write(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const summary = summarizeLogLine(line);
      if (!summary || this.lastById.get(summary.id) === summary.text) continue;
      this.lastById.set(summary.id, summary.text);
      this.print(summary.text);
    }
  }
}
