import type { RedisClient } from './redis-connection.js';

/**
 * What a Redis list store (RedisIPStore, RedisStringStore) is made of: both keep a store's
 * entries as the members of one Redis SET.
 */
export interface RedisSetStoreOptions {
  /** A connection the store uses but does not own (see acquireRedis). */
  readonly client: RedisClient;
  /** Which set: one per hook (DriverContext.namespace). */
  readonly namespace: string;
  /** Prefix of the key (default `shoal:`). */
  readonly prefix?: string;
  /** Called once by close(): the driver passes its connection lease's release. */
  readonly release?: () => Promise<void>;
}

/** An integer reply of 1 (SREM, SISMEMBER) as a boolean. */
export function isOne(reply: number): boolean {
  return reply === 1;
}

/** Drops a reply that the caller's promise does not carry. */
export function nothing(): void {}
