import type { DriverContext, IPStoreDriver, StoreDriver, StringStoreDriver } from '../driver.js';
import { acquireRedis } from './redis-connection.js';
import { RedisIPStore } from './redis-ip-store.js';
import { parseRedisOptions } from './redis-options.js';
import type { RedisSetStoreOptions } from './redis-set-store.js';
import { RedisStringStore } from './redis-string-store.js';

/**
 * A driver of stores kept as one Redis set per namespace: options as redisOptionsSchema (url or
 * cluster, prefix, timeouts); stores on the same server share one connection, which the last
 * store's close() closes.
 */
function setStoreDriver<S>(
  Store: new (o: RedisSetStoreOptions) => S,
): StoreDriver<S, DriverContext> {
  return {
    async create(options, ctx) {
      const o = parseRedisOptions(options);
      const lease = await acquireRedis(o, ctx.log);
      return new Store({
        client: lease.client,
        namespace: ctx.namespace,
        prefix: o.prefix,
        release: () => lease.release(),
      });
    },
  };
}

/** `storage.ips.driver: redis`. */
export const redisIPs: IPStoreDriver = setStoreDriver(RedisIPStore);

/** `storage.strings.driver: redis`. */
export const redisStrings: StringStoreDriver = setStoreDriver(RedisStringStore);
