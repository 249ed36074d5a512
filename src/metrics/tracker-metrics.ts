import { collectDefaultMetrics, Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { PeerStore, PeerStoreStats } from '../store/peer-store.js';
import { RequestCounter, RequestDurationHistogram } from './request-duration-histogram.js';
import type { RequestMetrics } from './request-metrics.js';

/** What `registerTrackerMetrics` reads at scrape time. */
export interface TrackerMetricSources {
  /** Request counters of the frontends (null: request metrics off). */
  requests: RequestMetrics | null;
  /** The swarms; `stats()` feeds the swarm, peer and sweep metrics when the driver has it. */
  store: PeerStore;
  /** Register prom-client's process metrics (CPU, memory, event loop lag, GC). */
  processMetrics: boolean;
}

/**
 * Registers the tracker's own metrics on `registry`. Nothing here runs per request: every
 * value is read from counters or the store when /metrics is scraped. Store totals are
 * computed once per scrape (all gauges share one `stats()` call).
 */
export function registerTrackerMetrics(registry: Registry, src: TrackerMetricSources): void {
  const { requests, store } = src;
  if (requests !== null) {
    new RequestCounter(requests, registry);
    new RequestDurationHistogram(requests, registry);
    new Counter({
      name: 'shoal_errors_total',
      help: 'Request failures that were the tracker’s fault (store and backend errors), by stable error code',
      labelNames: ['code'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [code, n] of requests.errors) this.inc({ code }, n);
      },
    });
  }
  if (store.stats !== undefined) {
    let pending: Promise<PeerStoreStats> | null = null;
    let at = 0;
    // One stats() walk per scrape: the gauges are collected together, within a few ms.
    const stats = (): Promise<PeerStoreStats> => {
      const now = Date.now();
      if (pending === null || now - at > 500) {
        at = now;
        pending = Promise.resolve(store.stats!());
      }
      return pending;
    };
    const gauge = (name: string, help: string, pick: (s: PeerStoreStats) => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          this.set(pick(await stats()));
        },
      });
    };
    gauge('shoal_swarms', 'Swarms held by the peer store', (s) => s.swarms);
    gauge('shoal_seeders', 'Seeders in every swarm', (s) => s.seeders);
    gauge('shoal_leechers', 'Leechers in every swarm', (s) => s.leechers);
    new Gauge({
      name: 'shoal_peers',
      help: 'Peers in every swarm, by address family',
      labelNames: ['family'],
      registers: [registry],
      async collect() {
        const s = await stats();
        this.set({ family: 'ipv4' }, s.peers4);
        this.set({ family: 'ipv6' }, s.peers6);
      },
    });
    new Counter({
      name: 'shoal_expiry_sweeps_total',
      help: 'Expiry sweep passes (or slices) run by the peer store',
      registers: [registry],
      async collect() {
        this.reset();
        this.inc((await stats()).sweeps);
      },
    });
    new Counter({
      name: 'shoal_expiry_sweep_seconds_total',
      help: 'Seconds spent in expiry sweeps (divide by shoal_expiry_sweeps_total for the mean)',
      registers: [registry],
      async collect() {
        this.reset();
        this.inc((await stats()).sweepSeconds);
      },
    });
  }
  if (src.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'shoal_' });
}
