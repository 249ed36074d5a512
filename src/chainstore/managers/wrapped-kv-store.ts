import type { BaseKvStoreOptions } from '../base-kv-store.js';
import { BaseKvStore } from '../base-kv-store.js';
import type { KvKey, KvOpOptions, KvStore } from '../kv-store.js';

/** Options of a manager: the store it wraps, which it opens and closes. */
export interface WrappedKvStoreOptions extends BaseKvStoreOptions {
  store: KvStore;
}

/** The options to pass to the wrapped store: the operation's own signal, if any. */
export function inner(signal: AbortSignal | undefined): KvOpOptions | undefined {
  return signal === undefined ? undefined : { signal };
}

/**
 * A manager: a store that wraps another store (or chain) and is itself a store. It opens and
 * closes the store it wraps, and lists keys when that store can.
 */
export abstract class WrappedKvStore extends BaseKvStore {
  readonly store: KvStore;
  /** Present when the wrapped store can list keys. */
  keys?: (prefix: KvKey, opts?: KvOpOptions) => Promise<Uint8Array[]>;

  constructor(options: WrappedKvStoreOptions) {
    super(options);
    this.store = options.store;
    const store = options.store;
    if (typeof store.keys === 'function') {
      this.keys = (prefix, opts = {}) =>
        this.listKeys(prefix, opts, (p, signal) => store.keys!(p, inner(signal)));
    }
  }

  protected doOpen(signal: AbortSignal | undefined): Promise<void> {
    return this.store.open(inner(signal));
  }

  protected doClose(): Promise<void> {
    return this.store.close();
  }
}
