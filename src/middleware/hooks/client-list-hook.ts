import type { AnnounceRequest } from '../../bittorrent/announce.js';
import type { StringStore } from '../../store/string-store.js';
import type { HookType } from '../hook-type.js';
import { listHookType } from './list-hook.js';
import type { ListMode } from './list-hook.js';
import { StringListHook } from './string-list-hook.js';

/** Longest prefix matched: `-XX1234-` (Azureus style) is 8 characters. */
export const MAX_CLIENT_PREFIX = 8;

const PREFIX = /^[\x21-\x7e]{1,8}$/;

/** Slots of the prefix cache (a power of two). */
const CACHE_SLOTS = 256;

/** `s`'s prefixes of 1..s.length characters. */
function slices(s: string): string[] {
  const out: string[] = [];
  for (let n = 1; n <= s.length; n++) out.push(s.slice(0, n));
  return out;
}

/**
 * Parses a peer_id prefix: 1 to 8 printable ASCII characters, e.g. `-qB` (every qBittorrent),
 * `-qB4250-` (one version), `M7-` (single-letter style: Mainline 7.x), `T`.
 */
export function parseClientPrefix(text: string): string {
  if (!PREFIX.test(text)) {
    throw new RangeError(`not a peer_id prefix (1 to 8 printable ASCII characters): ${text}`);
  }
  return text;
}

/**
 * Rejects announces whose peer_id does not start (allow) or starts (deny) with a listed prefix.
 * A peer_id matches when any of its first 1..8 characters is a stored prefix: up to eight set
 * lookups, which keeps any StringStore usable and lets a prefix be added at runtime.
 */
export class ClientListHook extends StringListHook {
  constructor(name: string, mode: ListMode, store: StringStore) {
    super(name, mode, store, {
      notListed: 'client is not allowed on this tracker',
      listed: 'client is not allowed on this tracker',
    });
  }

  parse(text: string): string {
    return parseClientPrefix(text);
  }

  preAnnounce(req: AnnounceRequest): void | Promise<void> {
    const prefixes = this.prefixesOf(req.peerId);
    for (let n = 0; n < prefixes.length; n++) {
      const r = this.store.has(prefixes[n]!);
      if (r === true) return this.verdict(true);
      if (r !== false) return this.matchAsync(prefixes, n, r);
    }
    return this.verdict(false);
  }

  // Hot path: the first 8 bytes of peer ids repeat (one value per client version), so their
  // prefixes are kept in a small direct-mapped cache keyed by those bytes. A hit allocates
  // nothing, and the cached strings keep their computed hashes for the Set lookups; without it,
  // building eight strings per announce cost about 250 ns (`node bench/micro.js hooks`).
  private readonly cacheHi = new Int32Array(CACHE_SLOTS);
  private readonly cacheLo = new Int32Array(CACHE_SLOTS);
  private readonly cache: (string[] | undefined)[] = new Array<string[] | undefined>(
    CACHE_SLOTS,
  ).fill(undefined);

  /** The peer id's prefixes of 1..8 characters (fewer if the id is shorter). */
  private prefixesOf(id: Buffer): string[] {
    if (id.length < MAX_CLIENT_PREFIX) return slices(id.toString('latin1'));
    const hi = id.readInt32BE(0);
    const lo = id.readInt32BE(4);
    const slot = (Math.imul(hi ^ (lo >>> 7), 0x9e3779b1) >>> 24) & (CACHE_SLOTS - 1);
    const hit = this.cache[slot];
    if (hit !== undefined && this.cacheHi[slot] === hi && this.cacheLo[slot] === lo) return hit;
    const fresh = slices(id.toString('latin1', 0, MAX_CLIENT_PREFIX));
    this.cache[slot] = fresh;
    this.cacheHi[slot] = hi;
    this.cacheLo[slot] = lo;
    return fresh;
  }

  private async matchAsync(
    prefixes: readonly string[],
    from: number,
    first: Promise<boolean>,
  ): Promise<void> {
    const pending = [first];
    for (let n = from + 1; n < prefixes.length; n++) {
      pending.push(Promise.resolve(this.store.has(prefixes[n]!)));
    }
    const found = (await Promise.all(pending)).includes(true);
    this.verdict(found);
  }
}

/** `type: client-list` — options: `mode` (allow|deny), `file`, `entries` (peer_id prefixes). */
export const clientListType: HookType = listHookType(
  parseClientPrefix,
  async (name, mode, ctx) => new ClientListHook(name, mode, await ctx.openStringStore()),
);
