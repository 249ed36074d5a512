import assert from 'node:assert/strict';
import {
  EVENT_COMPLETED,
  EVENT_NONE,
  EVENT_STARTED,
  EVENT_STOPPED,
} from '../../bittorrent/event.js';
import type { AnnounceEvent } from '../../bittorrent/event.js';
import type { Counts, PeerStoreCase, PeerStoreHarness } from './peer-fixtures.js';
import { counts, hexes, infoHashKey, peerV4, peerV6, SUITE_MAX_NUM_WANT } from './peer-fixtures.js';

const H = infoHashKey(1);

/** Which peers are given out, and a random walk checked against a model of the contract. */
export const selectionCases: readonly PeerStoreCase[] = [
  {
    name: 'selection: repeated announces do not always return the same peers',
    async run(h) {
      for (let i = 0; i < 100; i++) await h.announce(H, peerV4(i), 5);
      // Seeders are given only leechers, so announcing seeders leave the candidates unchanged:
      // a driver that always picks the same 5 of the 100 gives 30 identical sets. A driver
      // picking at random repeats one set 30 times with negligible probability: for a uniform
      // random start over the 100 leechers, (1/100)^29.
      const sets = new Set<string>();
      for (let j = 0; j < 30; j++) {
        const r = await h.announce(H, peerV4(1000 + j), 0, EVENT_NONE, 5);
        assert.equal(r.peers.length, 5);
        sets.add(hexes(r.peers).join(','));
      }
      assert.ok(sets.size > 1, 'the same 5 peers were given 30 times');
    },
  },
  {
    name: 'selection: every candidate is given out over many announces',
    async run(h) {
      const leechers = Array.from({ length: 60 }, (_, i) => peerV4(i));
      for (const p of leechers) await h.announce(H, p, 5);
      // 300 announces of 10 of 60: a uniform choice misses a given leecher with probability
      // (5/6)^300 < 2e-24, so all 60 are seen; even a choice that offers some leecher only 5%
      // of the time misses it with probability 0.95^300 < 3e-7.
      const seen = new Set<string>();
      for (let j = 0; j < 300; j++) {
        const r = await h.announce(H, peerV4(1000 + (j % 30)), 0, EVENT_NONE, 10);
        for (const p of r.peers) seen.add(p.toString('hex'));
      }
      const missing = hexes(leechers).filter((p) => !seen.has(p));
      assert.deepEqual(missing, [], 'leechers never given out');
    },
  },
  {
    name: 'model: random announces and writes agree with the documented behaviour',
    run: randomWalk,
  },
];

/** One swarm of the model: peer hex -> seeder?, and the downloads counted. */
interface ModelSwarm {
  peers: Map<string, boolean>;
  downloaded: number;
}

/**
 * 1500 random operations (seeded, so a failure repeats) over two swarms of 12 IPv4 and 6 IPv6
 * endpoints, each checked against a model written from the interface's documentation.
 */
async function randomWalk(h: PeerStoreHarness): Promise<void> {
  let seed = 0x5eed;
  const rnd = (n: number): number => {
    // xorshift32: deterministic and good enough to spread the operations.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const hashes = [infoHashKey(1), infoHashKey(2)];
  const model = new Map<string, ModelSwarm>();
  for (const k of hashes) model.set(k, { peers: new Map(), downloaded: 0 });
  const events: AnnounceEvent[] = [EVENT_NONE, EVENT_NONE, EVENT_STARTED, EVENT_COMPLETED];

  for (let step = 0; step < 1500; step++) {
    const key = hashes[rnd(2)]!;
    const swarm = model.get(key)!;
    const peer = rnd(3) === 0 ? peerV6(rnd(6)) : peerV4(rnd(12));
    const id = peer.toString('hex');
    const was = swarm.peers.get(id);
    const op = rnd(100);
    const at = `step ${step}`;
    if (op < 50) {
      const event = rnd(8) === 0 ? EVENT_STOPPED : events[rnd(events.length)]!;
      const left = rnd(3) === 0 ? 0 : 1 + rnd(1000);
      const numWant = [0, 1, 3, SUITE_MAX_NUM_WANT, rnd(SUITE_MAX_NUM_WANT + 1)][rnd(5)]!;
      const r = await h.announce(key, peer, left, event, numWant);
      let seeder = false;
      if (event === EVENT_STOPPED) {
        swarm.peers.delete(id);
      } else {
        seeder = left === 0 || event === EVENT_COMPLETED;
        if (event === EVENT_COMPLETED && was !== true) swarm.downloaded++;
        swarm.peers.set(id, seeder);
      }
      assert.deepEqual(r.counts, countsOf(swarm), `${at}: announce counts`);
      const allowed = new Set<string>();
      if (event !== EVENT_STOPPED) {
        for (const [p, s] of swarm.peers) {
          if (p !== id && p.length === id.length && !(seeder && s)) allowed.add(p);
        }
      }
      const got = hexes(r.peers);
      assert.equal(got.length, Math.min(numWant, allowed.size), `${at}: number of peers`);
      assert.equal(new Set(got).size, got.length, `${at}: distinct peers`);
      for (const p of got) assert.ok(allowed.has(p), `${at}: ${p} may not be given`);
    } else if (op < 60) {
      await h.putSeeder(key, peer);
      swarm.peers.set(id, true);
    } else if (op < 70) {
      await h.putLeecher(key, peer);
      swarm.peers.set(id, false);
    } else if (op < 77) {
      assert.equal(await h.deleteSeeder(key, peer), was === true, `${at}: deleteSeeder`);
      if (was === true) swarm.peers.delete(id);
    } else if (op < 84) {
      assert.equal(await h.deleteLeecher(key, peer), was === false, `${at}: deleteLeecher`);
      if (was === false) swarm.peers.delete(id);
    } else if (op < 92) {
      await h.graduateLeecher(key, peer);
      if (was === false) swarm.downloaded++;
      swarm.peers.set(id, true);
    }
    assert.deepEqual(await h.scrape(key), countsOf(swarm), `${at}: scrape`);
  }
}

function countsOf(swarm: ModelSwarm): Counts {
  let seeders = 0;
  for (const s of swarm.peers.values()) if (s) seeders++;
  return counts(seeders, swarm.peers.size - seeders, swarm.downloaded);
}
