import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import { ShoalError } from '../../bittorrent/errors.js';
import type { Logger } from '../../log/logger.js';
import type { PeerStore } from '../peer-store.js';
import { announceRequest, infoHashKey, peerV4 } from '../suites/peer-fixtures.js';
import { redisPeers } from './redis-peer-driver.js';

/**
 * The Redis PeerStore when Redis fails: a private redis-server this file starts (and kills),
 * so the shared test servers are never disturbed.
 */

const H = infoHashKey(1);
const COMMAND_TIMEOUT = 200;

/** Log lines by code, from a logger that keeps them instead of printing. */
function recordingLogger(): { log: Logger; codes: string[] } {
  const codes: string[] = [];
  const record = (obj: unknown): void => {
    const code = (obj as { code?: unknown } | null)?.code;
    codes.push(typeof code === 'string' ? code : '?');
  };
  const log = { error: record, warn: record, info: record, debug: record } as unknown as Logger;
  return { log, codes };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts redis-server on `port`; null if it cannot run (not installed, or exited at once). */
async function startRedis(port: number): Promise<ChildProcess | null> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  let gone = false;
  child.once('error', () => (gone = true));
  child.once('exit', () => (gone = true));
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    for (let i = 0; i < 100 && !gone; i++) {
      try {
        await probe.connect();
        await probe.ping();
        return child;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    probe.disconnect();
  }
  if (gone) return null;
  await stop(child);
  throw new Error(`redis-server on ${port} did not answer within 5 s`);
}

async function stop(child: ChildProcess | null): Promise<void> {
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Asserts that `p` rejects with SHOAL_E_STORE_UNAVAILABLE, within `ms`; returns the cause. */
async function unavailable(p: Promise<unknown>, ms: number): Promise<Error> {
  const t0 = Date.now();
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  const took = Date.now() - t0;
  assert.ok(err instanceof ShoalError, `a ShoalError, not ${String(err)}`);
  assert.equal(err.code, 'SHOAL_E_STORE_UNAVAILABLE');
  assert.ok(err.cause instanceof Error, 'the Redis error is the cause');
  assert.ok(took < ms, `failed after ${took} ms`);
  return err.cause;
}

const port = await freePort();
let server = await startRedis(port);
// As with the shared test servers: skipped on a laptop without Redis, an error under CI.
const noServer = server === null ? 'cannot run redis-server (is Redis installed?)' : null;
if (noServer !== null && process.env['CI'] === 'true') throw new Error(noServer);

describe('RedisPeerStore when Redis fails', { skip: noServer ?? false }, () => {
  const { log, codes } = recordingLogger();
  const clock = { t: 1_000_000 };
  let store: PeerStore;
  let admin: Redis;
  const announce = (peer: Buffer, left = 5): Promise<AnnounceResponse> => {
    const res = new AnnounceResponse();
    const r = store.announce(announceRequest(H, peer, left), 50, res);
    return Promise.resolve(r).then(() => res);
  };

  before(async () => {
    store = await redisPeers.create(
      { url: `redis://127.0.0.1:${port}`, commandTimeout: COMMAND_TIMEOUT, sweepInterval: 0.05 },
      { namespace: 'peers', log, now: () => clock.t, peerLifetime: 640, maxNumWant: 50 },
    );
    admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on('error', () => undefined);
  });
  after(async () => {
    admin.disconnect();
    await store.close();
    await stop(server);
  });

  it('loads its scripts again after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    await announce(peerV4(1));
    await admin.script('FLUSH');
    const res = await announce(peerV4(2));
    assert.equal(res.incomplete, 2);
    assert.equal(res.peerCount, 1);
  });

  it('fails an announce on a Redis that hangs after the command timeout', async () => {
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    const cause = await unavailable(announce(peerV4(3)), COMMAND_TIMEOUT + 500);
    assert.match(cause.message, /timed out/);
    await admin.call('CLIENT', 'UNPAUSE');
    assert.equal((await announce(peerV4(3))).incomplete, 3, 'works again once Redis answers');
  });

  it('fails every call at once while Redis is down, logs the sweep failure, and recovers', async () => {
    await stop(server);
    server = null;
    const entry = new ScrapeEntry();
    for (let i = 0; i < 20; i++) {
      // The first calls may still find the socket open and wait out the command timeout.
      await unavailable(announce(peerV4(1)), COMMAND_TIMEOUT + 500);
    }
    const fast = COMMAND_TIMEOUT / 2;
    await unavailable(announce(peerV4(1)), fast);
    await unavailable(Promise.resolve(store.scrape(H, entry)), fast);
    await unavailable(Promise.resolve(store.putSeeder(H, peerV4(4))), fast);
    await unavailable(Promise.resolve(store.putLeecher(H, peerV4(4))), fast);
    await unavailable(Promise.resolve(store.graduateLeecher(H, peerV4(4))), fast);
    await unavailable(Promise.resolve(store.deleteSeeder(H, peerV4(4))), fast);
    await unavailable(Promise.resolve(store.deleteLeecher(H, peerV4(4))), fast);
    await unavailable(Promise.resolve(store.sweep()), fast);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(
      codes.includes('SHOAL_W_REDIS_SWEEP'),
      `background sweep failure logged: ${codes.join(', ')}`,
    );
    assert.ok(codes.includes('SHOAL_E_REDIS_DOWN'), 'the connection reported down');

    server = await startRedis(port);
    let res: AnnounceResponse | null = null;
    for (let i = 0; i < 60 && res === null; i++) {
      res = await announce(peerV4(5)).catch(() => null);
      if (res === null) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(res !== null, 'announces work again once Redis is back');
    assert.equal(res.incomplete, 1, 'a fresh Redis: the only peer is the announcer');
  });
});
