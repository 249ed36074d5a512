import type { PeerStoreDriver } from '../driver.js';
import { acquireRedis } from './redis-connection.js';
import { parseRedisOptions } from './redis-options.js';
import { RedisPeerStore } from './redis-peer-store.js';

/** Default seconds between background sweep passes of the Redis PeerStore. */
export const DEFAULT_REDIS_SWEEP_INTERVAL = 60;

/**
 * `storage.peers.driver: redis`: swarms shared by every tracker using the same Redis (or Redis
 * Cluster) and `prefix`. Options: those of every Redis driver (url or cluster, prefix,
 * connectTimeout, commandTimeout, startTimeout; see redis-options.ts) plus `sweepInterval`,
 * seconds between background passes trimming expired peers (default 60, 0 turns them off).
 * Keys are `<prefix><namespace>:{<info hash hex>}:...` (docs/redis.md, "Key layout").
 */
export const redisPeers: PeerStoreDriver = {
  // Every process and machine on the same Redis and prefix sees the same swarms.
  shared: true,
  async create(options, ctx) {
    const { sweepInterval, ...rest } = options;
    if (
      sweepInterval !== undefined &&
      !(typeof sweepInterval === 'number' && sweepInterval >= 0 && Number.isFinite(sweepInterval))
    ) {
      throw new Error('sweepInterval: expected a number of seconds, 0 or more');
    }
    const o = parseRedisOptions(rest);
    const lease = await acquireRedis(o, ctx.log);
    try {
      return new RedisPeerStore({
        client: lease.client,
        release: () => lease.release(),
        keyPrefix: `${o.prefix}${ctx.namespace}:`,
        peerLifetime: ctx.peerLifetime,
        maxNumWant: ctx.maxNumWant,
        now: ctx.now,
        log: ctx.log,
        sweepInterval: sweepInterval ?? DEFAULT_REDIS_SWEEP_INTERVAL,
      });
    } catch (err) {
      await lease.release();
      throw err;
    }
  },
};
