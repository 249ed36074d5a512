import { Cluster, Redis } from 'ioredis';
import { ShoalError } from '../../bittorrent/errors.js';
import type { Logger } from '../../log/logger.js';
import type { RedisOptions } from './redis-options.js';

/** A single Redis or a Redis Cluster: the commands the drivers use exist on both. */
export type RedisClient = Redis | Cluster;

/** A shared connection; `release` closes it when its last user lets go. */
export interface RedisLease {
  readonly client: RedisClient;
  readonly options: RedisOptions;
  release(): Promise<void>;
}

interface Shared {
  client: RedisClient;
  users: number;
  ready: Promise<void>;
}

const shared = new Map<string, Shared>();

function connectionKey(o: RedisOptions): string {
  return JSON.stringify([o.cluster ?? o.url, o.connectTimeout, o.commandTimeout]);
}

/** Reconnect delays: quick at first, then every 2 s, for ever (service comes back by itself). */
const retryDelay = (attempt: number): number => Math.min(100 * attempt, 2000);

function createClient(o: RedisOptions): RedisClient {
  const common = {
    lazyConnect: true,
    connectTimeout: o.connectTimeout,
    commandTimeout: o.commandTimeout,
    // Nothing waits for a connection: while Redis is away, commands fail at once, so announces
    // get a failure with `retry in` instead of piling up in memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: retryDelay,
  } as const;
  if (o.cluster !== undefined) {
    const nodes = o.cluster.map((hp) => {
      const i = hp.lastIndexOf(':');
      return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
    });
    return new Cluster(nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryDelay,
      redisOptions: common,
    });
  }
  return new Redis(o.url, common);
}

function where(o: RedisOptions): string {
  if (o.cluster !== undefined) return `Redis Cluster ${o.cluster.join(',')}`;
  return `Redis ${o.url.replace(/\/\/[^@/]*@/, '//***@')}`;
}

/** Connects, retrying until `startTimeout` has passed; rejects with SHOAL_E_REDIS_CONNECT. */
async function connect(client: RedisClient, o: RedisOptions, log: Logger): Promise<void> {
  const deadline = Date.now() + o.startTimeout * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.connect();
      if (client instanceof Redis) await client.ping();
      return;
    } catch (err) {
      const left = deadline - Date.now();
      if (left <= 0) {
        client.disconnect();
        throw new ShoalError(
          'SHOAL_E_REDIS_CONNECT',
          `cannot reach ${where(o)}: ${(err as Error).message}` +
            (o.startTimeout > 0 ? ` (tried for ${o.startTimeout} s)` : ''),
          { cause: err },
        );
      }
      log.warn(
        { code: 'SHOAL_W_REDIS_RETRY', attempt, err: (err as Error).message },
        `${where(o)} not reachable yet, retrying`,
      );
      client.disconnect();
      await new Promise((r) => setTimeout(r, Math.min(retryDelay(attempt) + 200, left)));
    }
  }
}

/**
 * A connection for these options, shared with every other store of this process that uses
 * the same server and timeouts. Connection state changes are logged (once per change, not per
 * failed command); ioredis reconnects by itself for ever.
 */
export async function acquireRedis(o: RedisOptions, log: Logger): Promise<RedisLease> {
  const key = connectionKey(o);
  let s = shared.get(key);
  if (s === undefined) {
    const client = createClient(o);
    let down = false;
    client.on('error', (err: Error) => {
      if (down) return;
      down = true;
      log.error({ code: 'SHOAL_E_REDIS_DOWN', err: err.message }, `${where(o)} unreachable`);
    });
    client.on('ready', () => {
      if (!down) return;
      down = false;
      log.info({ code: 'SHOAL_I_REDIS_UP' }, `${where(o)} reachable again`);
    });
    const entry: Shared = { client, users: 0, ready: connect(client, o, log) };
    s = entry;
    shared.set(key, entry);
    entry.ready.catch(() => {
      if (shared.get(key) === entry) shared.delete(key);
    });
  }
  const entry = s;
  entry.users++;
  try {
    await entry.ready;
  } catch (err) {
    entry.users--;
    throw err;
  }
  let released = false;
  return {
    client: entry.client,
    options: o,
    release: async () => {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      if (shared.get(key) === entry) shared.delete(key);
      try {
        await entry.client.quit();
      } catch {
        entry.client.disconnect();
      }
    },
  };
}
