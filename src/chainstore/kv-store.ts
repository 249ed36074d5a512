/**
 * The chain store's key-value interface: every store (memory, fs, lmdb, s3), every manager
 * (LRU, metrics) and the chain itself is a KvStore, so they stack in any order.
 *
 * Keys are strings or bytes, and name the same entry when their bytes are equal: a string key
 * is its UTF-8 bytes (`'a'` and `Uint8Array.of(0x61)` are one key). A string key must be
 * well-formed Unicode (a lone surrogate has no UTF-8 form; give such keys as bytes). A key is
 * 1 to KV_MAX_KEY_BYTES bytes; anything else rejects with SHOAL_E_KV_KEY. Values are any bytes,
 * empty included. A store keeps its own copy of a value: changing the array passed to `put`
 * afterwards changes nothing, and neither does changing an array `get` returned.
 *
 * Every operation takes optional `KvOpOptions`: an AbortSignal (rejects with
 * SHOAL_E_KV_ABORTED) and a timeout in milliseconds (rejects with SHOAL_E_KV_TIMEOUT), so an
 * operation on a dead disk or server reports an error instead of hanging. A store's own
 * `timeoutMs` option is the default for operations that give none (0 = no timeout).
 *
 * `kvStoreSuite` (in `shoal/testing`) checks every documented behaviour against a store.
 */
export interface KvStore {
  /** A short label for logs and metrics (`memory`, `fs`, `lmdb`, `s3`, `chain`...). */
  readonly kind: string;

  /** Opens the store (creates a directory, a database, checks a bucket); calling it twice is harmless. */
  open(opts?: KvOpOptions): Promise<void>;

  /** Waits for background work, then releases resources. Further operations reject. */
  close(): Promise<void>;

  /** Stores `value` under `key`, replacing any previous value. */
  put(key: KvKey, value: Uint8Array, opts?: KvOpOptions): Promise<void>;

  /** The value under `key`, or undefined when there is none. */
  get(key: KvKey, opts?: KvOpOptions): Promise<Uint8Array | undefined>;

  /** Removes `key`; removing an absent key is not an error. */
  del(key: KvKey, opts?: KvOpOptions): Promise<void>;

  /**
   * Optional capability: every key starting with the bytes of `prefix` (all keys for an empty
   * prefix), as bytes, in no particular order. Stores that cannot list (a chain that hashes its
   * keys) leave it undefined; code that needs it checks `typeof store.keys === 'function'`.
   */
  keys?(prefix: KvKey, opts?: KvOpOptions): Promise<Uint8Array[]>;
}

/** A key: a well-formed string (its UTF-8 bytes) or bytes. */
export type KvKey = string | Uint8Array;

/** Per-operation options. */
export interface KvOpOptions {
  /** Aborting rejects the operation with SHOAL_E_KV_ABORTED (work already sent may still land). */
  signal?: AbortSignal;
  /** Milliseconds before the operation rejects with SHOAL_E_KV_TIMEOUT; 0 for none. */
  timeoutMs?: number;
}

/**
 * Longest key, in bytes. S3 allows 1024 bytes of object key and the S3 store writes a key as
 * hex after a prefix, so 448 bytes (896 hex digits and 4 separators) leave 124 bytes for it.
 */
export const KV_MAX_KEY_BYTES = 448;
