import { createLogger } from '../../log/logger.js';
import { stringStoreSuite } from '../suites/string-store-suite.js';
import { redisStrings } from './redis-list-drivers.js';
import { suiteOnEveryRedis } from './redis-test-support.js';

// The StringStore suite through the `redis` driver, on one Redis and on a Redis Cluster.
const log = createLogger('silent');
await suiteOnEveryRedis(
  'RedisStringStore',
  (options) => redisStrings.create(options, { namespace: 'conformance', now: () => 0, log }),
  (create, dispose) => stringStoreSuite({ name: 'StringStore conformance', create, dispose }),
);
