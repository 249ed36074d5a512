/**
 * Shoal against an independent tracker client: the npm `bittorrent-tracker` package's Client,
 * over HTTP (IPv4 and IPv6) and UDP (IPv4; the Client opens udp4 sockets only, so UDP over IPv6
 * is covered by our raw checks in udp.test.ts).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Tracker } from '../index.js';
import type { Family } from './protocol-support/fixtures.js';
import {
  asciiId,
  boundAddress,
  ep,
  hostPort,
  peerPort,
  startTracker,
} from './protocol-support/fixtures.js';
import { TrackerPeer } from './protocol-support/bt-client.js';

interface Transport {
  name: string;
  family: Family;
  url: (t: Tracker) => string;
}

const TRANSPORTS: readonly Transport[] = [
  {
    name: 'HTTP IPv4',
    family: 4,
    url: (t) => `http://${hostPort(boundAddress(t, 'http', 4))}/announce`,
  },
  {
    name: 'HTTP IPv6',
    family: 6,
    url: (t) => `http://${hostPort(boundAddress(t, 'http', 6))}/announce`,
  },
  { name: 'UDP IPv4', family: 4, url: (t) => `udp://${hostPort(boundAddress(t, 'udp', 4))}` },
];

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

describe('bittorrent-tracker Client against Shoal', () => {
  let tracker: Tracker;
  let peers: TrackerPeer[] = [];

  before(async () => {
    tracker = await startTracker();
  });
  afterEach(async () => {
    await Promise.all(peers.map((p) => p.destroy()));
    peers = [];
  });
  after(() => tracker.close());

  function peerOn(url: string, infoHash: Uint8Array): TrackerPeer {
    const p = new TrackerPeer(url, infoHash, peerPort());
    peers.push(p);
    return p;
  }

  for (const tr of TRANSPORTS) {
    describe(tr.name, () => {
      test('a second client gets the first one; counts in updates', async () => {
        const ih = asciiId();
        const a = peerOn(tr.url(tracker), ih);
        const ra = await a.start();
        assert.equal(ra.update.complete, 0);
        assert.equal(ra.update.incomplete, 1);
        assert.deepEqual(ra.peers, []);
        const b = peerOn(tr.url(tracker), ih);
        const rb = await b.start();
        assert.equal(rb.update.incomplete, 2);
        assert.deepEqual(rb.peers, [ep(tr.family, a.port)]);
        // Re-announcing: the first client now gets the second, never itself.
        const ra2 = await a.update();
        assert.deepEqual(ra2.peers, [ep(tr.family, b.port)]);
        assert.equal(ra2.update.incomplete, 2);
      });

      test('seeders get only leechers', async () => {
        const ih = asciiId();
        const l1 = peerOn(tr.url(tracker), ih);
        const l2 = peerOn(tr.url(tracker), ih);
        const s1 = peerOn(tr.url(tracker), ih);
        const s2 = peerOn(tr.url(tracker), ih);
        await l1.start();
        await l2.start();
        await s1.start({ left: 0 });
        const r = await s2.start({ left: 0 });
        assert.equal(r.update.complete, 2);
        assert.equal(r.update.incomplete, 2);
        assert.deepEqual(r.peers, [ep(tr.family, l1.port), ep(tr.family, l2.port)].sort());
      });

      test('complete() counts a download; stop() removes the peer', async () => {
        const ih = asciiId();
        const a = peerOn(tr.url(tracker), ih);
        const b = peerOn(tr.url(tracker), ih);
        await a.start();
        await b.start();
        const done = await a.complete({ left: 0 });
        assert.equal(done.update.complete, 1);
        assert.equal(done.update.incomplete, 1);
        let s = (await a.scrape()).get(hex(ih));
        assert.ok(s !== undefined);
        assert.deepEqual([s.complete, s.incomplete, s.downloaded], [1, 1, 1]);

        const stopped = await b.stop();
        assert.deepEqual(stopped.peers, []);
        assert.equal(stopped.update.incomplete, 0);
        const c = peerOn(tr.url(tracker), ih);
        const rc = await c.start();
        assert.deepEqual(rc.peers, [ep(tr.family, a.port)], 'the stopped peer is gone');
        s = (await c.scrape()).get(hex(ih));
        assert.ok(s !== undefined);
        assert.deepEqual([s.complete, s.incomplete, s.downloaded], [1, 1, 1]);
      });

      test('scrape of several info hashes', async () => {
        const x = asciiId();
        const y = asciiId();
        const unknown = asciiId();
        await peerOn(tr.url(tracker), x).start();
        await peerOn(tr.url(tracker), x).start({ left: 0 });
        await peerOn(tr.url(tracker), y).start();
        const got = await peerOn(tr.url(tracker), x).scrape([x, y, unknown]);
        assert.deepEqual([...got.keys()].sort(), [hex(x), hex(y), hex(unknown)].sort());
        const counts = (h: Uint8Array): number[] => {
          const e = got.get(hex(h));
          assert.ok(e !== undefined);
          return [e.complete, e.incomplete, e.downloaded];
        };
        assert.deepEqual(counts(x), [1, 1, 0]);
        assert.deepEqual(counts(y), [0, 1, 0]);
        assert.deepEqual(counts(unknown), [0, 0, 0]);
      });
    });
  }

  test('HTTP and UDP clients share one swarm', async () => {
    const ih = asciiId();
    const udp = TRANSPORTS[2]!;
    const http4 = TRANSPORTS[0]!;
    const http6 = TRANSPORTS[1]!;
    const u = peerOn(udp.url(tracker), ih);
    await u.start();
    const h = peerOn(http4.url(tracker), ih);
    const rh = await h.start();
    assert.deepEqual(rh.peers, [ep(4, u.port)]);
    const h6 = peerOn(http6.url(tracker), ih);
    const r6 = await h6.start();
    assert.deepEqual(r6.peers, [], 'no IPv6 peer yet; IPv4 peers are not sent to IPv6 clients');
    assert.equal(r6.update.incomplete, 3);
    const ru = await u.update();
    assert.deepEqual(ru.peers, [ep(4, h.port)]);
    assert.equal(ru.update.incomplete, 3);
  });

  test('a tracker failure reaches the Client as a warning', async () => {
    // The Client appends its parameters to the URL's query; Shoal reads the bad info_hash first.
    const url = `${TRANSPORTS[0]!.url(tracker)}?info_hash=tooshort`;
    await assert.rejects(peerOn(url, asciiId()).start(), /invalid info_hash/);
  });
});
