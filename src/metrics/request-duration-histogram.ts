import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { DURATION_BUCKETS, RequestMetrics, SERIES, seriesLabels } from './request-metrics.js';

type Label = 'protocol' | 'action' | 'family' | 'result';

const NAME = 'shoal_request_duration_seconds';
const HELP =
  'Durations of a sample of tracker requests (one in admin.timingSample), by protocol, action, address family and result';

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * `shoal_request_duration_seconds`: a prom-client Histogram whose values come from a
 * RequestMetrics' typed arrays at scrape time instead of `observe()` calls (see
 * RequestMetrics for why). Only the timed sample is in it, so its `_count` is about
 * 1/timingSample of `shoal_requests_total`. Only series that saw a timed request are listed.
 */
export class RequestDurationHistogram extends Histogram<Label> {
  private readonly source: RequestMetrics;

  constructor(source: RequestMetrics, registry: Registry) {
    super({
      name: NAME,
      help: HELP,
      labelNames: ['protocol', 'action', 'family', 'result'],
      buckets: [...DURATION_BUCKETS],
      registers: [registry],
    });
    this.source = source;
  }

  private samples(): Sample[] {
    const out: Sample[] = [];
    const nb = RequestMetrics.BUCKETS;
    const { buckets, sums } = this.source;
    for (let s = 0; s < SERIES; s++) {
      const base = s * nb;
      let total = 0;
      for (let b = 0; b < nb; b++) total += buckets[base + b]!;
      if (total === 0) continue;
      const labels = seriesLabels(s);
      let cum = 0;
      for (let b = 0; b < nb; b++) {
        cum += buckets[base + b]!;
        const le = b < nb - 1 ? DURATION_BUCKETS[b]! : '+Inf';
        out.push({ metricName: `${NAME}_bucket`, labels: { ...labels, le }, value: cum });
      }
      out.push({ metricName: `${NAME}_sum`, labels, value: sums[s]! });
      out.push({ metricName: `${NAME}_count`, labels, value: total });
    }
    return out;
  }

  /** What the registry formats (prom-client calls this instead of `get` when present). */
  getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: Sample[];
    aggregator: 'sum';
  }> {
    return Promise.resolve({
      name: NAME,
      help: HELP,
      type: 'histogram',
      values: this.samples(),
      aggregator: 'sum',
    });
  }

  override get(): ReturnType<Histogram<Label>['get']> {
    return this.getForPromString() as unknown as ReturnType<Histogram<Label>['get']>;
  }
}

const COUNT_NAME = 'shoal_requests_total';
const COUNT_HELP =
  'Tracker requests answered (every one), by protocol, action, address family and result';

/** `shoal_requests_total`: every request, from RequestMetrics' counts at scrape time. */
export class RequestCounter extends Counter<Label> {
  private readonly source: RequestMetrics;

  constructor(source: RequestMetrics, registry: Registry) {
    super({
      name: COUNT_NAME,
      help: COUNT_HELP,
      labelNames: ['protocol', 'action', 'family', 'result'],
      registers: [registry],
    });
    this.source = source;
  }

  override get(): ReturnType<Counter<Label>['get']> {
    const values = [];
    for (let s = 0; s < SERIES; s++) {
      const n = this.source.counts[s]!;
      if (n > 0) values.push({ labels: seriesLabels(s), value: n });
    }
    return Promise.resolve({
      name: COUNT_NAME,
      help: COUNT_HELP,
      type: 'counter',
      values,
      aggregator: 'sum',
    }) as unknown as ReturnType<Counter<Label>['get']>;
  }
}
