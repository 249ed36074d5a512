import { createHash } from 'node:crypto';
import type { AnnounceRequest } from '../../bittorrent/announce.js';

/** A user as privtrak accounts under it: the 16-byte key and the same bytes as a latin1 map key. */
export interface UserId {
  readonly key: Buffer;
  /** `key` as latin1: part of the counter key, computed once per user, not per announce. */
  readonly id: string;
}

/**
 * Derives the user an announce is accounted to. Pluggable: a site that identifies users some
 * other way supplies its own. `undefined` means "not accounted" (no passkey).
 */
export interface UserIdentifier {
  identify(req: AnnounceRequest): UserId | undefined;
}

/**
 * The default: MD5 of the passkey's UTF-8 bytes, the same bytes as the PostgreSQL generated
 * column `users.user_key` (an identifier, not a secret). Keys are cached by passkey in a
 * bounded map (oldest inserted evicted first) so the hot path hashes once per user, not per
 * announce.
 */
export class PasskeyUserIdentifier implements UserIdentifier {
  private readonly cache = new Map<string, UserId>();
  private readonly maxCached: number;

  constructor(maxCached = 100_000) {
    this.maxCached = Math.max(1, maxCached);
  }

  identify(req: AnnounceRequest): UserId | undefined {
    const passkey = req.passkey;
    if (passkey === '') return undefined;
    let user = this.cache.get(passkey);
    if (user !== undefined) return user;
    const key = createHash('md5').update(passkey, 'utf8').digest();
    user = { key, id: key.toString('latin1') };
    // FIFO eviction: cheaper than LRU bookkeeping on every hit, and a passkey evicted while in
    // use costs one MD5 on its next announce.
    if (this.cache.size >= this.maxCached) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(passkey, user);
    return user;
  }

  /** Number of cached passkeys. */
  get size(): number {
    return this.cache.size;
  }
}
