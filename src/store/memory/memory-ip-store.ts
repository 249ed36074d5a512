import type { Network } from '../../bittorrent/cidr.js';
import type { IPStore } from '../ip-store.js';
import { NetworkTrie } from './network-trie.js';

/** Trie flag of a prefix added with addNetwork. */
const NETWORK = 1;
/** Trie flag of a full-length prefix added with addIP. */
const ADDRESS = 2;

/**
 * The embedded IPStore: one radix trie per family (see NetworkTrie), so a lookup costs at most
 * 32 or 128 bits of walking, whatever the number of entries, and allocates nothing.
 *
 * Single addresses live in the same trie as networks, as /32 or /128 prefixes with their own
 * flag, rather than in a Set: `contains` is then one walk instead of a string key built per
 * lookup plus a walk, and an address costs at most two trie nodes (28 bytes IPv4, 52 IPv6)
 * instead of a string and a hash entry. The flags keep "address 1.2.3.4" and "network
 * 1.2.3.4/32" separate entries, as the interface requires.
 */
export class MemoryIPStore implements IPStore {
  private readonly v4 = new NetworkTrie(32);
  private readonly v6 = new NetworkTrie(128);

  /** The trie of an address's family; RangeError unless it is 4 or 16 bytes. */
  private trieOf(ip: Uint8Array): NetworkTrie {
    if (ip.length === 4) return this.v4;
    if (ip.length === 16) return this.v6;
    throw new RangeError(`an IP address is 4 or 16 bytes, got ${ip.length}`);
  }

  /** The trie of a network's family; RangeError if its family, bytes or prefix are bad. */
  private trieOfNetwork(net: Network): NetworkTrie {
    const trie = net.family === 4 ? this.v4 : net.family === 6 ? this.v6 : null;
    if (trie === null) throw new RangeError(`bad network family: ${String(net.family)}`);
    if (net.bytes.length !== trie.bits >>> 3) {
      throw new RangeError(
        `an IPv${net.family} network has ${trie.bits >>> 3} bytes, got ${net.bytes.length}`,
      );
    }
    if (!Number.isInteger(net.prefix) || net.prefix < 0 || net.prefix > trie.bits) {
      throw new RangeError(`bad IPv${net.family} prefix length: ${net.prefix}`);
    }
    return trie;
  }

  addIP(ip: Uint8Array): void {
    const trie = this.trieOf(ip);
    trie.insert(ip, trie.bits, ADDRESS);
  }

  removeIP(ip: Uint8Array): boolean {
    const trie = this.trieOf(ip);
    return trie.remove(ip, trie.bits, ADDRESS);
  }

  addNetwork(net: Network): void {
    this.trieOfNetwork(net).insert(net.bytes, net.prefix, NETWORK);
  }

  removeNetwork(net: Network): boolean {
    return this.trieOfNetwork(net).remove(net.bytes, net.prefix, NETWORK);
  }

  contains(ip: Uint8Array): boolean {
    return this.trieOf(ip).contains(ip);
  }

  containsAll(ips: readonly Uint8Array[]): boolean {
    for (let i = 0; i < ips.length; i++) if (!this.contains(ips[i]!)) return false;
    return true;
  }

  containsAny(ips: readonly Uint8Array[]): boolean {
    for (let i = 0; i < ips.length; i++) if (this.contains(ips[i]!)) return true;
    return false;
  }

  close(): Promise<void> {
    this.v4.clear();
    this.v6.clear();
    return Promise.resolve();
  }
}
