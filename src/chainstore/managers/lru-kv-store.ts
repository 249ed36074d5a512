import { LRUCache } from 'lru-cache';
import { KvError } from '../kv-error.js';
import { inner, WrappedKvStore } from './wrapped-kv-store.js';
import type { WrappedKvStoreOptions } from './wrapped-kv-store.js';

/** Options of LruKvStore. */
export interface LruKvStoreOptions extends WrappedKvStoreOptions {
  /** Most bytes (keys + values) the wrapped store may hold through this manager. */
  maxBytes: number;
}

/**
 * A byte-bounded LRU over any store: it tracks the size and recency of every key written or
 * read through it, and once the total passes `maxBytes` it deletes the least recently used
 * values from the wrapped store. A bounded memory store at the top of a chain is
 * `new LruKvStore({ store: new MemoryKvStore(), maxBytes })`.
 *
 * - Keys already in the wrapped store when it opens are tracked from their first get.
 * - A value larger than maxBytes on its own is written, then removed at once (it never fits).
 * - Evictions run in the background; an operation on an evicted key waits for its delete,
 *   and a failed delete is reported as an `error` event (SHOAL_E_KV_BACKGROUND).
 */
export class LruKvStore extends WrappedKvStore {
  readonly kind = 'lru';
  readonly maxBytes: number;
  private readonly lru: LRUCache<string, number>;
  /** Deletes of evicted keys in flight, by latin1 key. */
  private readonly evicting = new Map<string, Promise<void>>();

  constructor(options: LruKvStoreOptions) {
    super(options);
    const max = options.maxBytes;
    if (!(Number.isInteger(max) && max > 0)) {
      throw new KvError(
        'SHOAL_E_KV_OPTIONS',
        'lru: maxBytes: expected a whole number of bytes, 1 or more',
      );
    }
    this.maxBytes = max;
    this.lru = new LRUCache<string, number>({
      maxSize: max,
      sizeCalculation: (size) => Math.max(1, size),
      dispose: (_size, key, reason) => {
        if (reason === 'evict') this.evict(key);
      },
    });
  }

  /** Bytes currently tracked. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  private evict(key: string): void {
    const p = this.store.del(Buffer.from(key, 'latin1')).then(
      () => {
        if (this.evicting.get(key) === p) this.evicting.delete(key);
      },
      (err: unknown) => {
        if (this.evicting.get(key) === p) this.evicting.delete(key);
        this.reportBackground(
          new KvError(
            'SHOAL_E_KV_BACKGROUND',
            `lru: evicting a value failed: ${(err as Error).message}`,
            {
              cause: err,
            },
          ),
        );
      },
    );
    this.evicting.set(key, p);
  }

  private async settled(key: string): Promise<void> {
    const p = this.evicting.get(key);
    if (p !== undefined) await p;
  }

  private track(id: string, key: Buffer, size: number): void {
    this.lru.set(id, key.length + size);
    // lru-cache refuses an entry bigger than maxSize: the store must not keep it either.
    if (!this.lru.has(id)) this.evict(id);
  }

  protected async doPut(
    key: Buffer,
    value: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const id = key.toString('latin1');
    await this.settled(id);
    await this.store.put(key, value, inner(signal));
    this.track(id, key, value.length);
  }

  protected async doGet(
    key: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array | undefined> {
    const id = key.toString('latin1');
    await this.settled(id);
    const v = await this.store.get(key, inner(signal));
    if (v === undefined) this.lru.delete(id);
    else if (this.lru.has(id))
      this.lru.get(id); // refreshes recency
    else this.track(id, key, v.length);
    return v;
  }

  protected async doDel(key: Buffer, signal: AbortSignal | undefined): Promise<void> {
    const id = key.toString('latin1');
    await this.settled(id);
    this.lru.delete(id);
    await this.store.del(key, inner(signal));
  }

  protected override async doClose(): Promise<void> {
    await Promise.allSettled([...this.evicting.values()]);
    this.lru.clear();
    await super.doClose();
  }
}
