import { Counter, Histogram, Registry } from 'prom-client';
import type { KvErrorCode } from '../kv-error.js';
import { inner, WrappedKvStore } from './wrapped-kv-store.js';
import type { WrappedKvStoreOptions } from './wrapped-kv-store.js';

/** Options of MetricsKvStore. */
export interface MetricsKvStoreOptions extends WrappedKvStoreOptions {
  /**
   * Registry the metrics go to (default: a new one, exposed as `registry`; never prom-client's
   * global registry unless passed explicitly). Stores sharing a registry share the metrics and
   * are told apart by their `store` label.
   */
  registry?: Registry;
  /** The `store` label (default: the wrapped store's kind). */
  label?: string;
}

/** Counter of operations. */
export const KV_OPS_METRIC = 'shoal_kv_operations_total';
/** Histogram of operation latencies. */
export const KV_SECONDS_METRIC = 'shoal_kv_operation_seconds';

/**
 * Prometheus metrics over any store: `shoal_kv_operations_total{store,op,result}` (result
 * `ok`, `miss` for a get that found nothing, or the error code) and
 * `shoal_kv_operation_seconds{store,op}` (latency histogram).
 */
export class MetricsKvStore extends WrappedKvStore {
  readonly kind = 'metrics';
  readonly registry: Registry;
  readonly label: string;
  private readonly ops: Counter<'store' | 'op' | 'result'>;
  private readonly seconds: Histogram<'store' | 'op'>;

  constructor(options: MetricsKvStoreOptions) {
    super(options);
    this.registry = options.registry ?? new Registry();
    this.label = options.label ?? options.store.kind;
    this.ops =
      (this.registry.getSingleMetric(KV_OPS_METRIC) as
        Counter<'store' | 'op' | 'result'> | undefined) ??
      new Counter({
        name: KV_OPS_METRIC,
        help: 'Chain store operations by store, operation and result',
        labelNames: ['store', 'op', 'result'],
        registers: [this.registry],
      });
    this.seconds =
      (this.registry.getSingleMetric(KV_SECONDS_METRIC) as Histogram<'store' | 'op'> | undefined) ??
      new Histogram({
        name: KV_SECONDS_METRIC,
        help: 'Chain store operation latency in seconds',
        labelNames: ['store', 'op'],
        buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
        registers: [this.registry],
      });
  }

  private async measure<T>(op: string, fn: () => Promise<T>, miss?: (v: T) => boolean): Promise<T> {
    const end = this.seconds.startTimer({ store: this.label, op });
    try {
      const v = await fn();
      this.ops.inc({ store: this.label, op, result: miss?.(v) === true ? 'miss' : 'ok' });
      return v;
    } catch (err) {
      const code = (err as { code?: KvErrorCode }).code ?? 'error';
      this.ops.inc({ store: this.label, op, result: code });
      throw err;
    } finally {
      end();
    }
  }

  protected doPut(key: Buffer, value: Buffer, signal: AbortSignal | undefined): Promise<void> {
    return this.measure('put', () => this.store.put(key, value, inner(signal)));
  }

  protected doGet(key: Buffer, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    return this.measure(
      'get',
      () => this.store.get(key, inner(signal)),
      (v) => v === undefined,
    );
  }

  protected doDel(key: Buffer, signal: AbortSignal | undefined): Promise<void> {
    return this.measure('del', () => this.store.del(key, inner(signal)));
  }
}
