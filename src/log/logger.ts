import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Structured JSON logs on stdout (pino). Nothing is logged per request at `info`: request
 * failures that are the tracker's fault log at `error` with a stable `code`.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { name: 'shoal' } });
}
