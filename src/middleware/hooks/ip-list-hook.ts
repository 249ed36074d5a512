import type { AnnounceRequest } from '../../bittorrent/announce.js';
import { maskNetwork, parseNetwork } from '../../bittorrent/cidr.js';
import type { Network } from '../../bittorrent/cidr.js';
import type { IPStore } from '../../store/ip-store.js';
import type { HookType } from '../hook-type.js';
import { ListHook, listHookType } from './list-hook.js';
import type { ListMode } from './list-hook.js';

/** One IP list entry: a single address, or a network written with a `/prefix`. */
export interface IPEntry {
  net: Network;
  single: boolean;
}

/** Parses `1.2.3.4`, `2001:db8::1`, `10.0.0.0/8` or `fd00::/8`; a RangeError if it is bad. */
export function parseIPEntry(text: string): IPEntry {
  return { net: parseNetwork(text), single: !text.includes('/') };
}

/** True if `a` is the first `len` bytes of `b`: a plain loop, since Buffer#compare with offsets
 * crosses into C++ and cost more than the whole trie lookup. */
function sameAddress(a: Buffer, b: Buffer, len: number): boolean {
  if (a.length !== len) return false;
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Bans (deny) or admits only (allow) addresses and networks. Both the address the request came
 * from and the address the peer announced (they differ only when `announce.trustClientIp`
 * lets a client name its IP) are checked: a deny list rejects if either is listed, an allow
 * list admits only if both are.
 */
export class IPListHook extends ListHook<IPEntry> {
  readonly store: IPStore;

  constructor(name: string, mode: ListMode, store: IPStore) {
    super(name, mode, {
      notListed: 'your address is not allowed on this tracker',
      listed: 'your address is banned from this tracker',
    });
    this.store = store;
  }

  parse(text: string): IPEntry {
    return parseIPEntry(text);
  }

  protected keyOf(e: IPEntry): string {
    const masked = e.single ? e.net : maskNetwork(e.net);
    return `${e.single ? 'ip' : 'net'}/${masked.bytes.toString('hex')}/${masked.prefix}`;
  }

  protected addParsed(e: IPEntry): void | Promise<void> {
    return e.single ? this.store.addIP(e.net.bytes) : this.store.addNetwork(e.net);
  }

  protected removeParsed(e: IPEntry): boolean | Promise<boolean> {
    return e.single ? this.store.removeIP(e.net.bytes) : this.store.removeNetwork(e.net);
  }

  preAnnounce(req: AnnounceRequest): void | Promise<void> {
    const client = req.clientIp;
    const peer = req.peer;
    const ipLen = peer.length - 2;
    let r: boolean | Promise<boolean>;
    if (sameAddress(client, peer, ipLen)) {
      r = this.store.contains(client);
    } else {
      const both = [client, peer.subarray(0, ipLen)];
      r = this.allow ? this.store.containsAll(both) : this.store.containsAny(both);
    }
    if (typeof r === 'boolean') return this.verdict(r);
    return r.then((listed) => this.verdict(listed));
  }
}

/** `type: ip-list` — options: `mode` (allow|deny), `file`, `entries` (addresses or CIDR). */
export const ipListType: HookType = listHookType(
  parseIPEntry,
  async (name, mode, ctx) => new IPListHook(name, mode, await ctx.openIPStore()),
);
