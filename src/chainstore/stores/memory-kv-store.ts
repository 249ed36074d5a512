import type { BaseKvStoreOptions } from '../base-kv-store.js';
import { BaseKvStore } from '../base-kv-store.js';
import type { KvKey, KvOpOptions } from '../kv-store.js';

/** Options of MemoryKvStore. */
export type MemoryKvStoreOptions = BaseKvStoreOptions;

/**
 * A store in a Map (keys as latin1 strings of their bytes, which keeps any bytes exactly):
 * the fast top of a chain, and a store for tests. Lost at exit; close() empties it.
 */
export class MemoryKvStore extends BaseKvStore {
  readonly kind = 'memory';
  private readonly map = new Map<string, Buffer>();

  constructor(options: MemoryKvStoreOptions = {}) {
    super(options);
  }

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }

  protected doOpen(): Promise<void> {
    return Promise.resolve();
  }

  protected doClose(): Promise<void> {
    this.map.clear();
    return Promise.resolve();
  }

  protected doPut(key: Buffer, value: Buffer): Promise<void> {
    this.map.set(key.toString('latin1'), value);
    return Promise.resolve();
  }

  protected doGet(key: Buffer): Promise<Uint8Array | undefined> {
    const v = this.map.get(key.toString('latin1'));
    return Promise.resolve(v === undefined ? undefined : Buffer.from(v));
  }

  protected doDel(key: Buffer): Promise<void> {
    this.map.delete(key.toString('latin1'));
    return Promise.resolve();
  }

  keys(prefix: KvKey, opts: KvOpOptions = {}): Promise<Uint8Array[]> {
    return this.listKeys(prefix, opts, (p) => {
      const start = p.toString('latin1');
      const out: Uint8Array[] = [];
      for (const k of this.map.keys()) if (k.startsWith(start)) out.push(Buffer.from(k, 'latin1'));
      return Promise.resolve(out);
    });
  }
}
