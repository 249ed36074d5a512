/**
 * A set of strings: info hash lists, client (peer_id prefix) lists.
 *
 * Strings are binary-safe: any JavaScript string round-trips exactly, including the empty
 * string, NUL and every code unit from 0 to 0xFFFF (info hashes are kept as 20-byte latin1
 * strings). Methods may return a promise; the memory driver never does.
 *
 * `stringStoreSuite` (in `shoal/testing`) checks every documented behaviour against a driver.
 */
export interface StringStore {
  /** Adds `value`; adding it again changes nothing. */
  put(value: string): void | Promise<void>;

  /** True if `value` is in the set. */
  has(value: string): boolean | Promise<boolean>;

  /** Removes `value`; false if it was not there. */
  remove(value: string): boolean | Promise<boolean>;

  /** Optional capability (where it is cheap): the number of values. */
  count?(): number | Promise<number>;

  /** Optional capability (where it is cheap): every value, in no particular order. */
  list?(): string[] | Promise<string[]>;

  /** Optional capability: rejects when the store's server is unreachable (readiness). */
  ping?(): void | Promise<void>;
  /** Releases resources. Further calls are not allowed. */
  close(): Promise<void>;
}
