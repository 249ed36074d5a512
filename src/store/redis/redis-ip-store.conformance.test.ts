import { createLogger } from '../../log/logger.js';
import { ipStoreSuite } from '../suites/ip-store-suite.js';
import { redisIPs } from './redis-list-drivers.js';
import { suiteOnEveryRedis } from './redis-test-support.js';

// The IPStore suite through the `redis` driver, on one Redis and on a Redis Cluster.
const log = createLogger('silent');
await suiteOnEveryRedis(
  'RedisIPStore',
  (options) => redisIPs.create(options, { namespace: 'conformance', now: () => 0, log }),
  (create, dispose) => ipStoreSuite({ name: 'IPStore conformance', create, dispose }),
);
