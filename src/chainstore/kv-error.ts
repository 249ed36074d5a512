import { ShoalError } from '../bittorrent/errors.js';

/**
 * Stable codes of chain store errors:
 * - SHOAL_E_KV_KEY: a key that is empty, too long or not well-formed Unicode.
 * - SHOAL_E_KV_TIMEOUT: an operation took longer than its timeout.
 * - SHOAL_E_KV_ABORTED: the operation's AbortSignal fired.
 * - SHOAL_E_KV_CLOSED: an operation on a store that is not open (never opened, or closed).
 * - SHOAL_E_KV_IO: the underlying disk, database or server failed (the cause is attached).
 * - SHOAL_E_KV_BACKGROUND: a chain's background write, back-fill or an LRU eviction failed.
 * - SHOAL_E_KV_UNSUPPORTED: an optional capability the store does not have (listing keys).
 * - SHOAL_E_KV_OPTIONS: bad store options.
 */
export type KvErrorCode =
  | 'SHOAL_E_KV_KEY'
  | 'SHOAL_E_KV_TIMEOUT'
  | 'SHOAL_E_KV_ABORTED'
  | 'SHOAL_E_KV_CLOSED'
  | 'SHOAL_E_KV_IO'
  | 'SHOAL_E_KV_BACKGROUND'
  | 'SHOAL_E_KV_UNSUPPORTED'
  | 'SHOAL_E_KV_OPTIONS';

/** An error of a chain store operation; `code` is one of KvErrorCode. */
export class KvError extends ShoalError {
  declare readonly code: KvErrorCode;

  constructor(code: KvErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** `err` as a KvError: itself when it is one, else wrapped as SHOAL_E_KV_IO. */
export function ioError(kind: string, op: string, err: unknown): KvError {
  if (err instanceof KvError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new KvError('SHOAL_E_KV_IO', `${kind} store: ${op} failed: ${msg}`, { cause: err });
}
