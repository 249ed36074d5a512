import { createHash } from 'node:crypto';
import type { KvStore } from '../../chainstore/kv-store.js';
import { MemoryStringStore } from '../memory/memory-string-store.js';
import type { StringStore } from '../string-store.js';
import { loadEntries } from './load-entries.js';

/** What a ChainStringStore is made of. */
export interface ChainStringStoreOptions {
  /** The durable store (a chain, or any KvStore that lists keys), already open. */
  kv: KvStore;
  /** Which set this is (the hook's name). */
  namespace: string;
  /** Called by close() (releases a shared chain). */
  release?: () => Promise<void>;
}

/**
 * A StringStore kept in memory (a MemoryStringStore: `has` is as fast as the memory driver's)
 * and written through to a chain store, from which `open()` loads it: a list survives restarts.
 *
 * Entry of a value: key `shoal/strings/<namespace>/` + SHA-256 of the value's UTF-16LE code
 * units (fixed length, whatever the value: a string of any length and any code units, lone
 * surrogates included, round-trips), value = those UTF-16LE bytes.
 *
 * A change is written to the chain before memory changes, so a failed write (SHOAL_E_KV_*)
 * leaves the list as it was.
 */
export class ChainStringStore implements StringStore {
  private readonly memory = new MemoryStringStore();
  private readonly kv: KvStore;
  private readonly prefix: Buffer;
  private readonly release: (() => Promise<void>) | undefined;

  private constructor(o: ChainStringStoreOptions) {
    this.kv = o.kv;
    this.prefix = Buffer.from(`shoal/strings/${o.namespace}/`);
    this.release = o.release;
  }

  /** A store with every value the chain holds for the namespace. */
  static async open(o: ChainStringStoreOptions): Promise<ChainStringStore> {
    const s = new ChainStringStore(o);
    await loadEntries(s.kv, s.prefix, (_key, value) => {
      s.memory.put(Buffer.from(value).toString('utf16le'));
    });
    return s;
  }

  private keyOf(units: Buffer): Buffer {
    return Buffer.concat([this.prefix, createHash('sha256').update(units).digest()]);
  }

  async put(value: string): Promise<void> {
    if (this.memory.has(value)) return;
    const units = Buffer.from(value, 'utf16le');
    await this.kv.put(this.keyOf(units), units);
    this.memory.put(value);
  }

  has(value: string): boolean {
    return this.memory.has(value);
  }

  async remove(value: string): Promise<boolean> {
    if (!this.memory.has(value)) return false;
    await this.kv.del(this.keyOf(Buffer.from(value, 'utf16le')));
    return this.memory.remove(value);
  }

  count(): number {
    return this.memory.count();
  }

  list(): string[] {
    return this.memory.list();
  }

  /** Lets go of the chain; the entries stay in it (they are the list). */
  async close(): Promise<void> {
    await this.memory.close();
    await this.release?.();
  }
}
