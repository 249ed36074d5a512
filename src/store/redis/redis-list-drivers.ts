import type { IPStoreDriver, StringStoreDriver } from '../driver.js';
import { acquireRedis } from './redis-connection.js';
import { RedisIPStore } from './redis-ip-store.js';
import { parseRedisOptions } from './redis-options.js';
import { RedisStringStore } from './redis-string-store.js';

/**
 * `storage.ips.driver: redis`: options as redisOptionsSchema (url or cluster, prefix, timeouts).
 * Each store is one set in the namespace it is opened for; stores on the same server share one
 * connection, which the last store's close() closes.
 */
export const redisIPs: IPStoreDriver = {
  async create(options, ctx) {
    const o = parseRedisOptions(options);
    const lease = await acquireRedis(o, ctx.log);
    return new RedisIPStore({
      client: lease.client,
      namespace: ctx.namespace,
      prefix: o.prefix,
      release: () => lease.release(),
    });
  },
};

/** `storage.strings.driver: redis`: the same options and connection sharing as `redisIPs`. */
export const redisStrings: StringStoreDriver = {
  async create(options, ctx) {
    const o = parseRedisOptions(options);
    const lease = await acquireRedis(o, ctx.log);
    return new RedisStringStore({
      client: lease.client,
      namespace: ctx.namespace,
      prefix: o.prefix,
      release: () => lease.release(),
    });
  },
};
