import assert from 'node:assert/strict';
import { EVENT_COMPLETED } from '../../bittorrent/event.js';
import type { PeerStoreCase } from './peer-fixtures.js';
import {
  counts,
  hexes,
  infoHashKey,
  peerV4,
  peerV6,
  SUITE_PEER_LIFETIME,
} from './peer-fixtures.js';

const H = infoHashKey(1);
const L = SUITE_PEER_LIFETIME;
/**
 * Slack around the lifetime. Drivers may keep last-seen times coarsely ("to the driver's
 * documented resolution"); a sixteenth of the lifetime is well above any sensible resolution.
 */
const SLACK = L / 16;

/** Expiry through `sweep()`, driven by the fake clock. */
export const expiryCases: readonly PeerStoreCase[] = [
  {
    name: 'sweep: a peer is kept within its lifetime and dropped after it',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.putSeeder(H, peerV4(2));
      h.advance(L - SLACK);
      await h.sweep();
      assert.deepEqual(await h.scrape(H), counts(1, 1, 0), 'kept just before the lifetime');
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(1), peerV4(2)]));
      h.advance(2 * SLACK);
      await h.sweep();
      assert.deepEqual(await h.scrape(H), counts(0, 0, 0), 'dropped just after it');
      assert.deepEqual(await h.peersSeenBy(H, 4), [], 'an expired peer is not given out');
    },
  },
  {
    name: 'sweep: a peer that announced or was put again is kept',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.announce(H, peerV4(2), 5);
      await h.putSeeder(H, peerV4(3));
      await h.putSeeder(H, peerV4(4));
      h.advance(L / 2);
      await h.announce(H, peerV4(1), 5);
      await h.putSeeder(H, peerV4(3));
      h.advance(L / 2 + SLACK);
      await h.sweep();
      assert.deepEqual(await h.scrape(H), counts(1, 1, 0));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(1), peerV4(3)]));
      h.advance(L / 2);
      await h.sweep();
      assert.deepEqual(await h.scrape(H), counts(0, 0, 0));
    },
  },
  {
    name: 'sweep: expiry covers seeders and leechers of both families',
    async run(h) {
      await h.announce(H, peerV4(1), 0);
      await h.putLeecher(H, peerV4(2));
      await h.putSeeder(H, peerV6(1));
      await h.announce(H, peerV6(2), 5);
      await h.announce(H, peerV4(3), 5);
      await h.announce(H, peerV4(3), 0, EVENT_COMPLETED);
      h.advance(L / 2);
      await h.putSeeder(H, peerV4(11));
      await h.announce(H, peerV4(12), 5);
      await h.announce(H, peerV6(11), 0);
      await h.putLeecher(H, peerV6(12));
      assert.deepEqual(await h.scrape(H), counts(5, 4, 1));
      h.advance(L / 2 + SLACK);
      await h.sweep();
      // The swarm still has peers, so its download count stays.
      assert.deepEqual(await h.scrape(H), counts(2, 2, 1));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(11), peerV4(12)]));
      assert.deepEqual(await h.peersSeenBy(H, 6), hexes([peerV6(11), peerV6(12)]));
      h.advance(L / 2);
      await h.sweep();
      const empty = await h.scrape(H);
      assert.deepEqual([empty.complete, empty.incomplete], [0, 0]);
      // An empty swarm may be forgotten with its download count.
      assert.ok(empty.downloaded === 0 || empty.downloaded === 1, 'downloaded is kept or reset');
    },
  },
  {
    name: 'sweep: a peer refreshed every half lifetime is never dropped',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.putSeeder(H, peerV6(1));
      for (let i = 0; i < 20; i++) {
        h.advance(L / 2);
        await h.announce(H, peerV4(1), 5);
        await h.putSeeder(H, peerV6(1));
        await h.sweep();
        assert.deepEqual(await h.scrape(H), counts(1, 1, 0), `after ${(i + 1) / 2} lifetimes`);
      }
    },
  },
  {
    name: 'sweep: old peers are dropped however long since the last sweep',
    async run(h) {
      // Peers written 1 to 8 lifetimes (plus slack) before the only sweep, each alone in its
      // swarm and all together in H: a driver must not lose track of ages while unswept.
      const end = h.t + 8 * L + SLACK;
      for (let k = 8; k >= 1; k--) {
        h.t = end - k * L - SLACK;
        if (k % 2 === 0) {
          await h.announce(infoHashKey(100 + k), peerV4(k), 5);
          await h.announce(H, peerV4(k), 5);
        } else {
          await h.putSeeder(infoHashKey(100 + k), peerV6(k));
          await h.putSeeder(H, peerV6(k));
        }
      }
      h.t = end - L / 2;
      await h.announce(H, peerV4(1000), 5);
      await h.putSeeder(H, peerV6(1000));
      h.t = end;
      await h.sweep();
      for (let k = 1; k <= 8; k++) {
        const c = await h.scrape(infoHashKey(100 + k));
        assert.deepEqual([c.complete, c.incomplete], [0, 0], `a peer ${k} lifetimes old`);
      }
      assert.deepEqual(await h.scrape(H), counts(1, 1, 0));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(1000)]));
      assert.deepEqual(await h.peersSeenBy(H, 6), hexes([peerV6(1000)]));
    },
  },
];
