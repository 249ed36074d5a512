import { after, before, describe } from 'node:test';
import { createLogger } from '../../log/logger.js';
import type { StringStore } from '../string-store.js';
import { stringStoreSuite } from '../suites/string-store-suite.js';
import type { RedisLease } from './redis-connection.js';
import { acquireRedis } from './redis-connection.js';
import { redisStrings } from './redis-list-drivers.js';
import { parseRedisOptions } from './redis-options.js';
import {
  deletePrefix,
  redisSkipReason,
  TEST_REDIS_CLUSTER,
  TEST_REDIS_URL,
  uniquePrefix,
} from './redis-test-support.js';

// The StringStore suite through the `redis` driver, on one Redis and on a Redis Cluster. Each case
// gets its own key prefix; the file's lease keeps the connection open between cases and
// deletes every key the cases wrote, the `close` case's included.
const log = createLogger('silent');
const targets = [
  { kind: 'single', skip: await redisSkipReason('single'), options: { url: TEST_REDIS_URL } },
  {
    kind: 'cluster',
    skip: await redisSkipReason('cluster'),
    options: { cluster: TEST_REDIS_CLUSTER },
  },
] as const;

for (const { kind, skip, options } of targets) {
  describe(`RedisStringStore on ${kind} Redis`, skip === null ? {} : { skip }, () => {
    const base = uniquePrefix(`strings-${kind}`);
    const prefixes = new Map<StringStore, string>();
    let lease: RedisLease;
    let n = 0;
    before(async () => {
      lease = await acquireRedis(parseRedisOptions(options), log);
    });
    after(async () => {
      await deletePrefix(lease.client, base);
      await lease.release();
    });
    stringStoreSuite({
      name: 'StringStore conformance',
      async create() {
        const prefix = `${base}${n++}:`;
        const store = await redisStrings.create(
          { ...options, prefix },
          {
            namespace: 'conformance',
            now: () => 0,
            log,
          },
        );
        prefixes.set(store, prefix);
        return store;
      },
      async dispose(store) {
        await store.close();
        await deletePrefix(lease.client, prefixes.get(store)!);
      },
    });
  });
}
