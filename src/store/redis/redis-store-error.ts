import { ShoalError } from '../../bittorrent/errors.js';

/** Code of every failed Redis command of a store: Redis down, a timeout, a bad reply. */
export const STORE_UNAVAILABLE = 'SHOAL_E_STORE_UNAVAILABLE';

/**
 * The error a Redis store rejects with when a command fails. It names the key, not the
 * arguments (they may be a client's address), and keeps ioredis's error as `cause` for the log.
 */
export function storeUnavailable(key: string, err: unknown): ShoalError {
  const why = err instanceof Error ? err.message : String(err);
  return new ShoalError(STORE_UNAVAILABLE, `Redis command on ${key} failed: ${why}`, {
    cause: err,
  });
}
