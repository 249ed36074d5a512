import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log/logger.js';
import type { DeltaHandler } from './delta-handler.js';
import type { SpooledBatch } from './delta-spool.js';
import type { PrivtrakMetrics } from './privtrak-metrics.js';

/** Where the flusher gets batches from, and tells about accepted ones (privtrak). */
export interface BatchSource {
  /** Keys pending outside any batch. */
  readonly pendingKeys: number;
  /**
   * Forms the next batch from pending deltas, its record already in the spool, and hands it to
   * `DeltaFlusher.add`; undefined when nothing is pending or the spool refused the record.
   */
  takeBatch(): SpooledBatch | undefined;
  /** The handler accepted this batch (it has left the in-doubt list). */
  committed(batch: SpooledBatch): void;
}

/**
 * Sends batches to the handler one at a time. A batch is "in doubt" from the moment it is formed
 * until the handler accepts it; a rejected batch stays first in line, unchanged and under the
 * same id, and is resent after a backoff (retryMin doubling up to retryMax). Merging it with newer
 * deltas under a new id could count it twice: a rejection does not prove it was not applied.
 */
export class DeltaFlusher {
  /** Batches formed (or replayed) and not accepted yet, oldest first. */
  readonly inDoubt: SpooledBatch[] = [];
  /** Deltas in those batches. */
  inDoubtDeltas = 0;
  private failures = 0;
  private retryAt = 0;
  private flushing: Promise<boolean> | null = null;
  private stopped = false;

  constructor(
    private readonly handler: DeltaHandler,
    private readonly source: BatchSource,
    private readonly metrics: PrivtrakMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly retryMin: number,
    private readonly retryMax: number,
  ) {}

  /** A flush is running. */
  get busy(): boolean {
    return this.flushing !== null;
  }

  /** Queues a batch (formed now, or replayed from the spool) behind those in doubt. */
  add(batch: SpooledBatch): void {
    this.inDoubt.push(batch);
    this.inDoubtDeltas += batch.deltas.length;
  }

  /** Something failed before a batch could be sent (the spool): back off as for a rejection. */
  failed(): void {
    this.retryAt = this.now() + this.backoff(++this.failures);
  }

  /**
   * Sends everything pending, in batches, one in flight at a time; stops at the first failure
   * (or while backing off after one). Never rejects. Resolves true when nothing is left.
   */
  flush(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(this.idle());
    this.flushing ??= this.drain(false).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /**
   * Flushes ignoring the backoff, retrying until everything is accepted or `seconds` have passed
   * (real time); then sends nothing more. Resolves true when nothing is left.
   */
  async finish(seconds: number): Promise<boolean> {
    const deadline = performance.now() + seconds * 1000;
    let ok = false;
    for (;;) {
      if (this.flushing !== null) await this.flushing;
      this.flushing = this.drain(true).finally(() => {
        this.flushing = null;
      });
      ok = await this.flushing;
      if (ok) break;
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(this.backoff(Math.max(1, this.failures)), remaining)),
      );
    }
    this.stopped = true;
    return ok;
  }

  private idle(): boolean {
    return this.source.pendingKeys === 0 && this.inDoubt.length === 0;
  }

  private async drain(ignoreBackoff: boolean): Promise<boolean> {
    for (;;) {
      if (!ignoreBackoff && this.now() < this.retryAt) return false;
      const batch = this.inDoubt[0] ?? this.source.takeBatch();
      if (batch === undefined) return this.idle();
      const t0 = performance.now();
      try {
        await this.handler.recordAnnounce(batch.deltas, batch.id);
      } catch (err) {
        this.metrics.flushDuration.observe((performance.now() - t0) / 1000);
        this.metrics.flushFailures.inc();
        this.failed();
        this.log.warn(
          {
            err,
            code: 'SHOAL_E_PRIVTRAK_FLUSH',
            batch: batch.id,
            deltas: batch.deltas.length,
            retryInMs: this.retryAt - this.now(),
          },
          'privtrak batch rejected; kept and retried',
        );
        return false;
      }
      this.metrics.flushDuration.observe((performance.now() - t0) / 1000);
      this.failures = 0;
      this.retryAt = 0;
      this.inDoubt.shift();
      this.inDoubtDeltas -= batch.deltas.length;
      this.metrics.batchesFlushed.inc();
      this.metrics.deltasFlushed.inc(batch.deltas.length);
      this.source.committed(batch);
    }
  }

  private backoff(failures: number): number {
    return Math.min(this.retryMax, this.retryMin * 2 ** Math.min(failures - 1, 30)) * 1000;
  }
}
