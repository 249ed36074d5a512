import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { parseIP } from '../../bittorrent/address.js';
import { parseNetwork } from '../../bittorrent/cidr.js';
import { ShoalError } from '../../bittorrent/errors.js';
import type { Network } from '../../bittorrent/cidr.js';
import { createLogger } from '../../log/logger.js';
import type { DriverContext } from '../driver.js';
import type { IPStore } from '../ip-store.js';
import { ipStoreDrivers, stringStoreDrivers } from '../registry.js';
import type { StringStore } from '../string-store.js';
import type { RedisClient, RedisLease } from './redis-connection.js';
import { acquireRedis } from './redis-connection.js';
import { RedisIPStore, redisIPStoreKey } from './redis-ip-store.js';
import { redisIPs, redisStrings } from './redis-list-drivers.js';
import { parseRedisOptions } from './redis-options.js';
import { STORE_UNAVAILABLE } from './redis-store-error.js';
import { redisStringStoreKey, STORE_BAD_MEMBER } from './redis-string-store.js';
import {
  deletePrefix,
  redisSkipReason,
  TEST_REDIS_CLUSTER,
  TEST_REDIS_URL,
  uniquePrefix,
} from './redis-test-support.js';

// What the conformance suites cannot see: the bytes in Redis, the number of commands sent,
// slots, namespaces, several instances, options and failures.

const log = createLogger('silent');
const ctx = (namespace: string): DriverContext => ({ namespace, now: () => 0, log });
const singleSkip = await redisSkipReason('single');
const clusterSkip = await redisSkipReason('cluster');

function ip(text: string): Buffer {
  const b = Buffer.alloc(16);
  return b.subarray(0, parseIP(text, b) === 4 ? 4 : 16);
}

/** Polls `ok` every 10 ms for up to 5 s. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

/** Asserts that `p` rejects with a ShoalError `SHOAL_E_STORE_UNAVAILABLE` carrying a cause. */
async function rejectsUnavailable(p: unknown, what: string): Promise<void> {
  await assert.rejects(
    Promise.resolve(p),
    (err: unknown) =>
      err instanceof ShoalError && err.code === STORE_UNAVAILABLE && err.cause instanceof Error,
    what,
  );
}

/** Every IPStore and StringStore method once; each must reject as unavailable. */
async function everyMethodUnavailable(ips: IPStore, strings: StringStore): Promise<void> {
  const n = parseNetwork('10.0.0.0/8');
  await rejectsUnavailable(ips.addIP(ip('192.0.2.1')), 'addIP');
  await rejectsUnavailable(ips.removeIP(ip('192.0.2.1')), 'removeIP');
  await rejectsUnavailable(ips.addNetwork(n), 'addNetwork');
  await rejectsUnavailable(ips.removeNetwork(n), 'removeNetwork');
  await rejectsUnavailable(ips.contains(ip('192.0.2.1')), 'contains');
  await rejectsUnavailable(ips.containsAll([ip('192.0.2.1'), ip('::1')]), 'containsAll');
  await rejectsUnavailable(ips.containsAny([ip('192.0.2.1'), ip('::1')]), 'containsAny');
  await rejectsUnavailable(strings.put('a'), 'put');
  await rejectsUnavailable(strings.has('a'), 'has');
  await rejectsUnavailable(strings.remove('a'), 'remove');
  await rejectsUnavailable(strings.count?.(), 'count');
  await rejectsUnavailable(strings.list?.(), 'list');
}

/**
 * A server that speaks just enough RESP for ioredis to connect (HELLO refused, so RESP2) and
 * then, once `hang` is set, never answers again: a Redis that hangs.
 */
async function hangingServer(): Promise<{ port: number; hang(): void; close(): void }> {
  let hanging = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data) => {
      if (hanging) return;
      // Commands are arrays of bulk strings; only their names matter here.
      const names = [...data.toString('latin1').matchAll(/\*\d+\r\n\$\d+\r\n([a-z]+)\r\n/gi)];
      for (const [, name] of names) {
        const c = name!.toLowerCase();
        if (c === 'hello') socket.write("-ERR unknown command 'hello'\r\n");
        else if (c === 'info') socket.write('$11\r\nloading:0\r\n\r\n');
        else if (c === 'ping') socket.write('+PONG\r\n');
        else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hang: () => {
      hanging = true;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('redis list drivers', () => {
  it('are registered as `redis`', async () => {
    assert.equal(await ipStoreDrivers.get('redis'), redisIPs);
    assert.equal(await stringStoreDrivers.get('redis'), redisStrings);
  });

  it('reject bad options with an error naming the option, before connecting', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ bogus: 1 }, /unknown option: bogus/],
      [{ url: '' }, /\burl: /],
      [{ url: 6379 }, /\burl: /],
      [{ prefix: 1 }, /\bprefix: /],
      [{ cluster: ['no-port'] }, /\bcluster\.0: expected host:port/],
      [{ commandTimeout: 1 }, /\bcommandTimeout: /],
      [{ startTimeout: -1 }, /\bstartTimeout: /],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(async () => redisIPs.create(options, ctx('x')), message);
      await assert.rejects(async () => redisStrings.create(options, ctx('x')), message);
    }
  });

  it('reject with SHOAL_E_REDIS_CONNECT when Redis cannot be reached', async () => {
    const options = { url: 'redis://127.0.0.1:1', startTimeout: 0, connectTimeout: 200 };
    for (const driver of [redisIPs, redisStrings]) {
      await assert.rejects(
        Promise.resolve(driver.create(options, ctx('x'))),
        (err: unknown) => err instanceof ShoalError && err.code === 'SHOAL_E_REDIS_CONNECT',
      );
    }
  });

  it('throw RangeError for an address or network of the wrong size, before sending', () => {
    // The checks come before any command: a client that cannot send anything is enough.
    const s = new RedisIPStore({ client: {} as RedisClient, namespace: 'x' });
    for (const n of [0, 3, 5, 15, 17]) {
      const b = new Uint8Array(n);
      assert.throws(() => s.addIP(b), RangeError);
      assert.throws(() => s.removeIP(b), RangeError);
      assert.throws(() => s.contains(b), RangeError);
      assert.throws(() => s.containsAll([ip('1.2.3.4'), b]), RangeError);
      assert.throws(() => s.containsAny([b]), RangeError);
    }
    const bad: Network[] = [
      { family: 4, bytes: Buffer.alloc(16), prefix: 8 },
      { family: 6, bytes: Buffer.alloc(4), prefix: 8 },
      { family: 4, bytes: Buffer.alloc(4), prefix: 33 },
      { family: 6, bytes: Buffer.alloc(16), prefix: 129 },
      { family: 4, bytes: Buffer.alloc(4), prefix: -1 },
      { family: 4, bytes: Buffer.alloc(4), prefix: 1.5 },
      { family: 5 as 4, bytes: Buffer.alloc(4), prefix: 8 },
    ];
    for (const n of bad) {
      assert.throws(() => s.addNetwork(n), RangeError);
      assert.throws(() => s.removeNetwork(n), RangeError);
    }
  });

  it('reject every call with SHOAL_E_STORE_UNAVAILABLE when Redis hangs', async () => {
    const server = await hangingServer();
    const options = {
      url: `redis://127.0.0.1:${server.port}`,
      commandTimeout: 50,
      startTimeout: 0,
    };
    const ips = await redisIPs.create(options, ctx('hang'));
    const strings = await redisStrings.create(options, ctx('hang'));
    try {
      server.hang();
      await everyMethodUnavailable(ips, strings);
    } finally {
      await Promise.all([ips.close(), strings.close()]);
      server.close();
    }
  });
});

describe('redis list stores on one Redis', singleSkip === null ? {} : { skip: singleSkip }, () => {
  const options = { url: TEST_REDIS_URL };
  const base = uniquePrefix('lists');
  let lease: RedisLease;
  let n = 0;
  const opened: (IPStore | StringStore)[] = [];

  before(async () => {
    lease = await acquireRedis(parseRedisOptions(options), log);
  });
  after(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await deletePrefix(lease.client, base);
    await lease.release();
  });

  /** A fresh prefix under this file's base. */
  const freshPrefix = (): string => `${base}${n++}:`;

  async function openIPs(prefix: string, namespace: string, extra = {}): Promise<IPStore> {
    const s = await redisIPs.create({ ...options, ...extra, prefix }, ctx(namespace));
    opened.push(s);
    return s;
  }

  async function openStrings(prefix: string, namespace: string, extra = {}): Promise<StringStore> {
    const s = await redisStrings.create({ ...options, ...extra, prefix }, ctx(namespace));
    opened.push(s);
    return s;
  }

  it('contains, containsAll and containsAny send one SMISMEMBER each (seen by MONITOR)', async () => {
    const prefix = freshPrefix();
    const s = await openIPs(prefix, 'round-trips');
    const key = redisIPStoreKey(prefix, 'round-trips');
    // Many entries of many prefix lengths: the number of commands must not depend on them.
    const adds: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) {
      const h = Math.imul(i + 1, 2654435761) >>> 0;
      const v4: Network = { family: 4, bytes: Buffer.alloc(4), prefix: 8 + (i % 25) };
      v4.bytes.writeUInt32BE(h);
      const v6: Network = { family: 6, bytes: Buffer.alloc(16, h & 0xff), prefix: 16 + (i % 113) };
      adds.push(Promise.resolve(s.addNetwork(i % 2 === 0 ? v4 : v6)));
    }
    await Promise.all(adds);
    await s.addIP(ip('203.0.113.9'));

    const monitor = await (lease.client as Redis).monitor();
    const seen: string[][] = [];
    const marker = `${prefix}done`;
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[1] === key || args[1] === marker) seen.push(args);
    });
    try {
      const calls: [() => unknown, unknown, number][] = [
        [() => s.contains(ip('203.0.113.9')), true, 34],
        [() => s.contains(ip('198.51.100.1')), false, 34],
        [() => s.contains(ip('2001:db8::1')), false, 130],
        [() => s.containsAll([ip('203.0.113.9'), ip('2001:db8::1')]), false, 34 + 130],
        [() => s.containsAny([ip('198.51.100.1'), ip('::1'), ip('203.0.113.9')]), true, 198],
      ];
      for (const [call, expected] of calls) assert.equal(await call(), expected);
      await lease.client.exists(marker);
      await until(() => seen.some((a) => a[1] === marker), 'the marker');
      const commands = seen.filter((a) => a[1] === key);
      assert.deepEqual(
        commands.map((a) => `${a[0]!.toLowerCase()} ${a.length - 2}`),
        calls.map(([, , members]) => `smismember ${members}`),
      );
    } finally {
      monitor.disconnect();
    }
  });

  it('stores [kind][prefix length][masked address] members in <prefix>{<namespace>}:ips', async () => {
    const prefix = freshPrefix();
    const s = await openIPs(prefix, 'layout');
    await s.addIP(ip('192.0.2.1'));
    await s.addNetwork(parseNetwork('10.1.2.3/8'));
    await s.addIP(ip('2001:db8::1'));
    await s.addNetwork(parseNetwork('2001:db8:ffff::/32'));
    await s.addNetwork(parseNetwork('0.0.0.0/0'));
    const members = await lease.client.smembersBuffer(`${prefix}{layout}:ips`);
    assert.deepEqual(members.map((m) => m.toString('hex')).sort(), [
      '0020c0000201',
      '0080' + '20010db8000000000000000000000001',
      '0100' + '00000000',
      '01080a000000',
      '0120' + '20010db8000000000000000000000000',
    ]);
  });

  it('stores values in <prefix>{<namespace>}:strings as latin1 or UTF-16LE after a tag', async () => {
    const prefix = freshPrefix();
    const s = await openStrings(prefix, 'layout');
    const hash = Buffer.alloc(20, 0xab).toString('latin1');
    for (const v of [hash, '', 'é', '€', '\ud800']) await s.put(v);
    const members = await lease.client.smembersBuffer(redisStringStoreKey(prefix, 'layout'));
    assert.deepEqual(members.map((m) => m.toString('hex')).sort(), [
      '00',
      '00' + 'ab'.repeat(20),
      '00e9',
      '0100d8',
      '01ac20',
    ]);
  });

  it('list() walks a set larger than one SSCAN batch and returns each value once', async () => {
    const s = await openStrings(freshPrefix(), 'big-list');
    const values: string[] = [];
    for (let i = 0; i < 2500; i++) values.push(i % 3 === 0 ? `v${i}€` : `v${i}`);
    await Promise.all(values.map((v) => Promise.resolve(s.put(v))));
    assert.equal(await s.count?.(), 2500);
    assert.deepEqual((await s.list!()).sort(), values.sort());
  });

  it('list() rejects with SHOAL_E_STORE_BAD_MEMBER on a member without a tag', async () => {
    const prefix = freshPrefix();
    const s = await openStrings(prefix, 'bad-member');
    await s.put('a');
    await lease.client.sadd(redisStringStoreKey(prefix, 'bad-member'), 'added by hand');
    await assert.rejects(
      Promise.resolve(s.list!()),
      (err: unknown) => err instanceof ShoalError && err.code === STORE_BAD_MEMBER,
    );
    assert.equal(await s.has('a'), true);
  });

  it('keeps namespaces apart: the same value in two namespaces is two entries', async () => {
    const prefix = freshPrefix();
    const [a, b] = [await openStrings(prefix, 'hook-a'), await openStrings(prefix, 'hook-b')];
    await a.put('x');
    assert.equal(await b.has('x'), false);
    await b.put('x');
    assert.equal(await a.remove('x'), true);
    assert.equal(await b.has('x'), true);
    assert.deepEqual([await a.count?.(), await b.count?.()], [0, 1]);

    const [c, d] = [await openIPs(prefix, 'hook-a'), await openIPs(prefix, 'hook-b')];
    await c.addNetwork(parseNetwork('10.0.0.0/8'));
    await c.addIP(ip('::1'));
    assert.equal(await d.contains(ip('10.1.2.3')), false);
    assert.equal(await d.contains(ip('::1')), false);
    assert.equal(await d.removeNetwork(parseNetwork('10.0.0.0/8')), false);
    assert.equal(await c.contains(ip('10.1.2.3')), true);
    // A string store and an IP store of one namespace are different keys too.
    assert.equal(await a.has(''), false);
  });

  it('keeps prefixes apart: the same namespace under two prefixes is two lists', async () => {
    const [a, b] = [
      await openStrings(freshPrefix(), 'same'),
      await openStrings(freshPrefix(), 'same'),
    ];
    await a.put('x');
    assert.equal(await b.has('x'), false);
  });

  it('shows what one instance writes to another on the same prefix and namespace', async () => {
    const prefix = freshPrefix();
    // A different command timeout makes the second instance open its own connection.
    const s1 = await openStrings(prefix, 'shared');
    const s2 = await openStrings(prefix, 'shared', { commandTimeout: 1500 });
    const i1 = await openIPs(prefix, 'shared');
    const i2 = await openIPs(prefix, 'shared', { commandTimeout: 1500 });
    const hash = Buffer.alloc(20, 0xfe).toString('latin1');
    await s1.put(hash);
    await s1.put('🐟');
    assert.equal(await s2.has(hash), true);
    assert.deepEqual((await s2.list!()).sort(), [hash, '🐟'].sort());
    assert.equal(await s2.remove('🐟'), true);
    assert.equal(await s1.has('🐟'), false);
    await i1.addNetwork(parseNetwork('2001:db8::/32'));
    await i1.addIP(ip('192.0.2.7'));
    assert.equal(await i2.contains(ip('2001:db8::5')), true);
    assert.equal(await i2.containsAll([ip('2001:db8::5'), ip('192.0.2.7')]), true);
    assert.equal(await i2.removeNetwork(parseNetwork('2001:db8:1::/32')), true);
    assert.equal(await i1.contains(ip('2001:db8::5')), false);
  });

  it('rejects with SHOAL_E_STORE_UNAVAILABLE when a command fails (WRONGTYPE)', async () => {
    const prefix = freshPrefix();
    const ips = await openIPs(prefix, 'wrong-type');
    const strings = await openStrings(prefix, 'wrong-type');
    await lease.client.set(redisIPStoreKey(prefix, 'wrong-type'), 'not a set');
    await lease.client.set(redisStringStoreKey(prefix, 'wrong-type'), 'not a set');
    await everyMethodUnavailable(ips, strings);
  });

  it('rejects with SHOAL_E_STORE_UNAVAILABLE once the connection is gone', async () => {
    // Its own connection (another command timeout), closed under the stores' feet.
    const extra = { commandTimeout: 1234 };
    const own = await acquireRedis(parseRedisOptions({ ...options, ...extra }), log);
    const ips = await openIPs(freshPrefix(), 'gone', extra);
    const strings = await openStrings(freshPrefix(), 'gone', extra);
    try {
      own.client.disconnect();
      await everyMethodUnavailable(ips, strings);
    } finally {
      await own.release();
    }
  });
});

describe(
  'redis list stores on a Redis Cluster',
  clusterSkip === null ? {} : { skip: clusterSkip },
  () => {
    const options = { cluster: TEST_REDIS_CLUSTER };
    const base = uniquePrefix('lists-cluster');
    let lease: RedisLease;

    before(async () => {
      lease = await acquireRedis(parseRedisOptions(options), log);
    });
    after(async () => {
      await deletePrefix(lease.client, base);
      await lease.release();
    });

    it("puts every key of a namespace in its hash tag's slot", async () => {
      const client = lease.client;
      // An empty namespace has no hash tag (Redis ignores `{}`); each store is still one key.
      for (const namespace of ['banned-ips', 'allowed-clients', 'a:b', 'x}y']) {
        const prefix = `${base}${namespace.length}:`;
        const ips = await redisIPs.create({ ...options, prefix }, ctx(namespace));
        const strings = await redisStrings.create({ ...options, prefix }, ctx(namespace));
        try {
          await ips.addNetwork(parseNetwork('10.0.0.0/8'));
          await strings.put('x');
          const keys = [redisIPStoreKey(prefix, namespace), redisStringStoreKey(prefix, namespace)];
          const slots = new Set<unknown>();
          for (const k of keys) {
            assert.equal(await client.exists(k), 1, k);
            slots.add(await client.cluster('KEYSLOT', k));
          }
          // The tag ends at the first `}`: `x}y` is tagged `x`, as any key starting `{x}`.
          const tag = namespace.split('}')[0]!;
          assert.deepEqual([...slots], [await client.cluster('KEYSLOT', `{${tag}}`)], namespace);
        } finally {
          await Promise.all([ips.close(), strings.close()]);
        }
      }
    });

    it('shows what one instance writes to another on the same prefix and namespace', async () => {
      const prefix = `${base}shared:`;
      const a = await redisIPs.create({ ...options, prefix }, ctx('shared'));
      const b = await redisIPs.create({ ...options, prefix, commandTimeout: 1500 }, ctx('shared'));
      try {
        await a.addNetwork(parseNetwork('198.51.100.0/24'));
        assert.equal(await b.contains(ip('198.51.100.77')), true);
        assert.equal(await b.containsAny([ip('::1'), ip('198.51.100.1')]), true);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  },
);
