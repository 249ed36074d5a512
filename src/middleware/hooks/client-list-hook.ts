import type { AnnounceRequest } from '../../bittorrent/announce.js';
import { ClientError } from '../../bittorrent/errors.js';
import type { StringStore } from '../../store/string-store.js';
import type { HookType } from '../hook-type.js';
import { ListHook, checkListOptions } from './list-hook.js';
import type { ListMode } from './list-hook.js';

/** Longest prefix matched: `-XX1234-` (Azureus style) is 8 characters. */
export const MAX_CLIENT_PREFIX = 8;

const PREFIX = /^[\x21-\x7e]{1,8}$/;

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
export class ClientListHook extends ListHook<string> {
  readonly store: StringStore;
  private readonly allow: boolean;

  constructor(name: string, mode: ListMode, store: StringStore) {
    super(name, mode);
    this.store = store;
    this.allow = mode === 'allow';
  }

  parse(text: string): string {
    return parseClientPrefix(text);
  }

  protected keyOf(prefix: string): string {
    return prefix;
  }

  protected addParsed(prefix: string): void | Promise<void> {
    return this.store.put(prefix);
  }

  protected removeParsed(prefix: string): boolean | Promise<boolean> {
    return this.store.remove(prefix);
  }

  preAnnounce(req: AnnounceRequest): void | Promise<void> {
    const id = req.peerId.toString('latin1', 0, MAX_CLIENT_PREFIX);
    for (let n = 1; n <= id.length; n++) {
      const r = this.store.has(id.slice(0, n));
      if (r === true) return this.decide(true);
      if (r !== false) return this.matchAsync(id, n, r);
    }
    return this.decide(false);
  }

  private async matchAsync(id: string, from: number, first: Promise<boolean>): Promise<void> {
    const pending = [first];
    for (let n = from + 1; n <= id.length; n++)
      pending.push(Promise.resolve(this.store.has(id.slice(0, n))));
    const found = (await Promise.all(pending)).includes(true);
    this.decide(found);
  }

  private decide(found: boolean): void {
    if (found !== this.allow) throw new ClientError('client is not allowed on this tracker');
  }
}

/** `type: client-list` — options: `mode` (allow|deny), `file`, `entries` (peer_id prefixes). */
export const clientListType: HookType = {
  check(options) {
    checkListOptions(options, parseClientPrefix);
  },
  async create(options, ctx) {
    const opts = checkListOptions(options, parseClientPrefix);
    const hook = new ClientListHook(ctx.name, opts.mode, await ctx.openStringStore());
    await hook.seed(opts, ctx.baseDir);
    return hook;
  },
};
