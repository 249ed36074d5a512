import assert from 'node:assert/strict';
import { EVENT_COMPLETED, EVENT_NONE } from '../../bittorrent/event.js';
import type { PeerStoreCase } from './peer-fixtures.js';
import { counts, hexes, infoHashKey, peerV4, peerV6 } from './peer-fixtures.js';

const H = infoHashKey(1);

/** The direct writes (put, delete, graduate) and scrape, seen through scrape and announce. */
export const writeCases: readonly PeerStoreCase[] = [
  {
    name: 'putSeeder: adds a seeder seen by scrape and by announces',
    async run(h) {
      await h.putSeeder(H, peerV4(1));
      assert.deepEqual(await h.scrape(H), counts(1, 0, 0));
      const leecher = await h.announce(H, peerV4(2), 5);
      assert.deepEqual(leecher.counts, counts(1, 1, 0));
      assert.deepEqual(hexes(leecher.peers), hexes([peerV4(1)]));
      const seeder = await h.announce(H, peerV4(3), 0);
      assert.deepEqual(hexes(seeder.peers), hexes([peerV4(2)]), 'the put peer seeds');
      await h.putSeeder(H, peerV6(1));
      assert.deepEqual(await h.scrape(H), counts(3, 1, 0));
      assert.deepEqual(await h.peersSeenBy(H, 6), hexes([peerV6(1)]));
    },
  },
  {
    name: 'putLeecher: adds a leecher seen by scrape and by announces',
    async run(h) {
      await h.putLeecher(H, peerV4(1));
      assert.deepEqual(await h.scrape(H), counts(0, 1, 0));
      const seeder = await h.announce(H, peerV4(2), 0);
      assert.deepEqual(seeder.counts, counts(1, 1, 0));
      assert.deepEqual(hexes(seeder.peers), hexes([peerV4(1)]), 'the put peer leeches');
      await h.putLeecher(H, peerV6(1));
      assert.deepEqual(await h.scrape(H), counts(1, 2, 0));
      const seeder6 = await h.announce(H, peerV6(2), 0);
      assert.deepEqual(hexes(seeder6.peers), hexes([peerV6(1)]));
    },
  },
  {
    name: 'put: putting a peer twice keeps one entry',
    async run(h) {
      await h.putSeeder(H, peerV4(1));
      await h.putSeeder(H, peerV4(1));
      await h.putLeecher(H, peerV4(2));
      await h.putLeecher(H, peerV4(2));
      await h.putLeecher(H, peerV6(2));
      await h.putLeecher(H, peerV6(2));
      assert.deepEqual(await h.scrape(H), counts(1, 2, 0));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(1), peerV4(2)]));
    },
  },
  {
    name: 'put: putSeeder of a leecher moves it, putLeecher of a seeder moves it back',
    async run(h) {
      await h.putLeecher(H, peerV4(1));
      await h.putSeeder(H, peerV4(1));
      assert.deepEqual(await h.scrape(H), counts(1, 0, 0), 'moved, not a download');
      const seeder = await h.announce(H, peerV4(2), 0);
      assert.equal(seeder.peers.length, 0, 'the moved peer is no longer a leecher');
      await h.putLeecher(H, peerV4(1));
      assert.deepEqual(await h.scrape(H), counts(1, 1, 0));
      const again = await h.announce(H, peerV4(2), 0);
      assert.deepEqual(hexes(again.peers), hexes([peerV4(1)]));
      // An announced leecher moves the same way.
      await h.announce(H, peerV6(1), 5);
      await h.putSeeder(H, peerV6(1));
      assert.deepEqual(await h.scrape(H), counts(2, 1, 0));
    },
  },
  {
    name: 'delete: deleteSeeder and deleteLeecher remove the peer and return true',
    async run(h) {
      await h.putSeeder(H, peerV4(1));
      await h.putLeecher(H, peerV4(2));
      await h.putSeeder(H, peerV6(1));
      await h.announce(H, peerV6(2), 5);
      assert.equal(await h.deleteSeeder(H, peerV4(1)), true);
      assert.deepEqual(await h.scrape(H), counts(1, 2, 0));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(2)]));
      assert.equal(await h.deleteLeecher(H, peerV4(2)), true);
      assert.equal(await h.deleteSeeder(H, peerV6(1)), true);
      assert.equal(await h.deleteLeecher(H, peerV6(2)), true, 'an announced peer is deleted too');
      assert.deepEqual(await h.scrape(H), counts(0, 0, 0));
      assert.deepEqual(await h.peersSeenBy(H, 4), []);
      assert.deepEqual(await h.peersSeenBy(H, 6), []);
      assert.equal(await h.deleteSeeder(H, peerV4(1)), false, 'deleting twice');
    },
  },
  {
    name: 'delete: deleting a peer from the other role returns false and changes nothing',
    async run(h) {
      await h.putLeecher(H, peerV4(1));
      await h.putSeeder(H, peerV4(2));
      assert.equal(await h.deleteSeeder(H, peerV4(1)), false, 'deleteSeeder of a leecher');
      assert.equal(await h.deleteLeecher(H, peerV4(2)), false, 'deleteLeecher of a seeder');
      assert.deepEqual(await h.scrape(H), counts(1, 1, 0));
      const seeder = await h.announce(H, peerV4(3), 0);
      assert.deepEqual(hexes(seeder.peers), hexes([peerV4(1)]), 'the leecher is still a leecher');
      const leecher = await h.announce(H, peerV4(4), 5);
      assert.deepEqual(hexes(leecher.peers), hexes([peerV4(1), peerV4(2), peerV4(3)]));
    },
  },
  {
    name: 'delete: an unknown peer or swarm returns false',
    async run(h) {
      await h.putLeecher(H, peerV4(1));
      assert.equal(await h.deleteLeecher(H, peerV4(2)), false);
      assert.equal(await h.deleteLeecher(H, peerV4(1, 6999)), false, 'same address, other port');
      assert.equal(await h.deleteSeeder(H, peerV6(1)), false);
      assert.equal(await h.deleteLeecher(H, peerV6(1)), false);
      assert.equal(await h.deleteLeecher(infoHashKey(9), peerV4(1)), false, 'unknown swarm');
      assert.equal(await h.deleteSeeder(infoHashKey(9), peerV6(1)), false, 'unknown swarm');
      assert.deepEqual(await h.scrape(H), counts(0, 1, 0));
      assert.deepEqual(await h.scrape(infoHashKey(9)), counts(0, 0, 0));
    },
  },
  {
    name: 'graduateLeecher: a leecher becomes a seeder and counts one download',
    async run(h) {
      await h.putLeecher(H, peerV4(1));
      await h.graduateLeecher(H, peerV4(1));
      assert.deepEqual(await h.scrape(H), counts(1, 0, 1));
      const seeder = await h.announce(H, peerV4(2), 0);
      assert.equal(seeder.peers.length, 0, 'the graduate is no longer a leecher');
      const leecher = await h.announce(H, peerV4(3), 5);
      assert.deepEqual(hexes(leecher.peers), hexes([peerV4(1), peerV4(2)]));
      await h.announce(H, peerV6(1), 5);
      await h.graduateLeecher(H, peerV6(1));
      assert.deepEqual(await h.scrape(H), counts(3, 1, 2), 'an announced leecher graduates');
    },
  },
  {
    name: 'graduateLeecher: an unknown peer becomes a seeder without a download',
    async run(h) {
      await h.graduateLeecher(H, peerV4(1));
      assert.deepEqual(await h.scrape(H), counts(1, 0, 0));
      await h.graduateLeecher(H, peerV6(1));
      assert.deepEqual(await h.scrape(H), counts(2, 0, 0));
      assert.deepEqual(await h.peersSeenBy(H, 4), hexes([peerV4(1)]));
      const seeder = await h.announce(H, peerV4(2), 0);
      assert.equal(seeder.peers.length, 0, 'the graduate seeds');
    },
  },
  {
    name: 'graduateLeecher: a seeder stays a seeder without a download',
    async run(h) {
      await h.putSeeder(H, peerV4(1));
      await h.graduateLeecher(H, peerV4(1));
      assert.deepEqual(await h.scrape(H), counts(1, 0, 0));
      await h.putLeecher(H, peerV4(2));
      await h.graduateLeecher(H, peerV4(2));
      await h.graduateLeecher(H, peerV4(2));
      assert.deepEqual(await h.scrape(H), counts(2, 0, 1), 'graduating twice counts once');
    },
  },
  {
    name: 'writes and announces share one entry per peer',
    async run(h) {
      await h.announce(H, peerV4(1), 5);
      await h.putSeeder(H, peerV4(1));
      assert.deepEqual(await h.scrape(H), counts(1, 0, 0));
      const done = await h.announce(H, peerV4(1), 0, EVENT_COMPLETED);
      assert.deepEqual(done.counts, counts(1, 0, 0), 'it was already a seeder');
      await h.putLeecher(H, peerV4(2));
      const r = await h.announce(H, peerV4(2), 0, EVENT_COMPLETED);
      assert.deepEqual(r.counts, counts(2, 0, 1), 'a put leecher completing is a download');
      assert.equal(await h.deleteSeeder(H, peerV4(2)), true);
      assert.deepEqual(await h.scrape(H), counts(1, 0, 1));
    },
  },
  {
    name: 'scrape: an unknown info hash gives zeros',
    async run(h) {
      assert.deepEqual(await h.scrape(H), counts(0, 0, 0));
      await h.announce(H, peerV4(1), 0, EVENT_COMPLETED);
      // Differs from a known hash in its last byte only.
      const near = Buffer.from(H, 'latin1');
      near[19] = near[19]! ^ 1;
      assert.deepEqual(await h.scrape(near.toString('latin1')), counts(0, 0, 0));
    },
  },
  {
    name: 'scrape: counts match the swarm',
    async run(h) {
      const a = infoHashKey(1);
      const b = infoHashKey(2);
      for (let i = 0; i < 12; i++) {
        const p = i % 2 === 0 ? peerV4(i) : peerV6(i);
        await h.announce(a, p, i % 3 === 0 ? 0 : 7, i % 4 === 0 ? EVENT_COMPLETED : EVENT_NONE);
      }
      // Seeders 0, 3, 6, 9 plus 4 and 8 (completed); 0, 4 and 8 were not seeders: 3 downloads.
      assert.deepEqual(await h.scrape(a), counts(6, 6, 3));
      await h.putSeeder(b, peerV4(1));
      await h.putLeecher(b, peerV6(1));
      await h.graduateLeecher(b, peerV6(1));
      assert.deepEqual(await h.scrape(b), counts(2, 0, 1));
      assert.deepEqual(await h.scrape(a), counts(6, 6, 3));
    },
  },
];
