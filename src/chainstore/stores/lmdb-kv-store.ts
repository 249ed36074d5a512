import type { Database, RootDatabase } from 'lmdb';
import type { BaseKvStoreOptions } from '../base-kv-store.js';
import { BaseKvStore } from '../base-kv-store.js';
import { KvError } from '../kv-error.js';
import type { KvKey, KvOpOptions } from '../kv-store.js';

/** Options of LmdbKvStore. */
export interface LmdbKvStoreOptions extends BaseKvStoreOptions {
  /** Path of the LMDB environment (a directory's worth of files, created by open()). */
  path: string;
  /** Named database inside the environment (default: the root one). */
  name?: string;
  /**
   * Flush commits to disk before a put resolves (default true). False trades the last
   * commits on a machine crash for speed (lmdb's noSync).
   */
  sync?: boolean;
}

/**
 * A store in LMDB through the `lmdb` package: raw binary keys and values. Puts are
 * asynchronous and lmdb groups every put issued in the same turn of the event loop into one
 * transaction, so many puts in flight cost one commit (one commit per put is ~3k/s; batched,
 * ~100k/s and more). Reads are synchronous memory-mapped lookups.
 */
export class LmdbKvStore extends BaseKvStore {
  readonly kind = 'lmdb';
  private readonly options: LmdbKvStoreOptions;
  private root: RootDatabase<Buffer, Buffer> | null = null;
  private db: Database<Buffer, Buffer> | null = null;

  constructor(options: LmdbKvStoreOptions) {
    super(options);
    if (typeof options.path !== 'string' || options.path === '') {
      throw new KvError('SHOAL_E_KV_OPTIONS', 'lmdb store: path: expected a path');
    }
    this.options = options;
  }

  protected async doOpen(): Promise<void> {
    // Loaded here, so a tracker without an lmdb store never loads the native module.
    const { open } = await import('lmdb');
    const sync = this.options.sync ?? true;
    this.root = open<Buffer, Buffer>({
      path: this.options.path,
      keyEncoding: 'binary',
      encoding: 'binary',
      noSync: !sync,
    });
    this.db =
      this.options.name === undefined
        ? this.root
        : this.root.openDB<Buffer, Buffer>({
            name: this.options.name,
            keyEncoding: 'binary',
            encoding: 'binary',
          });
  }

  protected async doClose(): Promise<void> {
    const root = this.root;
    this.root = this.db = null;
    await root?.close();
  }

  private get database(): Database<Buffer, Buffer> {
    if (this.db === null) throw new KvError('SHOAL_E_KV_CLOSED', 'lmdb store is not open');
    return this.db;
  }

  protected async doPut(key: Buffer, value: Buffer): Promise<void> {
    await this.database.put(key, value);
  }

  protected doGet(key: Buffer): Promise<Uint8Array | undefined> {
    // getBinary copies out of the map: the value stays valid after the next read.
    return Promise.resolve(this.database.getBinary(key));
  }

  protected async doDel(key: Buffer): Promise<void> {
    await this.database.remove(key);
  }

  keys(prefix: KvKey, opts: KvOpOptions = {}): Promise<Uint8Array[]> {
    return this.listKeys(prefix, opts, (p) => {
      const out: Uint8Array[] = [];
      // Keys are sorted by their bytes: the prefix's keys are one run from the prefix on.
      const range = p.length === 0 ? this.database.getKeys() : this.database.getKeys({ start: p });
      for (const k of range) {
        const key = Buffer.from(k);
        if (key.length < p.length || !key.subarray(0, p.length).equals(p)) break;
        out.push(key);
      }
      return Promise.resolve(out);
    });
  }
}
