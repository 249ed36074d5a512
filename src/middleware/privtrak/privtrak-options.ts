import { z } from 'zod';

/**
 * Options of privtrak as the config file gives them (`private.accounting`). Durations are in
 * seconds. `peerLifetime` should be the tracker's `announce.peerLifetime`: a counter not
 * announced for that long is purged, like the peer in the swarm.
 */
export const privtrakOptionsSchema = z.strictObject({
  /** Send pending deltas at least this often. */
  flushInterval: z.number().positive().max(3600).default(10),
  /** Most deltas in one batch; reaching it starts a flush without waiting for the interval. */
  maxBatch: z.number().int().min(1).max(100_000).default(1000),
  /** Most pending deltas (keys); above it announces fail with "retry in" until a flush succeeds. */
  maxPending: z.number().int().min(1).max(10_000_000).default(200_000),
  /** Spool file (crash safety); null keeps pending deltas in memory only. */
  spool: z.string().min(1).nullable().default(null),
  /** fdatasync the spool after every write: survives power loss, at a large cost per announce. */
  spoolSync: z.boolean().default(false),
  /** Rewrite (compact) the spool when it grows past this many bytes. */
  spoolCompactBytes: z
    .number()
    .int()
    .min(4096)
    .default(64 * 1024 * 1024),
  /** Seconds after the last announce when a counter is purged (the tracker's announce.peerLifetime). */
  peerLifetime: z.number().int().min(1).max(86400).default(2700),
  /** Counter maps per instance; each has its own stale-counter sweep. */
  shards: z.number().int().min(1).max(256).default(16),
  /** First delay after a failed batch; doubles per failure up to retryMax. */
  retryMin: z.number().positive().default(1),
  retryMax: z.number().positive().default(60),
  /** At shutdown, keep retrying the handler this long before leaving the rest in the spool. */
  closeTimeout: z.number().min(0).max(3600).default(15),
  /** `retry in` (BEP 31) sent with a "too busy" failure. */
  busyRetryIn: z.number().int().min(1).max(86400).default(60),
  /** Passkeys whose user key is cached. */
  userCacheSize: z.number().int().min(1).default(100_000),
});

/** Validated options, defaults filled in. */
export type PrivtrakOptions = z.output<typeof privtrakOptionsSchema>;
/** What a config file may write. */
export type PrivtrakOptionsInput = z.input<typeof privtrakOptionsSchema>;
