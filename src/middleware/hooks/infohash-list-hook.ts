import type { AnnounceRequest } from '../../bittorrent/announce.js';
import type { StringStore } from '../../store/string-store.js';
import type { HookType } from '../hook-type.js';
import { listHookType } from './list-hook.js';
import type { ListMode } from './list-hook.js';
import { StringListHook } from './string-list-hook.js';

const HEX = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

/**
 * Parses an info hash written as 40 hex digits (BEP 3), or 64 (a BEP 52 v2 hash, which clients
 * announce truncated to its first 20 bytes). Returns the 20-byte latin1 key swarms use.
 */
export function parseInfoHash(text: string): string {
  if (!HEX.test(text)) throw new RangeError(`not an info hash (40 or 64 hex digits): ${text}`);
  return Buffer.from(text.slice(0, 40), 'hex').toString('latin1');
}

/** Rejects announces for info hashes not on (allow) or on (deny) a StringStore list. */
export class InfoHashListHook extends StringListHook {
  constructor(name: string, mode: ListMode, store: StringStore) {
    super(name, mode, store, {
      notListed: 'torrent is not registered on this tracker',
      listed: 'torrent is not allowed on this tracker',
    });
  }

  parse(text: string): string {
    return parseInfoHash(text);
  }

  preAnnounce(req: AnnounceRequest): void | Promise<void> {
    const r = this.store.has(req.infoHashKey);
    if (typeof r === 'boolean') return this.verdict(r);
    return r.then((found) => this.verdict(found));
  }
}

/** `type: infohash-list` — options: `mode` (allow|deny), `file`, `entries` (hex info hashes). */
export const infoHashListType: HookType = listHookType(
  parseInfoHash,
  async (name, mode, ctx) => new InfoHashListHook(name, mode, await ctx.openStringStore()),
);
