import { createHash } from 'node:crypto';
import type { BaseKvStoreOptions } from './base-kv-store.js';
import { BaseKvStore } from './base-kv-store.js';
import { KvError } from './kv-error.js';
import type { KvKey, KvOpOptions, KvStore } from './kv-store.js';
import { inner } from './managers/wrapped-kv-store.js';

/** Options of ChainKvStore. */
export interface ChainKvStoreOptions extends BaseKvStoreOptions {
  /** The stores, fastest first (e.g. memory, lmdb, s3). The chain opens and closes them. */
  stores: readonly KvStore[];
  /**
   * Hash every key to its 32-byte SHA-256 before it reaches the stores (default false): fixed
   * length keys whatever the caller's, at the price of listing (a hashing chain has no `keys`).
   */
  hashKeys?: boolean;
  /** Called with each background failure (as well as the `error` event). */
  onError?: (err: KvError) => void;
}

/**
 * A chain of stores, itself a store:
 * - put: written to the first store (awaited: the put resolves when it is there), then to the
 *   others in the background;
 * - get: asks each store in turn; a value found below the first store is copied back into the
 *   stores above it (in the background), so the next get finds it sooner;
 * - del: removes the key from every store (awaited), after any background write of that key.
 * Background writes of one key run in order, so the stores below end with the last value put.
 * A background failure is never lost: it is emitted as an `error` event (SHOAL_E_KV_BACKGROUND,
 * the cause attached), passed to `onError`, and printed as a process warning when nobody
 * listens. `flush()` waits for the background work; `close()` flushes first.
 */
export class ChainKvStore extends BaseKvStore {
  readonly kind = 'chain';
  readonly stores: readonly KvStore[];
  readonly hashKeys: boolean;
  /** Present unless keys are hashed and at least one store can list. */
  keys?: (prefix: KvKey, opts?: KvOpOptions) => Promise<Uint8Array[]>;
  private readonly onError: ((err: KvError) => void) | undefined;
  /** The last background write of each key (latin1), to order writes of one key. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Background failures so far. */
  backgroundErrors = 0;

  constructor(options: ChainKvStoreOptions) {
    super(options);
    const stores: readonly KvStore[] = options.stores;
    if (!Array.isArray(stores) || stores.length === 0) {
      throw new KvError('SHOAL_E_KV_OPTIONS', 'chain: stores: expected at least one store');
    }
    this.stores = stores.slice();
    this.hashKeys = options.hashKeys ?? false;
    this.onError = options.onError;
    const listers = this.stores.filter((s) => typeof s.keys === 'function');
    if (!this.hashKeys && listers.length > 0) {
      // The union over every store that lists: a background write that failed below leaves the
      // key in the stores above, and a bounded top store (an LRU) holds only some keys.
      this.keys = (prefix, opts = {}) =>
        this.listKeys(prefix, opts, async (p, signal) => {
          const lists = await Promise.all(listers.map((s) => s.keys!(p, inner(signal))));
          const seen = new Map<string, Uint8Array>();
          for (const list of lists) {
            for (const k of list) seen.set(Buffer.from(k).toString('latin1'), k);
          }
          return [...seen.values()];
        });
    }
  }

  private storeKey(key: Buffer): Buffer {
    return this.hashKeys ? createHash('sha256').update(key).digest() : key;
  }

  protected async doOpen(signal: AbortSignal | undefined): Promise<void> {
    const opened: KvStore[] = [];
    try {
      for (const s of this.stores) {
        await s.open(inner(signal));
        opened.push(s);
      }
    } catch (err) {
      await Promise.allSettled(opened.map((s) => s.close()));
      throw err;
    }
  }

  protected async doClose(): Promise<void> {
    await this.flush();
    const results = await Promise.allSettled(this.stores.map((s) => s.close()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** Resolves when every background write started so far has finished (or failed). */
  async flush(): Promise<void> {
    while (this.tails.size > 0) await Promise.allSettled([...this.tails.values()]);
  }

  /** Queues `write` after the key's earlier background writes. */
  private background(id: string, what: string, write: () => Promise<unknown>): void {
    const prev = this.tails.get(id) ?? Promise.resolve();
    const p: Promise<void> = prev.then(write).then(
      () => {
        if (this.tails.get(id) === p) this.tails.delete(id);
      },
      (err: unknown) => {
        if (this.tails.get(id) === p) this.tails.delete(id);
        this.backgroundErrors++;
        const e = new KvError(
          'SHOAL_E_KV_BACKGROUND',
          `chain: ${what} failed: ${(err as Error).message}`,
          { cause: err },
        );
        this.onError?.(e);
        this.reportBackground(e);
      },
    );
    this.tails.set(id, p);
  }

  protected async doPut(
    key: Buffer,
    value: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const k = this.storeKey(key);
    const id = k.toString('latin1');
    const first = this.stores[0]!;
    await first.put(k, value, inner(signal));
    for (let i = 1; i < this.stores.length; i++) {
      const s = this.stores[i]!;
      this.background(id, `put to store ${i} (${s.kind})`, () => s.put(k, value));
    }
  }

  protected async doGet(
    key: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array | undefined> {
    const k = this.storeKey(key);
    const o = inner(signal);
    for (let i = 0; i < this.stores.length; i++) {
      const v = await this.stores[i]!.get(k, o);
      if (v === undefined) continue;
      if (i > 0) {
        const id = k.toString('latin1');
        const copy = Buffer.from(v);
        for (let j = 0; j < i; j++) {
          const s = this.stores[j]!;
          this.background(id, `back-fill of store ${j} (${s.kind})`, () => s.put(k, copy));
        }
      }
      return v;
    }
    return undefined;
  }

  protected async doDel(key: Buffer, signal: AbortSignal | undefined): Promise<void> {
    const k = this.storeKey(key);
    const id = k.toString('latin1');
    // A background write landing after the delete would bring the value back: wait for it.
    const tail = this.tails.get(id);
    if (tail !== undefined) await tail;
    const o = inner(signal);
    const results = await Promise.allSettled(this.stores.map((s) => s.del(k, o)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
