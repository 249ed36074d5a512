import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** Sizes the metrics read when scraped (never on the announce path). */
export interface PrivtrakGauges {
  users: () => number;
  counters: () => number;
  pending: () => number;
  spoolBytes: () => number;
}

/**
 * Prometheus metrics of privtrak, registered on the registry it is given (never the global
 * one). Gauges are computed at scrape time; the announce path only bumps a counter when it
 * rejects a request.
 */
export class PrivtrakMetrics {
  readonly sweepDuration: Histogram;
  readonly flushDuration: Histogram;
  readonly flushFailures: Counter;
  readonly deltasFlushed: Counter;
  readonly batchesFlushed: Counter;
  readonly busyRejections: Counter;

  constructor(registry: Registry, gauges: PrivtrakGauges) {
    const registers = [registry];
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    gauge('shoal_privtrak_users', 'Users with at least one tracked peer counter.', gauges.users);
    gauge('shoal_privtrak_counters', 'Tracked (user, torrent, peer) counters.', gauges.counters);
    gauge(
      'shoal_privtrak_pending_deltas',
      'Deltas not yet accepted by the handler (pending keys plus deltas of batches in doubt).',
      gauges.pending,
    );
    gauge('shoal_privtrak_spool_bytes', 'Size of the spool file in bytes.', gauges.spoolBytes);
    this.sweepDuration = new Histogram({
      name: 'shoal_privtrak_sweep_duration_seconds',
      help: 'Time to sweep one shard for stale counters.',
      buckets: [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.flushDuration = new Histogram({
      name: 'shoal_privtrak_flush_duration_seconds',
      help: 'Time the handler took to apply one batch (successful or not).',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.flushFailures = new Counter({
      name: 'shoal_privtrak_flush_failures_total',
      help: 'Batches the handler rejected (each is retried).',
      registers,
    });
    this.deltasFlushed = new Counter({
      name: 'shoal_privtrak_deltas_flushed_total',
      help: 'Deltas accepted by the handler.',
      registers,
    });
    this.batchesFlushed = new Counter({
      name: 'shoal_privtrak_batches_flushed_total',
      help: 'Batches accepted by the handler.',
      registers,
    });
    this.busyRejections = new Counter({
      name: 'shoal_privtrak_busy_rejections_total',
      help: 'Announces refused because too many deltas were pending.',
      registers,
    });
  }
}
