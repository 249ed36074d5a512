import assert from 'node:assert/strict';
import {
  EVENT_COMPLETED,
  EVENT_NONE,
  EVENT_STARTED,
  EVENT_STOPPED,
} from '../../bittorrent/event.js';
import type { AnnounceEvent } from '../../bittorrent/event.js';
import type { PeerStoreCase } from './peer-fixtures.js';
import { counts, infoHashKey, peerV4, peerV6, SUITE_MAX_NUM_WANT } from './peer-fixtures.js';

const H = infoHashKey(1);

/** Peer `i` of the concurrent tests: the first 150 are IPv4, the rest IPv6. */
function peerAt(i: number): Buffer {
  return isV4(i) ? peerV4(i) : peerV6(i);
}

function isV4(i: number): boolean {
  return i < 150;
}

/** Concurrent calls on one swarm, and close(). */
export const concurrencyCases: readonly PeerStoreCase[] = [
  {
    name: 'concurrency: 200 announces at once give the right counts, then all see each other',
    async run(h) {
      const n = 200;
      const seeder = (i: number): boolean => i % 4 === 0;
      // Started together: a shared driver must not lose a write to a read-modify-write race.
      // Every 8th peer completes on its first announce, which counts one download each.
      const first = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          h.announce(
            H,
            peerAt(i),
            seeder(i) ? 0 : 1000,
            i % 8 === 0 ? EVENT_COMPLETED : EVENT_STARTED,
          ),
        ),
      );
      for (const r of first) {
        assert.ok(r.peers.length <= SUITE_MAX_NUM_WANT);
        assert.ok(r.counts.complete + r.counts.incomplete >= 1, 'counts include the announcer');
        assert.ok(r.counts.complete + r.counts.incomplete <= n);
      }
      assert.deepEqual(await h.scrape(H), counts(50, 150, 25));

      // Afterwards, one by one, each peer is given as many of its own family as it may have.
      const members = Array.from({ length: n }, (_, i) => peerAt(i).toString('hex'));
      for (let i = 0; i < n; i++) {
        const me = peerAt(i);
        const r = await h.announce(H, me, seeder(i) ? 0 : 1000);
        let candidates = 0;
        const allowed = new Set<string>();
        for (let j = 0; j < n; j++) {
          if (j === i || isV4(j) !== isV4(i) || (seeder(i) && seeder(j))) continue;
          candidates++;
          allowed.add(members[j]!);
        }
        assert.equal(r.peers.length, Math.min(SUITE_MAX_NUM_WANT, candidates), `peer ${i}`);
        for (const p of r.peers)
          assert.ok(allowed.has(p.toString('hex')), `peer ${i} got ${p.toString('hex')}`);
      }
    },
  },
  {
    name: 'concurrency: stops, announces, puts and scrapes at once leave the right counts',
    async run(h) {
      for (let i = 0; i < 100; i++) await h.announce(H, peerV4(i), i % 2 === 0 ? 0 : 50);
      const model = new Map<number, boolean>(); // peer -> seeder
      for (let i = 0; i < 100; i++) model.set(i, i % 2 === 0);
      let downloaded = 0;
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 100; i++) {
        let left = model.get(i) === true ? 0 : 50;
        let event: AnnounceEvent = EVENT_NONE;
        if (i % 3 === 0) {
          event = EVENT_STOPPED;
          model.delete(i);
        } else if (i % 5 === 0 && model.get(i) === false) {
          event = EVENT_COMPLETED;
          left = 0;
          model.set(i, true);
          downloaded++;
        }
        work.push(h.announce(H, peerV4(i), left, event));
        if (i % 10 === 0) work.push(h.scrape(H));
      }
      for (let i = 100; i < 150; i++) {
        model.set(i, i % 2 === 0);
        work.push(i % 2 === 0 ? h.putSeeder(H, peerV6(i)) : h.putLeecher(H, peerV6(i)));
      }
      await Promise.all(work);
      let seeders = 0;
      for (const s of model.values()) if (s) seeders++;
      assert.deepEqual(await h.scrape(H), counts(seeders, model.size - seeders, downloaded));
    },
  },
  {
    name: 'close: resolves',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.putSeeder(H, peerV6(1));
      h.closed = true;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('close() did not resolve within 10 s')), 10_000);
      });
      try {
        assert.equal(await Promise.race([h.store.close(), late]), undefined);
      } finally {
        clearTimeout(timer);
      }
    },
  },
];
