import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import { EVENT_COMPLETED, EVENT_NONE, EVENT_STOPPED } from '../../bittorrent/event.js';
import type { AnnounceEvent } from '../../bittorrent/event.js';
import { createLogger } from '../../log/logger.js';
import type { PeerStore } from '../peer-store.js';
import { peerStoreDrivers } from '../registry.js';
import { announceRequest, infoHashKey, peerV4, peerV6 } from '../suites/peer-fixtures.js';
import { acquireRedis } from './redis-connection.js';
import type { RedisClient, RedisLease } from './redis-connection.js';
import { parseRedisOptions } from './redis-options.js';
import { redisPeers } from './redis-peer-driver.js';
import { escapeGlob } from './escape-glob.js';
import {
  deletePrefix,
  redisSkipReason,
  TEST_REDIS_CLUSTER,
  TEST_REDIS_URL,
  uniquePrefix,
} from './redis-test-support.js';

const log = createLogger('silent');
const LIFETIME = 640;
const SINGLE = { url: TEST_REDIS_URL };
const CLUSTER = { cluster: TEST_REDIS_CLUSTER };
const H = infoHashKey(1);
const HEX = Buffer.from(H, 'latin1').toString('hex');

/** A store on a fresh prefix with a fake clock, and what a test needs to look at its keys. */
interface Opened {
  store: PeerStore;
  prefix: string;
  clock: { t: number };
}

async function open(
  server: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  prefix = uniquePrefix('rpeer'),
  clock = { t: 1_000_000 },
): Promise<Opened> {
  const store = await redisPeers.create(
    { ...server, prefix, sweepInterval: 0, ...extra },
    { namespace: 'peers', log, now: () => clock.t, peerLifetime: LIFETIME, maxNumWant: 50 },
  );
  return { store, prefix, clock };
}

async function announce(
  store: PeerStore,
  hash: string,
  peer: Buffer,
  left: number,
  event: AnnounceEvent = EVENT_NONE,
  numWant = 50,
): Promise<AnnounceResponse> {
  const res = new AnnounceResponse();
  await store.announce(announceRequest(hash, peer, left, event), numWant, res);
  return res;
}

/** Every key under `prefix`, on every master. */
async function keysOf(client: RedisClient, prefix: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, page] = await node.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      keys.push(...page);
    } while (cursor !== '0');
  }
  return keys.sort();
}

function recordsOf(peers: Buffer, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < peers.length; i += size) out.push(peers.toString('hex', i, i + size));
  return out;
}

describe('redis peer driver options', () => {
  const ctx = { namespace: 'peers', log, now: () => 0, peerLifetime: 60, maxNumWant: 10 };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ nonsense: 1 }, /unknown option: nonsense/],
    [{ sweepInterval: -1 }, /sweepInterval: expected a number of seconds/],
    [{ sweepInterval: '60' }, /sweepInterval: expected a number of seconds/],
    [{ url: 5 }, /Error: url: /],
    [{ cluster: ['no-port'] }, /Error: cluster\.0: expected host:port/],
    [{ commandTimeout: 1 }, /Error: commandTimeout: /],
  ];
  for (const [options, message] of cases) {
    it(`rejects ${JSON.stringify(options)} before connecting`, async () => {
      await assert.rejects(async () => redisPeers.create(options, ctx), message);
    });
  }

  it('is registered as `redis`', async () => {
    assert.equal(await peerStoreDrivers.get('redis'), redisPeers);
  });
});

const singleSkip = await redisSkipReason('single');

describe('RedisPeerStore on a single Redis', { skip: singleSkip ?? false }, () => {
  let lease: RedisLease;
  const prefixes: string[] = [];
  const stores: PeerStore[] = [];
  /** Opens a store that is closed and deleted after the block. */
  async function track(o: Promise<Opened>): Promise<Opened> {
    const opened = await o;
    stores.push(opened.store);
    prefixes.push(opened.prefix);
    return opened;
  }
  before(async () => {
    lease = await acquireRedis(parseRedisOptions(SINGLE), log);
  });
  after(async () => {
    for (const s of stores) await s.close();
    for (const p of prefixes) await deletePrefix(lease.client, p);
    await lease.release();
  });

  it('writes the documented keys, each with a TTL of about the peer lifetime', async () => {
    const { store, prefix } = await track(open(SINGLE));
    await announce(store, H, peerV4(1), 5);
    await announce(store, H, peerV4(2), 0);
    await announce(store, H, peerV6(1), 5);
    await announce(store, H, peerV6(2), 9, EVENT_COMPLETED);
    const base = `${prefix}peers:{${HEX}}:`;
    const keys = await keysOf(lease.client, prefix);
    assert.deepEqual(
      keys,
      ['d', 'l4', 'l6', 's4', 's6'].map((s) => base + s),
    );
    for (const key of keys) {
      const ttl = await lease.client.pttl(key);
      assert.ok(ttl > (LIFETIME - 5) * 1000 && ttl <= (LIFETIME + 1) * 1000, `${key}: ${ttl} ms`);
    }
    assert.equal(await lease.client.get(`${base}d`), '1');
    const s4 = await lease.client.zrangeBuffer(`${base}s4`, '0', '-1', 'WITHSCORES');
    assert.deepEqual(
      s4.map((b) => b.toString('hex')),
      [peerV4(2).toString('hex'), Buffer.from('1000000').toString('hex')],
      'member: the compact peer; score: the clock',
    );
  });

  it('counts only fresh peers on scrape (no write) and trims a swarm an announce touches', async () => {
    const { store, prefix, clock } = await track(open(SINGLE));
    await store.putSeeder(H, peerV4(1));
    await store.putLeecher(H, peerV6(1));
    clock.t += LIFETIME / 2;
    await store.putLeecher(H, peerV4(2));
    clock.t += LIFETIME / 2 + 1;
    const base = `${prefix}peers:{${HEX}}:`;
    const entry = new ScrapeEntry();
    await store.scrape(H, entry);
    assert.deepEqual([entry.complete, entry.incomplete], [0, 1]);
    assert.equal(await lease.client.zcard(`${base}s4`), 1, 'scrape leaves the expired seeder');
    const res = await announce(store, H, peerV4(3), 5);
    assert.deepEqual([res.complete, res.incomplete], [0, 2]);
    assert.deepEqual(recordsOf(res.peers, 6), [peerV4(2).toString('hex')]);
    assert.equal(await lease.client.exists(`${base}s4`), 0, 'the announce trimmed its family');
    assert.equal(
      await lease.client.zcard(`${base}l6`),
      1,
      'the other family is counted by freshness, and left to the sweep',
    );
  });

  it('clear() deletes every key of its prefix, and only those', async () => {
    const a = await track(open(SINGLE));
    const b = await track(open(SINGLE));
    for (const { store } of [a, b]) {
      await announce(store, H, peerV4(1), 0, EVENT_COMPLETED);
      await store.putLeecher(infoHashKey(2), peerV6(1));
    }
    await (a.store as PeerStore & { clear(): Promise<void> }).clear();
    assert.deepEqual(await keysOf(lease.client, a.prefix), []);
    assert.equal(
      (await keysOf(lease.client, b.prefix)).length,
      3,
      's4 and d of H, l6 of the other',
    );
  });

  it('sends one command per announce and never reads a whole swarm larger than numWant', async () => {
    const { store, prefix } = await track(open(SINGLE));
    for (let i = 0; i < 400; i++) {
      await (i % 2 === 0 ? store.putSeeder(H, peerV4(i)) : store.putLeecher(H, peerV4(i)));
    }
    await announce(store, H, peerV4(9999), 5); // loads the script on this connection
    // monitor() opens a connection of its own; the lazy client it comes from never connects.
    const origin = new Redis(TEST_REDIS_URL, { lazyConnect: true });
    const monitor = await origin.monitor();
    const seen: { source: string; args: string[] }[] = [];
    const marker = `${prefix}marker`;
    const done = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (args[1] === marker) resolve();
        else if (args.some((a) => a.includes(prefix))) seen.push({ source, args });
      });
    });
    try {
      for (let j = 0; j < 5; j++) await announce(store, H, peerV4(10_000 + j), 5);
      for (let j = 0; j < 5; j++) await announce(store, H, peerV4(20_000 + j), 0);
      await lease.client.exists(marker);
      await done;
    } finally {
      monitor.disconnect();
      origin.disconnect();
    }
    const sent = seen.filter((e) => e.source !== 'lua');
    assert.deepEqual(
      sent.map((e) => e.args[0]?.toLowerCase()),
      Array(10).fill('evalsha'),
      'one EVALSHA per announce, nothing else',
    );
    const inScript = seen.filter((e) => e.source === 'lua');
    assert.ok(inScript.length > 0, 'MONITOR shows the commands scripts run');
    let windows = 0;
    for (const { args } of inScript) {
      const name = args[0]!.toLowerCase();
      assert.ok(!['zrangebyscore', 'zscan', 'smembers', 'hgetall', 'zrandmember'].includes(name));
      if (name !== 'zrange') continue;
      windows++;
      // Sets of 200 and more: a window of at most 50 ranks, or the tail of a wrapped one.
      const [start, stop] = [args[2]!, args[3]!];
      if (stop === '-1') assert.notEqual(start, '0', 'a whole set was read');
      else assert.ok(Number(stop) - Number(start) < 50, args.join(' '));
    }
    assert.ok(windows >= 10, 'peers are read through rank windows');
  });

  it('keeps the peers of every concurrent response apart', async () => {
    const { store } = await track(open(SINGLE));
    const members = new Set<string>();
    for (let i = 0; i < 100; i++) {
      await store.putLeecher(H, peerV4(i));
      members.add(peerV4(i).toString('hex'));
    }
    const snapshots: string[] = [];
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, j) =>
        announce(store, H, peerV4(1000 + j), 0, EVENT_NONE, 20).then((res) => {
          snapshots[j] = res.peers.toString('hex');
          return res;
        }),
      ),
    );
    for (let j = 0; j < 200; j++) await announce(store, H, peerV4(2000 + j), 5);
    responses.forEach((res, j) => {
      assert.equal(res.peerCount, 20);
      assert.equal(res.peers.toString('hex'), snapshots[j], `response ${j} was overwritten`);
      for (const p of recordsOf(res.peers, 6)) assert.ok(members.has(p), p);
    });
  });

  it('shares swarms between two stores (two trackers) on the same prefix', async () => {
    // Other connection options give the second store a connection of its own, as a second
    // tracker process would have.
    const a = await track(open(SINGLE));
    const b = await track(open({ ...SINGLE, commandTimeout: 1500 }, {}, a.prefix, a.clock));
    await announce(a.store, H, peerV4(1), 5);
    await announce(a.store, H, peerV6(1), 0, EVENT_COMPLETED);
    const seen = await announce(b.store, H, peerV4(2), 0);
    assert.deepEqual(recordsOf(seen.peers, 6), [peerV4(1).toString('hex')]);
    assert.deepEqual([seen.complete, seen.incomplete, seen.downloaded], [2, 1, 1]);
    await announce(b.store, H, peerV4(1), 5, EVENT_STOPPED);
    const after = await announce(a.store, H, peerV4(3), 5);
    assert.deepEqual(recordsOf(after.peers, 6), [peerV4(2).toString('hex')]);
    assert.deepEqual([after.complete, after.incomplete, after.downloaded], [2, 1, 1]);
  });

  it('trims expired peers in the background, and stops when closed', async () => {
    const { store, prefix, clock } = await track(open(SINGLE, { sweepInterval: 0.05 }));
    await store.putSeeder(H, peerV4(1));
    await store.putLeecher(H, peerV6(1));
    await store.putLeecher(infoHashKey(2), peerV4(2));
    clock.t += LIFETIME / 2;
    await store.putLeecher(infoHashKey(2), peerV4(3));
    clock.t += LIFETIME / 2 + 1;
    const base = `${prefix}peers:{${HEX}}:`;
    const other = `${prefix}peers:{${Buffer.from(infoHashKey(2), 'latin1').toString('hex')}}:`;
    // A pass visits the swarms in SCAN order: wait until it has been through both.
    const swept = async (): Promise<boolean> =>
      (await lease.client.exists(`${base}s4`, `${base}l6`)) === 0 &&
      (await lease.client.zcard(`${other}l4`)) === 1;
    for (let i = 0; i < 100 && !(await swept()); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await lease.client.exists(`${base}s4`, `${base}l6`), 0, 'expired swarm trimmed');
    const kept = await lease.client.zrangeBuffer(`${other}l4`, '0', '-1');
    assert.deepEqual(
      kept.map((b) => b.toString('hex')),
      [peerV4(3).toString('hex')],
    );
    await store.close();
    await lease.client.zadd(`${other}l4`, 0, 'stale');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await lease.client.zcard(`${other}l4`), 2, 'no sweep after close()');
  });
});

const clusterSkip = await redisSkipReason('cluster');

describe('RedisPeerStore on a Redis Cluster', { skip: clusterSkip ?? false }, () => {
  let lease: RedisLease;
  let opened: Opened;
  before(async () => {
    lease = await acquireRedis(parseRedisOptions(CLUSTER), log);
    opened = await open(CLUSTER);
  });
  after(async () => {
    await opened.store.close();
    await deletePrefix(lease.client, opened.prefix);
    await lease.release();
  });

  it('puts the keys of one info hash in one slot, and swarms on every master', async () => {
    const { store, prefix } = opened;
    const hashes = Array.from({ length: 12 }, (_, i) => infoHashKey(100 + i));
    for (const h of hashes) {
      await announce(store, h, peerV4(1), 5);
      await announce(store, h, peerV4(2), 0, EVENT_COMPLETED);
      await store.putLeecher(h, peerV6(1));
      await store.putSeeder(h, peerV6(2));
    }
    const keys = await keysOf(lease.client, prefix);
    assert.equal(keys.length, hashes.length * 5);
    const slotOf = async (key: string): Promise<number> =>
      Number(await lease.client.call('CLUSTER', 'KEYSLOT', key));
    const nodesUsed = new Set<string>();
    for (const h of hashes) {
      const base = `${prefix}peers:{${Buffer.from(h, 'latin1').toString('hex')}}:`;
      const slot = await slotOf(`${base}s4`);
      for (const suffix of ['l4', 's6', 'l6', 'd']) {
        assert.ok(keys.includes(base + suffix), base + suffix);
        assert.equal(await slotOf(base + suffix), slot, `${base}${suffix} shares the slot`);
      }
      const node = (lease.client as Cluster).slots[slot]?.[0];
      if (node !== undefined) nodesUsed.add(node);
    }
    assert.ok(nodesUsed.size > 1, 'the swarms spread over several masters');
  });

  it('sweep() trims the swarms of every master', async () => {
    const { store, prefix, clock } = opened;
    clock.t += LIFETIME + 1;
    await store.sweep();
    const left = await keysOf(lease.client, prefix);
    assert.ok(left.length > 0 && left.every((k) => k.endsWith(':d')), left.join(' '));
  });
});
