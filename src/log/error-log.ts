import { errorCode } from '../bittorrent/errors.js';
import type { Logger } from './logger.js';

/**
 * Request failures, logged at most once per code per interval. When a store goes away every
 * announce fails the same way; one line a second with the count of the ones left out says as
 * much as a hundred thousand lines would, and keeps the log (and the disk) usable.
 */
export class ErrorLog {
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly last = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();
  /** Called with every reported failure's code, logged or not (the metrics count them). */
  private readonly onError: ((code: string) => void) | null;

  constructor(log: Logger, intervalMs = 1000, onError: ((code: string) => void) | null = null) {
    this.log = log;
    this.intervalMs = intervalMs;
    this.onError = onError;
  }

  /** Logs `err` at error level with its stable code, unless that code was logged just now. */
  report(err: unknown, msg: string): void {
    const code = errorCode(err);
    if (this.onError !== null) this.onError(code);
    const now = Date.now();
    const last = this.last.get(code);
    if (last !== undefined && now - last < this.intervalMs) {
      this.suppressed.set(code, (this.suppressed.get(code) ?? 0) + 1);
      return;
    }
    this.last.set(code, now);
    const left = this.suppressed.get(code) ?? 0;
    this.suppressed.delete(code);
    if (left > 0) this.log.error({ err, code, suppressed: left }, msg);
    else this.log.error({ err, code }, msg);
  }
}
