import { ShoalError } from '../../bittorrent/errors.js';
import type { StringStore } from '../string-store.js';
import type { RedisClient } from './redis-connection.js';
import { isOne, nothing } from './redis-set-store.js';
import type { RedisSetStoreOptions } from './redis-set-store.js';
import { storeUnavailable } from './redis-store-error.js';

/** What a RedisStringStore is made of. */
export type RedisStringStoreOptions = RedisSetStoreOptions;

/** Tag byte of a value whose code units are all 0..0xFF: one byte each (latin1) follows. */
export const STRING_TAG_LATIN1 = 0;
/** Tag byte of any other value: its UTF-16 code units follow, two bytes each, little-endian. */
export const STRING_TAG_UTF16 = 1;

/** Code of list() meeting a member that no RedisStringStore wrote. */
export const STORE_BAD_MEMBER = 'SHOAL_E_STORE_BAD_MEMBER';

/** How many members one SSCAN asks for: bounds how long Redis and each reply take. */
const SCAN_COUNT = 1000;

/** The key of a store's set: the namespace is the hash tag, so a store sits in one slot. */
export function redisStringStoreKey(prefix: string, namespace: string): string {
  return `${prefix}{${namespace}}:strings`;
}

/**
 * A value's bytes in Redis. Any JavaScript string is a sequence of 16-bit code units, not
 * necessarily valid UTF-16 (a lone surrogate is a string too), so UTF-8 would lose some. Most
 * values are latin1 (info hashes as the tracker keys them, peer id prefixes, ASCII names): those
 * take a tag byte 0 and one byte per code unit, so an info hash is 21 bytes. Anything else
 * takes a tag byte 1 and UTF-16LE, which keeps every code unit as it is. Each string has
 * exactly one encoding (latin1 whenever it fits), so equal strings are equal members.
 */
export function encodeString(s: string): Buffer {
  const n = s.length;
  let i = 0;
  while (i < n && s.charCodeAt(i) <= 0xff) i++;
  if (i === n) {
    const b = Buffer.allocUnsafe(1 + n);
    b[0] = STRING_TAG_LATIN1;
    b.write(s, 1, 'latin1');
    return b;
  }
  const b = Buffer.allocUnsafe(1 + 2 * n);
  b[0] = STRING_TAG_UTF16;
  b.write(s, 1, 'utf16le');
  return b;
}

/** The string of a member written by encodeString; null for any other bytes. */
export function decodeString(b: Buffer): string | null {
  if (b.length === 0) return null;
  if (b[0] === STRING_TAG_LATIN1) return b.toString('latin1', 1);
  if (b[0] === STRING_TAG_UTF16 && b.length % 2 === 1) return b.toString('utf16le', 1);
  return null;
}

/**
 * StringStore on Redis: the values of a store are the members of one Redis SET,
 * `<prefix>{<namespace>}:strings`, encoded by encodeString. put, has, remove and count are one
 * command each (SADD, SISMEMBER, SREM, SCARD).
 *
 * list() walks the set with SSCAN, a thousand members per round trip, instead of one SMEMBERS:
 * a large list then never holds up the Redis that announces share, and no reply grows past
 * what the command timeout allows. Its cost is O(values) in all, one round trip per thousand.
 * It is not a snapshot: a value added or removed while it runs may or may not be listed (SSCAN
 * may return a member twice; list() returns each value once).
 *
 * A failed command (Redis down, a timeout) rejects with a ShoalError `SHOAL_E_STORE_UNAVAILABLE`.
 */
export class RedisStringStore implements StringStore {
  /** The Redis key of the set. */
  readonly key: string;
  private readonly client: RedisClient;
  private readonly release: (() => Promise<void>) | undefined;
  /** One rejection handler per store, not a closure per command. */
  private readonly fail: (err: unknown) => never;

  constructor(o: RedisStringStoreOptions) {
    this.client = o.client;
    this.key = redisStringStoreKey(o.prefix ?? 'shoal:', o.namespace);
    this.release = o.release;
    const key = this.key;
    this.fail = (err) => {
      throw storeUnavailable(key, err);
    };
  }

  put(value: string): Promise<void> {
    return this.client.sadd(this.key, encodeString(value)).then(nothing, this.fail);
  }

  has(value: string): Promise<boolean> {
    return this.client.sismember(this.key, encodeString(value)).then(isOne, this.fail);
  }

  remove(value: string): Promise<boolean> {
    return this.client.srem(this.key, encodeString(value)).then(isOne, this.fail);
  }

  count(): Promise<number> {
    return this.client.scard(this.key).then(Number, this.fail);
  }

  /**
   * Every value once. Rejects with `SHOAL_E_STORE_BAD_MEMBER` if the set holds a member that
   * encodeString cannot have written (one added by hand without its tag byte).
   */
  async list(): Promise<string[]> {
    const values = new Set<string>();
    let cursor = '0';
    do {
      let members: Buffer[];
      try {
        [cursor, members] = await this.sscan(cursor);
      } catch (err) {
        this.fail(err);
      }
      for (const m of members) {
        const v = decodeString(m);
        if (v === null) {
          throw new ShoalError(
            STORE_BAD_MEMBER,
            `${this.key} holds a member Shoal did not write: 0x${m.subarray(0, 32).toString('hex')}`,
          );
        }
        values.add(v);
      }
    } while (cursor !== '0');
    return [...values];
  }

  private async sscan(cursor: string): Promise<[string, Buffer[]]> {
    const [next, members] = await this.client.sscanBuffer(this.key, cursor, 'COUNT', SCAN_COUNT);
    return [next.toString('latin1'), members];
  }

  /** Readiness: one PING through this store's connection (rejects when Redis is gone). */
  async ping(): Promise<void> {
    await this.client.ping().catch(this.fail);
  }

  /** Lets go of the connection; the values stay in Redis (they are the list). */
  async close(): Promise<void> {
    await this.release?.();
  }
}
