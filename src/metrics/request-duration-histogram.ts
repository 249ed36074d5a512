import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { DURATION_BUCKETS, RequestMetrics, SERIES, seriesLabels } from './request-metrics.js';

type Label = 'protocol' | 'action' | 'family' | 'result';

const NAME = 'shoal_request_duration_seconds';
const HELP =
  'Tracker requests answered, by protocol, action, address family and result, with their duration';

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * `shoal_request_duration_seconds`: a prom-client Histogram whose values come from a
 * RequestMetrics' typed arrays at scrape time instead of `observe()` calls (see
 * RequestMetrics for why). Only series that saw a request are listed.
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
