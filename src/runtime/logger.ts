import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The operator's JSON logger (stdout). Level from CANOPY_LOG_LEVEL, default
 * info. Controllers log through children carrying `controller`, `key` and a
 * `reconcileID`, so one reconcile's lines can be grepped together.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'canopy',
    level: options.level ?? process.env.CANOPY_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A logger that drops everything (tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
