import assert from 'node:assert/strict';
import {
  EVENT_COMPLETED,
  EVENT_NONE,
  EVENT_STARTED,
  EVENT_STOPPED,
} from '../../bittorrent/event.js';
import type { PeerStoreCase } from './peer-fixtures.js';
import {
  announceRequest,
  counts,
  hexes,
  infoHashKey,
  peerV4,
  peerV6,
  SUITE_MAX_NUM_WANT,
} from './peer-fixtures.js';

const H = infoHashKey(1);

/** What `PeerStore.announce` documents: the write, the counts after it, and the peers given. */
export const announceCases: readonly PeerStoreCase[] = [
  {
    name: 'announce: a first leecher is counted and given no peers',
    async run(h) {
      const r = await h.announce(H, peerV4(1), 100, EVENT_STARTED);
      assert.deepEqual(r.counts, counts(0, 1, 0));
      assert.equal(r.peers.length, 0);
      assert.deepEqual(await h.scrape(H), counts(0, 1, 0));
    },
  },
  {
    name: 'announce: left 0 makes a seeder without counting a download',
    async run(h) {
      await h.announce(H, peerV4(1), 100);
      const moved = await h.announce(H, peerV4(1), 0);
      assert.deepEqual(moved.counts, counts(1, 0, 0), 'a leecher reaching left 0 seeds');
      const fresh = await h.announce(H, peerV4(2), 0, EVENT_STARTED);
      assert.deepEqual(fresh.counts, counts(2, 0, 0), 'a new peer with left 0 seeds');
      assert.deepEqual(await h.scrape(H), counts(2, 0, 0));
    },
  },
  {
    name: 'announce: counts are those after the write and cover both families',
    async run(h) {
      assert.deepEqual((await h.announce(H, peerV4(1), 5)).counts, counts(0, 1, 0));
      assert.deepEqual((await h.announce(H, peerV6(1), 0)).counts, counts(1, 1, 0));
      assert.deepEqual((await h.announce(H, peerV6(2), 5)).counts, counts(1, 2, 0));
      const done = await h.announce(H, peerV4(2), 0, EVENT_COMPLETED);
      assert.deepEqual(done.counts, counts(2, 2, 1));
      assert.deepEqual(await h.scrape(H), counts(2, 2, 1));
    },
  },
  {
    name: 'announce: IPv4 peers get only IPv4 peers and IPv6 peers only IPv6 peers',
    async run(h) {
      for (let i = 1; i <= 3; i++) {
        await h.announce(H, peerV4(i), 5);
        await h.announce(H, peerV6(i), 5);
      }
      await h.announce(H, peerV4(4), 0);
      await h.announce(H, peerV6(4), 0);
      const v4 = await h.announce(H, peerV4(9), 5);
      assert.equal(v4.res.family, 4);
      assert.deepEqual(hexes(v4.peers), hexes([1, 2, 3, 4].map((i) => peerV4(i))));
      const v6 = await h.announce(H, peerV6(9), 5);
      assert.equal(v6.res.family, 6);
      assert.equal(v6.res.peers.length, 4 * 18, 'IPv6 peers are 18-byte records');
      assert.deepEqual(hexes(v6.peers), hexes([1, 2, 3, 4].map((i) => peerV6(i))));
      assert.deepEqual(v6.counts, counts(2, 8, 0), 'counts cover both families');
      // A seeder is given the leechers of its own family only.
      const seed6 = await h.announce(H, peerV6(4), 0);
      assert.deepEqual(hexes(seed6.peers), hexes([1, 2, 3, 9].map((i) => peerV6(i))));
    },
  },
  {
    name: 'announce: each info hash is a separate swarm',
    async run(h) {
      const other = infoHashKey(2);
      await h.announce(H, peerV4(1), 5);
      await h.announce(other, peerV4(2), 0);
      const a = await h.announce(H, peerV4(3), 5);
      assert.deepEqual(hexes(a.peers), hexes([peerV4(1)]));
      assert.deepEqual(a.counts, counts(0, 2, 0));
      assert.deepEqual(await h.scrape(other), counts(1, 0, 0));
      // One endpoint in two swarms is two independent entries.
      const b = await h.announce(other, peerV4(1), 5);
      assert.deepEqual(b.counts, counts(1, 1, 0));
      await h.announce(other, peerV4(1), 5, EVENT_STOPPED);
      assert.deepEqual(await h.scrape(H), counts(0, 2, 0));
      assert.deepEqual(await h.scrape(other), counts(1, 0, 0));
    },
  },
  {
    name: 'announce: a peer is its endpoint, whatever its peer id',
    async run(h) {
      for (let i = 0; i < 3; i++) {
        const req = announceRequest(H, peerV4(1), 5);
        req.peerId = Buffer.alloc(20, i + 1);
        const r = await h.announceWith(req);
        assert.deepEqual(r.counts, counts(0, 1, 0), 'announcing again keeps one entry');
      }
      const otherPort = await h.announce(H, peerV4(1, 6882), 5);
      assert.deepEqual(otherPort.counts, counts(0, 2, 0), 'another port is another peer');
      assert.deepEqual(hexes(otherPort.peers), hexes([peerV4(1)]));
    },
  },
  {
    name: 'announce: never more than numWant peers',
    async run(h) {
      for (let i = 0; i < 30; i++) await h.announce(H, peerV4(i), i < 10 ? 0 : 5);
      for (const numWant of [1, 2, 5, 10, 19, 29]) {
        const r = await h.announce(H, peerV4(10), 5, EVENT_NONE, numWant);
        assert.equal(r.peers.length, numWant, `a leecher asking for ${numWant}`);
      }
      for (const numWant of [1, 7, 19]) {
        const r = await h.announce(H, peerV4(0), 0, EVENT_NONE, numWant);
        assert.equal(r.peers.length, numWant, `a seeder asking for ${numWant}`);
      }
    },
  },
  {
    name: 'announce: numWant 0 returns no peers but still writes',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      const r = await h.announce(H, peerV4(2), 0, EVENT_COMPLETED, 0);
      assert.equal(r.peers.length, 0);
      assert.deepEqual(r.counts, counts(1, 1, 1));
      const r6 = await h.announce(H, peerV6(1), 5, EVENT_NONE, 0);
      assert.equal(r6.peers.length, 0);
      assert.deepEqual(r6.counts, counts(1, 2, 1));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(1), peerV4(2)]));
      assert.deepEqual(await h.peersSeenBy(H, 6), hexes([peerV6(1)]));
    },
  },
  {
    name: 'announce: with fewer candidates than numWant, all are returned',
    async run(h) {
      const seeders = [0, 1, 2, 3, 4].map((i) => peerV4(i));
      const leechers = [10, 11, 12, 13, 14].map((i) => peerV4(i));
      for (const p of seeders) await h.announce(H, p, 0);
      for (const p of leechers) await h.announce(H, p, 5);
      const outsider = await h.announce(H, peerV4(99), 5);
      assert.deepEqual(hexes(outsider.peers), hexes([...seeders, ...leechers]));
      const seeder = await h.announce(H, peerV4(0), 0);
      assert.deepEqual(hexes(seeder.peers), hexes([...leechers, peerV4(99)]));
      for (const numWant of [10, 11, SUITE_MAX_NUM_WANT]) {
        const leecher = await h.announce(H, peerV4(10), 5, EVENT_NONE, numWant);
        const others = [...seeders, ...leechers.slice(1), peerV4(99)];
        assert.deepEqual(hexes(leecher.peers), hexes(others), `numWant ${numWant}`);
      }
    },
  },
  {
    name: 'announce: returned peers are distinct members of the swarm',
    async run(h) {
      const members = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const p = peerV4(i * 7);
        members.add(p.toString('hex'));
        await h.announce(H, p, i % 3 === 0 ? 0 : 9);
      }
      for (let i = 0; i < 40; i++) {
        const me = peerV4(i * 7);
        const r = await h.announce(H, me, i % 3 === 0 ? 0 : 9, EVENT_NONE, 20);
        const got = hexes(r.peers);
        assert.equal(new Set(got).size, got.length, 'no peer is returned twice');
        for (const p of got) assert.ok(members.has(p), `${p} is a member of the swarm`);
      }
    },
  },
  {
    name: 'announce: the announcing peer is never returned',
    async run(h) {
      for (const make of [peerV4, peerV6]) {
        const swarm = make === peerV4 ? H : infoHashKey(2);
        await h.announce(swarm, make(1), 5);
        await h.announce(swarm, make(2), 5);
        // Only one other candidate: numWant 1 must still find it, not the announcer.
        for (let trial = 0; trial < 20; trial++) {
          const r = await h.announce(swarm, make(1), 5, EVENT_NONE, trial % 2 === 0 ? 1 : 50);
          assert.deepEqual(hexes(r.peers), hexes([make(2)]));
        }
        await h.announce(swarm, make(2), 5, EVENT_STOPPED);
        const alone = await h.announce(swarm, make(1), 5);
        assert.equal(alone.peers.length, 0, 'a peer alone in its swarm is given nobody');
        const seeding = await h.announce(swarm, make(1), 0);
        assert.equal(seeding.peers.length, 0);
      }
    },
  },
  {
    name: 'announce: seeders are given only leechers',
    async run(h) {
      const leechers = [100, 101, 102, 103, 104].map((i) => peerV4(i));
      for (let i = 0; i < 10; i++) await h.announce(H, peerV4(i), 0);
      const onlySeeders = await h.announce(H, peerV4(0), 0);
      assert.equal(onlySeeders.peers.length, 0, 'seeders are not given seeders');
      for (const p of leechers) await h.announce(H, p, 5);
      const leecherSet = new Set(hexes(leechers));
      for (let trial = 0; trial < 20; trial++) {
        const all = await h.announce(H, peerV4(trial % 10), 0);
        assert.deepEqual(hexes(all.peers), hexes(leechers));
        const some = await h.announce(H, peerV4(trial % 10), 0, EVENT_NONE, 3);
        assert.equal(some.peers.length, 3);
        for (const p of hexes(some.peers)) assert.ok(leecherSet.has(p), `${p} is a leecher`);
      }
    },
  },
  {
    name: 'announce: leechers are given seeders and leechers',
    async run(h) {
      const seeders = [0, 1, 2].map((i) => peerV4(i));
      const leechers = [100, 101, 102].map((i) => peerV4(i));
      for (const p of seeders) await h.announce(H, p, 0);
      for (const p of leechers) await h.announce(H, p, 5);
      const r = await h.announce(H, peerV4(100), 5);
      assert.deepEqual(hexes(r.peers), hexes([...seeders, peerV4(101), peerV4(102)]));
    },
  },
  {
    name: 'announce: stopped removes the peer and returns no peers',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.announce(H, peerV4(2), 0);
      await h.announce(H, peerV4(3), 5);
      await h.announce(H, peerV6(1), 5);
      const r = await h.announce(H, peerV4(1), 5, EVENT_STOPPED);
      assert.equal(r.peers.length, 0, 'a stopping peer is given no peers');
      assert.deepEqual(r.counts, counts(1, 2, 0));
      assert.deepEqual(await h.scrape(H), counts(1, 2, 0));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(2), peerV4(3)]));
      const s = await h.announce(H, peerV4(2), 0, EVENT_STOPPED);
      assert.deepEqual(s.counts, counts(0, 2, 0), 'a stopping seeder is removed too');
      const s6 = await h.announce(H, peerV6(1), 5, EVENT_STOPPED);
      assert.deepEqual(s6.counts, counts(0, 1, 0));
      assert.deepEqual(await h.peersSeenBy(H, 6), []);
    },
  },
  {
    name: 'announce: stopped from an unknown peer changes nothing',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.announce(H, peerV4(2), 5, EVENT_COMPLETED);
      for (const stranger of [peerV4(9), peerV6(9), peerV4(1, 6999)]) {
        const r = await h.announce(H, stranger, 5, EVENT_STOPPED);
        assert.equal(r.peers.length, 0);
        assert.deepEqual(r.counts, counts(1, 1, 1));
      }
      assert.deepEqual(await h.scrape(H), counts(1, 1, 1));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(1), peerV4(2)]));
    },
  },
  {
    name: 'announce: stopped in an unknown swarm gives zero counts',
    async run(h) {
      const unknown = infoHashKey(77);
      for (const p of [peerV4(1), peerV6(1)]) {
        const r = await h.announce(unknown, p, 5, EVENT_STOPPED);
        assert.equal(r.peers.length, 0);
        assert.deepEqual(r.counts, counts(0, 0, 0));
      }
      assert.deepEqual(await h.scrape(unknown), counts(0, 0, 0));
      const next = await h.announce(unknown, peerV4(2), 5);
      assert.deepEqual(next.counts, counts(0, 1, 0), 'the stopped peer was not added');
      assert.equal(next.peers.length, 0);
    },
  },
  {
    name: 'announce: completed from a leecher counts one download',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.announce(H, peerV6(1), 5);
      const r = await h.announce(H, peerV4(1), 0, EVENT_COMPLETED);
      assert.deepEqual(r.counts, counts(1, 1, 1));
      const r6 = await h.announce(H, peerV6(1), 0, EVENT_COMPLETED);
      assert.deepEqual(r6.counts, counts(2, 0, 2));
      assert.deepEqual(await h.scrape(H), counts(2, 0, 2));
    },
  },
  {
    name: 'announce: completed from a seeder does not count again',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.announce(H, peerV4(1), 0, EVENT_COMPLETED);
      const again = await h.announce(H, peerV4(1), 0, EVENT_COMPLETED);
      assert.deepEqual(again.counts, counts(1, 0, 1), 'a repeated completed is not a download');
      await h.announce(H, peerV4(2), 0);
      const seeder = await h.announce(H, peerV4(2), 0, EVENT_COMPLETED);
      assert.deepEqual(
        seeder.counts,
        counts(2, 0, 1),
        'a seeder saying completed downloaded nothing',
      );
    },
  },
  {
    name: 'announce: completed from an unknown peer counts one download',
    async run(h) {
      const r = await h.announce(H, peerV4(5), 0, EVENT_COMPLETED);
      assert.deepEqual(r.counts, counts(1, 0, 1));
      const r6 = await h.announce(H, peerV6(5), 0, EVENT_COMPLETED);
      assert.deepEqual(r6.counts, counts(2, 0, 2));
    },
  },
  {
    name: 'announce: completed makes a seeder even with left > 0',
    async run(h) {
      await h.announce(H, peerV4(1), 10);
      const r = await h.announce(H, peerV4(1), 10, EVENT_COMPLETED);
      assert.deepEqual(r.counts, counts(1, 0, 1));
    },
  },
  {
    name: 'announce: a seeder announcing left > 0 becomes a leecher again',
    async run(h) {
      await h.announce(H, peerV4(1), 0);
      const r = await h.announce(H, peerV4(1), 50);
      assert.deepEqual(r.counts, counts(0, 1, 0));
      const seeder = await h.announce(H, peerV4(2), 0);
      assert.deepEqual(hexes(seeder.peers), hexes([peerV4(1)]), 'seeders now see it as a leecher');
      const done = await h.announce(H, peerV4(1), 0, EVENT_COMPLETED);
      assert.deepEqual(done.counts, counts(2, 0, 1), 'finishing again is a new download');
    },
  },
];
