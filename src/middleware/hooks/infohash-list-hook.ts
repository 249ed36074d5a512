import type { AnnounceRequest } from '../../bittorrent/announce.js';
import { ClientError } from '../../bittorrent/errors.js';
import type { StringStore } from '../../store/string-store.js';
import type { HookType } from '../hook-type.js';
import { ListHook, checkListOptions } from './list-hook.js';
import type { ListMode } from './list-hook.js';

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
export class InfoHashListHook extends ListHook<string> {
  readonly store: StringStore;
  private readonly allow: boolean;

  constructor(name: string, mode: ListMode, store: StringStore) {
    super(name, mode);
    this.store = store;
    this.allow = mode === 'allow';
  }

  parse(text: string): string {
    return parseInfoHash(text);
  }

  protected keyOf(key: string): string {
    return key;
  }

  protected addParsed(key: string): void | Promise<void> {
    return this.store.put(key);
  }

  protected removeParsed(key: string): boolean | Promise<boolean> {
    return this.store.remove(key);
  }

  preAnnounce(req: AnnounceRequest): void | Promise<void> {
    const r = this.store.has(req.infoHashKey);
    if (typeof r === 'boolean') return this.decide(r);
    return r.then((found) => this.decide(found));
  }

  private decide(found: boolean): void {
    if (found !== this.allow) {
      throw new ClientError(
        this.allow
          ? 'torrent is not registered on this tracker'
          : 'torrent is not allowed on this tracker',
      );
    }
  }
}

/** `type: infohash-list` — options: `mode` (allow|deny), `file`, `entries` (hex info hashes). */
export const infoHashListType: HookType = {
  check(options) {
    checkListOptions(options, parseInfoHash);
  },
  async create(options, ctx) {
    const opts = checkListOptions(options, parseInfoHash);
    const hook = new InfoHashListHook(ctx.name, opts.mode, await ctx.openStringStore());
    await hook.seed(opts, ctx.baseDir);
    return hook;
  },
};
