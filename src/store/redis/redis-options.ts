import { z } from 'zod';

/**
 * Options of every Redis driver (`storage.<kind>.options`). Stores whose connection options are
 * equal share one connection (see acquireRedis).
 */
export const redisOptionsSchema = z.strictObject({
  /** One Redis server: `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: z.string().min(1).default('redis://127.0.0.1:6379'),
  /** Redis Cluster instead: some of its nodes as `host:port`; `url` is then ignored. */
  cluster: z
    .array(z.string().regex(/^.+:\d+$/, 'expected host:port'))
    .min(1)
    .optional(),
  /** Prefix of every key this tracker writes; several trackers sharing a Redis share it. */
  prefix: z.string().default('shoal:'),
  /** Milliseconds to wait for a connection to open. */
  connectTimeout: z.number().int().min(100).max(60000).default(2000),
  /**
   * Milliseconds a command may take before it fails: bounds how long an announce waits on a
   * Redis that hangs. While Redis is unreachable commands fail at once (nothing is queued).
   */
  commandTimeout: z.number().int().min(10).max(60000).default(1000),
  /** Seconds to keep trying to reach Redis at start before giving up (0: fail at once). */
  startTimeout: z.number().min(0).max(3600).default(10),
});

export type RedisOptions = z.output<typeof redisOptionsSchema>;

/** Validates a Redis driver's options; throws an Error naming the bad one. */
export function parseRedisOptions(options: Readonly<Record<string, unknown>>): RedisOptions {
  const r = redisOptionsSchema.safeParse(options);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  if (i.code === 'unrecognized_keys') throw new Error(`unknown option: ${i.keys.join(', ')}`);
  throw new Error(`${i.path.join('.') || 'options'}: ${i.message}`);
}
