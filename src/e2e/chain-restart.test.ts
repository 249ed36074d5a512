import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalS3 } from '../chainstore/stores/s3rver-test-support.js';
import type { LocalS3 } from '../chainstore/stores/s3rver-test-support.js';
import { ScrapeEntry, createTracker } from '../index.js';
import type { InfoHashListHook, IPListHook, ShoalConfigInput, Tracker } from '../index.js';
import { boundAddress, peerPort, randomId } from './protocol-support/fixtures.js';
import { announcePath, failureReason, httpGet, okDict } from './protocol-support/raw-http.js';

/**
 * Restarts: a tracker whose lists (an ip-list of bans, an infohash-list) use the `chain`
 * driver (LMDB over S3, s3rver on loopback) and whose memory PeerStore snapshots to a chain
 * (fs) is filled, closed, and started again on the same state: lists, bans and swarms are as
 * they were.
 */

const BANNED = 'your address is banned from this tracker';
const NOT_ALLOWED = 'torrent is not allowed on this tracker';

describe('tracker restart on chain stores', () => {
  let dir: string;
  let s3: LocalS3;
  let config: ShoalConfigInput;
  const torrent = randomId();
  const denied = randomId();
  const ports = [peerPort(), peerPort(), peerPort()];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-e2e-chain-'));
    s3 = await startLocalS3();
    const lists = {
      stores: [
        { type: 'lmdb', path: join(dir, 'lists') },
        { ...s3.storeOptions('lists/'), type: 's3' },
      ],
    };
    config = {
      listen: { http: ['127.0.0.1:0'], udp: [] },
      log: { level: 'silent' },
      announce: { trustClientIp: true },
      storage: {
        ips: { driver: 'chain', options: lists },
        strings: { driver: 'chain', options: lists },
        snapshot: { stores: [{ type: 'fs', dir: join(dir, 'snapshot') }] },
      },
      hooks: [
        { type: 'ip-list', name: 'bans', mode: 'deny' },
        { type: 'infohash-list', name: 'dmca', mode: 'deny' },
      ],
    };
  });
  after(async () => {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** 'ok' or the failure reason of one HTTP announce. */
  async function verdict(t: Tracker, infoHash: Buffer, ip: string, port: number): Promise<string> {
    const path = announcePath({ infoHash, peerId: randomId(), port, left: 1, extra: `ip=${ip}` });
    const res = await httpGet(boundAddress(t, 'http', 4).port, 4, path);
    try {
      okDict(res);
      return 'ok';
    } catch {
      return failureReason(res);
    }
  }

  function swarm(t: Tracker): Promise<ScrapeEntry> {
    const e = new ScrapeEntry();
    return Promise.resolve(t.store.scrape(torrent.toString('latin1'), e)).then(() => e);
  }

  it('finds lists, bans and swarms as they were after a restart', async () => {
    const first = await createTracker(config);
    const bans = first.hooks.get('bans') as IPListHook;
    const dmca = first.hooks.get('dmca') as InfoHashListHook;
    await bans.add('10.9.8.7');
    await bans.add('192.0.2.0/24');
    await dmca.add(denied.toString('hex'));
    for (const port of ports) assert.equal(await verdict(first, torrent, '127.0.0.1', port), 'ok');
    assert.equal(await verdict(first, torrent, '192.0.2.77', peerPort()), BANNED);
    assert.equal((await swarm(first)).incomplete, 3);
    await first.close();

    const second = await createTracker(config);
    try {
      const again = await swarm(second);
      assert.equal(again.incomplete, 3, 'the swarm survived the restart');
      assert.equal(await verdict(second, torrent, '10.9.8.7', peerPort()), BANNED);
      assert.equal(await verdict(second, torrent, '192.0.2.1', peerPort()), BANNED);
      assert.equal(await verdict(second, denied, '127.0.0.1', peerPort()), NOT_ALLOWED);
      // A new peer is given the peers announced before the restart.
      const path = announcePath({
        infoHash: torrent,
        peerId: randomId(),
        port: peerPort(),
        left: 1,
        extra: 'ip=127.0.0.1',
      });
      const reply = okDict(await httpGet(boundAddress(second, 'http', 4).port, 4, path));
      const peers = reply.peers as Buffer;
      const got = new Set<number>();
      for (let i = 0; i < peers.length; i += 6) got.add(peers.readUInt16BE(i + 4));
      for (const port of ports) assert.ok(got.has(port), `peer on port ${port} is returned`);
      // Lists still change at runtime, durably.
      const bans2 = second.hooks.get('bans') as IPListHook;
      assert.equal(await bans2.remove('10.9.8.7'), true);
      assert.equal(await verdict(second, torrent, '10.9.8.7', peerPort()), 'ok');
    } finally {
      await second.close();
    }

    const third = await createTracker(config);
    try {
      assert.equal(await verdict(third, torrent, '10.9.8.7', peerPort()), 'ok');
      assert.equal(await verdict(third, torrent, '192.0.2.1', peerPort()), BANNED);
      // 3 before the first restart, 2 after it, 1 just now.
      assert.equal((await swarm(third)).incomplete, 6);
    } finally {
      await third.close();
    }
  });
});
