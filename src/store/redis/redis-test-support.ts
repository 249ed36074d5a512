import { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-connection.js';
import { escapeGlob } from './escape-glob.js';

/**
 * What the Redis driver tests share: where the test servers are, whether to run, and a clean
 * keyspace per test. Tests need a real Redis (and a real Redis Cluster for the cluster cases):
 * under CI (`CI=true`) an unreachable server fails the tests; elsewhere they are skipped with a
 * message saying how to enable them.
 */

/** The single Redis the tests use (`SHOAL_TEST_REDIS`, default 127.0.0.1:6379). */
export const TEST_REDIS_URL = process.env['SHOAL_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

/** Nodes of the test Redis Cluster (`SHOAL_TEST_REDIS_CLUSTER`, default 127.0.0.1:7000). */
export const TEST_REDIS_CLUSTER = (process.env['SHOAL_TEST_REDIS_CLUSTER'] ?? '127.0.0.1:7000')
  .split(',')
  .map((s) => s.trim());

const IN_CI = process.env['CI'] === 'true';

/** Null when the server answers (and, for the cluster node, the cluster is ok); else why not. */
async function probe(kind: 'single' | 'cluster'): Promise<string | null> {
  const node = kind === 'single' ? TEST_REDIS_URL : `redis://${TEST_REDIS_CLUSTER[0]!}`;
  const what = kind === 'single' ? 'Redis' : 'Redis Cluster';
  const r = new Redis(node, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    if (kind === 'single') {
      await r.ping();
    } else if (!String(await r.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
      return `${what} at ${node} is not ok`;
    }
    return null;
  } catch (err) {
    return `${what} not reachable at ${node} (${(err as Error).message})`;
  } finally {
    r.disconnect();
  }
}

/**
 * Null when the test server is there. Otherwise: under CI, throws (the test file fails); on a
 * laptop, returns the skip reason with how to enable the tests.
 */
export async function redisSkipReason(kind: 'single' | 'cluster'): Promise<string | null> {
  const problem = await probe(kind);
  if (problem === null) return null;
  const how =
    kind === 'single'
      ? 'start one (redis-server --port 6379 --save "") or set SHOAL_TEST_REDIS'
      : 'run bash scripts/start-redis-cluster.sh or set SHOAL_TEST_REDIS_CLUSTER';
  if (IN_CI) throw new Error(`${problem}: Redis tests cannot be skipped under CI; ${how}`);
  return `${problem}; to run these tests, ${how}`;
}

let counter = 0;

/** A key prefix no other test (or test process) uses. */
export function uniquePrefix(what: string): string {
  return `shoal-test:${what}:${process.pid}:${Date.now().toString(36)}:${counter++}:`;
}

/** Deletes every key under `prefix` (on every master of a cluster). */
export async function deletePrefix(client: RedisClient, prefix: string): Promise<void> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) {
        // Keys of one node may still span slots: delete one at a time on a cluster.
        if (client instanceof Cluster) for (const k of keys) await node.unlink(k);
        else await node.unlink(...keys);
      }
    } while (cursor !== '0');
  }
}

/** A store made for one conformance case, with the key prefix its keys live under. */
interface Made<S> {
  store: S;
  prefix: string;
}

/**
 * Declares a conformance suite once per test server (a single Redis, then the Redis Cluster),
 * skipped (or, under CI, failed) when that server is missing. `suite` gets a `create` that makes
 * each case's store under a fresh key prefix (`make` receives the server options with that
 * prefix, and whatever the suite passes), and a `dispose` that closes the store and deletes its
 * keys. A lease held for the whole block keeps the shared connection open between cases.
 */
export async function suiteOnEveryRedis<S extends { close(): Promise<void> }, A extends unknown[]>(
  title: string,
  make: (options: Record<string, unknown>, ...args: A) => S | Promise<S>,
  suite: (create: (...args: A) => Promise<S>, dispose: (store: S) => Promise<void>) => void,
): Promise<void> {
  const { after, before, describe } = await import('node:test');
  const { createLogger } = await import('../../log/logger.js');
  const { acquireRedis } = await import('./redis-connection.js');
  const { parseRedisOptions } = await import('./redis-options.js');
  const log = createLogger('silent');
  const servers = [
    { kind: 'single', options: { url: TEST_REDIS_URL }, skip: await redisSkipReason('single') },
    {
      kind: 'cluster',
      options: { cluster: TEST_REDIS_CLUSTER },
      skip: await redisSkipReason('cluster'),
    },
  ] as const;
  for (const { kind, options, skip } of servers) {
    describe(`${title} on a ${kind} Redis`, { skip: skip ?? false }, () => {
      const made = new Map<S, Made<S>>();
      let lease: Awaited<ReturnType<typeof acquireRedis>>;
      before(async () => {
        lease = await acquireRedis(parseRedisOptions(options), log);
      });
      after(async () => {
        // Stores a case closed itself (the `close` case) were never disposed: their keys too.
        for (const m of made.values()) await deletePrefix(lease.client, m.prefix);
        await lease.release();
      });
      suite(
        async (...args: A) => {
          const prefix = uniquePrefix(`${title}-${kind}`);
          const store = await make({ ...options, prefix }, ...args);
          made.set(store, { store, prefix });
          return store;
        },
        async (store: S) => {
          await store.close();
          const m = made.get(store);
          if (m !== undefined) await deletePrefix(lease.client, m.prefix);
          made.delete(store);
        },
      );
    });
  }
}
