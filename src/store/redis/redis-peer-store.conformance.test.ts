import { createLogger } from '../../log/logger.js';
import { peerStoreSuite } from '../suites/peer-store-suite.js';
import type { PeerStoreContext } from '../driver.js';
import { redisPeers } from './redis-peer-driver.js';
import { suiteOnEveryRedis } from './redis-test-support.js';

// The PeerStore suite through the `redis` driver, on one Redis and on a Redis Cluster.
const log = createLogger('silent');
await suiteOnEveryRedis(
  'RedisPeerStore',
  (options, ctx: Omit<PeerStoreContext, 'namespace' | 'log'>) =>
    redisPeers.create({ ...options, sweepInterval: 0 }, { ...ctx, namespace: 'peers', log }),
  (create, dispose) => peerStoreSuite({ name: 'RedisPeerStore conformance', create, dispose }),
);
