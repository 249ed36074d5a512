import { after, before, describe } from 'node:test';
import { createLogger } from '../../log/logger.js';
import type { PeerStore } from '../peer-store.js';
import { peerStoreSuite } from '../suites/peer-store-suite.js';
import { acquireRedis } from './redis-connection.js';
import type { RedisLease } from './redis-connection.js';
import { parseRedisOptions } from './redis-options.js';
import { redisPeers } from './redis-peer-driver.js';
import {
  deletePrefix,
  redisSkipReason,
  TEST_REDIS_CLUSTER,
  TEST_REDIS_URL,
  uniquePrefix,
} from './redis-test-support.js';

const log = createLogger('silent');

/**
 * The PeerStore suite against one server. A lease held for the whole block keeps the shared
 * connection open between tests (each store's own lease reuses it); every test gets its own
 * key prefix, deleted after the test.
 */
function suiteOn(
  kind: 'single' | 'cluster',
  server: Record<string, unknown>,
  skip: string | null,
): void {
  describe(`RedisPeerStore on a ${kind} Redis`, { skip: skip ?? false }, () => {
    let lease: RedisLease;
    const prefixes = new Map<PeerStore, string>();
    before(async () => {
      lease = await acquireRedis(parseRedisOptions(server), log);
    });
    after(() => lease.release());
    peerStoreSuite({
      name: `RedisPeerStore conformance (${kind})`,
      async create(ctx) {
        const prefix = uniquePrefix(`peers-${kind}`);
        const store = await redisPeers.create(
          { ...server, prefix, sweepInterval: 0 },
          { ...ctx, namespace: 'peers', log },
        );
        prefixes.set(store, prefix);
        return store;
      },
      async dispose(store) {
        await store.close();
        await deletePrefix(lease.client, prefixes.get(store)!);
        prefixes.delete(store);
      },
    });
  });
}

suiteOn('single', { url: TEST_REDIS_URL }, await redisSkipReason('single'));
suiteOn('cluster', { cluster: TEST_REDIS_CLUSTER }, await redisSkipReason('cluster'));
