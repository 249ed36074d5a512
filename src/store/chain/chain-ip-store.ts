import type { Network } from '../../bittorrent/cidr.js';
import { maskNetwork } from '../../bittorrent/cidr.js';
import type { KvStore } from '../../chainstore/kv-store.js';
import type { IPStore } from '../ip-store.js';
import { MemoryIPStore } from '../memory/memory-ip-store.js';
import { listKeys } from './load-entries.js';

/** Kind byte of an address entry, and of a network entry. */
const ENTRY_IP = 1;
const ENTRY_NETWORK = 2;

/** An address's bytes, checked: RangeError unless it has 4 or 16 (as MemoryIPStore). */
function checkIP(ip: Uint8Array): void {
  if (!(ip instanceof Uint8Array) || (ip.length !== 4 && ip.length !== 16)) {
    throw new RangeError(
      `an IP address is 4 or 16 bytes, got ${(ip as { length?: number }).length}`,
    );
  }
}

/** A network, checked: RangeError if its family, byte count or prefix length is bad. */
function checkNetwork(net: Network): void {
  const bytes = net.family === 4 ? 4 : net.family === 6 ? 16 : 0;
  if (bytes === 0) throw new RangeError(`bad network family: ${String(net.family)}`);
  if (net.bytes.length !== bytes) {
    throw new RangeError(`an IPv${net.family} network has ${bytes} bytes, got ${net.bytes.length}`);
  }
  if (!Number.isInteger(net.prefix) || net.prefix < 0 || net.prefix > bytes * 8) {
    throw new RangeError(`bad IPv${net.family} prefix length: ${net.prefix}`);
  }
}

/** What a ChainIPStore is made of. */
export interface ChainIPStoreOptions {
  /** The durable store (a chain, or any KvStore that lists keys), already open. */
  kv: KvStore;
  /** Which set this is (the hook's name). */
  namespace: string;
  /** Called by close() (releases a shared chain). */
  release?: () => Promise<void>;
}

/**
 * An IPStore kept in memory (a MemoryIPStore: lookups are the memory driver's trie walk, with
 * no I/O) and written through to a chain store, from which `open()` loads it: bans and
 * allow-lists survive restarts.
 *
 * Entry: key `shoal/ips/<namespace>/` + [kind: 1 address, 2 network][prefix length][address
 * bytes, host bits cleared for a network], empty value: the key is the entry, so loading is
 * one listing and no reads.
 *
 * Bad input throws RangeError at once, as MemoryIPStore does. A change is written to the chain
 * before memory changes, so a failed write (SHOAL_E_KV_*) leaves the set as it was.
 */
export class ChainIPStore implements IPStore {
  private readonly memory = new MemoryIPStore();
  private readonly kv: KvStore;
  private readonly prefix: Buffer;
  private readonly release: (() => Promise<void>) | undefined;
  /** Entries present, by latin1 key: whether a remove has something to delete. */
  private readonly entries = new Set<string>();

  private constructor(o: ChainIPStoreOptions) {
    this.kv = o.kv;
    this.prefix = Buffer.from(`shoal/ips/${o.namespace}/`);
    this.release = o.release;
  }

  /** A store with every entry the chain holds for the namespace. */
  static async open(o: ChainIPStoreOptions): Promise<ChainIPStore> {
    const s = new ChainIPStore(o);
    for (const k of await listKeys(s.kv, s.prefix)) {
      const e = Buffer.from(k).subarray(s.prefix.length);
      const bytes = e.subarray(2);
      if (bytes.length !== 4 && bytes.length !== 16) continue; // not an entry of ours
      const family = bytes.length === 4 ? 4 : 6;
      if (e[0] === ENTRY_IP) s.memory.addIP(bytes);
      else if (e[0] === ENTRY_NETWORK && e[1]! <= bytes.length * 8) {
        s.memory.addNetwork({ family, bytes, prefix: e[1]! });
      } else continue;
      s.entries.add(Buffer.from(k).toString('latin1'));
    }
    return s;
  }

  private keyOf(kind: number, prefixLength: number, bytes: Uint8Array): Buffer {
    return Buffer.concat([this.prefix, Buffer.of(kind, prefixLength), bytes]);
  }

  private async add(key: Buffer, apply: () => void): Promise<void> {
    const id = key.toString('latin1');
    if (!this.entries.has(id)) {
      await this.kv.put(key, new Uint8Array(0));
      this.entries.add(id);
    }
    apply();
  }

  private async remove(key: Buffer, apply: () => boolean): Promise<boolean> {
    const id = key.toString('latin1');
    if (!this.entries.has(id)) return false;
    await this.kv.del(key);
    this.entries.delete(id);
    return apply();
  }

  addIP(ip: Uint8Array): Promise<void> {
    checkIP(ip);
    const copy = Buffer.from(ip);
    return this.add(this.keyOf(ENTRY_IP, copy.length * 8, copy), () => this.memory.addIP(copy));
  }

  removeIP(ip: Uint8Array): Promise<boolean> {
    checkIP(ip);
    const copy = Buffer.from(ip);
    return this.remove(this.keyOf(ENTRY_IP, copy.length * 8, copy), () =>
      this.memory.removeIP(copy),
    );
  }

  addNetwork(net: Network): Promise<void> {
    checkNetwork(net);
    const n = maskNetwork(net);
    return this.add(this.keyOf(ENTRY_NETWORK, n.prefix, n.bytes), () => this.memory.addNetwork(n));
  }

  removeNetwork(net: Network): Promise<boolean> {
    checkNetwork(net);
    const n = maskNetwork(net);
    return this.remove(this.keyOf(ENTRY_NETWORK, n.prefix, n.bytes), () =>
      this.memory.removeNetwork(n),
    );
  }

  contains(ip: Uint8Array): boolean {
    return this.memory.contains(ip);
  }

  containsAll(ips: readonly Uint8Array[]): boolean {
    return this.memory.containsAll(ips);
  }

  containsAny(ips: readonly Uint8Array[]): boolean {
    return this.memory.containsAny(ips);
  }

  /** Lets go of the chain; the entries stay in it (they are the list). */
  async close(): Promise<void> {
    await this.memory.close();
    await this.release?.();
  }
}
