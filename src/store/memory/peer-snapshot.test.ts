import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScrapeEntry } from '../../bittorrent/announce.js';
import { MemoryKvStore } from '../../chainstore/stores/memory-kv-store.js';
import { infoHashKey, peerV4, peerV6 } from '../suites/peer-fixtures.js';
import { MemoryPeerStore } from './memory-peer-store.js';
import { restorePeers, snapshotPeers, SNAPSHOT_MANIFEST_KEY } from './peer-snapshot.js';

const LIFETIME = 640;

function storeAt(clock: { t: number }): MemoryPeerStore {
  return new MemoryPeerStore({
    peerLifetime: LIFETIME,
    maxNumWant: 50,
    now: () => clock.t,
    sweepInterval: 0,
  });
}

function scrape(s: MemoryPeerStore, i: number): [number, number, number] {
  const e = new ScrapeEntry();
  s.scrape(infoHashKey(i), e);
  return [e.complete, e.incomplete, e.downloaded];
}

/** Every peer of a swarm as hex, seeders then leechers, from a snapshot of the store. */
function peersOf(s: MemoryPeerStore, i: number): string[] {
  for (const sw of s.snapshotSwarms()) {
    if (sw.infoHashKey !== infoHashKey(i)) continue;
    const out: string[] = [];
    for (const l of sw.lists) {
      for (let j = 0; j < l.lastSeen.length; j++) {
        const kind = j < l.seeders ? 'S' : 'L';
        out.push(kind + l.records.toString('hex', j * l.recSize, (j + 1) * l.recSize));
      }
    }
    return out.sort();
  }
  return [];
}

describe('peer snapshots', () => {
  it('restore swarms as they were: peers, seeders and leechers, both families, downloads', async () => {
    const clock = { t: 1_000_000 };
    const a = storeAt(clock);
    a.putSeeder(infoHashKey(1), peerV4(1));
    a.putLeecher(infoHashKey(1), peerV4(2));
    a.putLeecher(infoHashKey(1), peerV6(3));
    a.putLeecher(infoHashKey(1), peerV4(4));
    a.graduateLeecher(infoHashKey(1), peerV4(4));
    a.putLeecher(infoHashKey(2), peerV6(5));
    const kv = new MemoryKvStore();
    await kv.open();
    const saved = await snapshotPeers(a, kv);
    assert.deepEqual(saved, { swarms: 2, peers: 5, chunks: 1 });
    const before = [peersOf(a, 1), peersOf(a, 2)];

    clock.t += 100;
    const b = storeAt(clock);
    const restored = await restorePeers(b, kv);
    assert.deepEqual(restored, { swarms: 2, peers: 5, chunks: 1 });
    assert.deepEqual(scrape(b, 1), [2, 2, 1]);
    assert.deepEqual(scrape(b, 2), [0, 1, 0]);
    assert.deepEqual([peersOf(b, 1), peersOf(b, 2)], before);
    // Restored peers keep their age: they expire a lifetime after their last announce.
    clock.t += LIFETIME - 100;
    b.sweep();
    assert.equal(b.peerCount(), 0);
    await Promise.all([a.close(), b.close(), kv.close()]);
  });

  it('drops peers older than the lifetime on restore, keeping the others', async () => {
    const clock = { t: 2_000_000 };
    const a = storeAt(clock);
    a.putLeecher(infoHashKey(1), peerV4(1));
    clock.t += 400;
    a.putLeecher(infoHashKey(1), peerV4(2));
    a.putSeeder(infoHashKey(3), peerV4(3));
    const kv = new MemoryKvStore();
    await kv.open();
    await snapshotPeers(a, kv);
    clock.t += 300; // peer 1 is now 700 s old, the others 300 s
    const b = storeAt(clock);
    const r = await restorePeers(b, kv);
    assert.equal(r.peers, 2);
    assert.deepEqual(peersOf(b, 1), ['L' + peerV4(2).toString('hex')]);
    clock.t += 10_000;
    const c = storeAt(clock);
    assert.equal((await restorePeers(c, kv)).peers, 0);
    assert.equal(c.swarmCount, 0);
    await Promise.all([a.close(), b.close(), c.close(), kv.close()]);
  });

  it('writes many swarms in chunks, replaces the previous snapshot, and restores nothing without one', async () => {
    const clock = { t: 3_000_000 };
    const a = storeAt(clock);
    const n = 60_000;
    for (let i = 0; i < n; i++) a.putLeecher(infoHashKey(i), peerV4(i));
    const kv = new MemoryKvStore();
    await kv.open();
    const empty = storeAt(clock);
    assert.deepEqual(await restorePeers(empty, kv), { swarms: 0, peers: 0, chunks: 0 });
    const first = await snapshotPeers(a, kv);
    assert.ok(first.chunks > 1, `${first.chunks} chunks`);
    a.putSeeder(infoHashKey(n), peerV6(n));
    const second = await snapshotPeers(a, kv);
    assert.equal(second.peers, n + 1);
    // The first generation's chunks are gone: manifest + the second's chunks only.
    assert.equal(kv.size, 1 + second.chunks);
    const b = storeAt(clock);
    assert.equal((await restorePeers(b, kv)).peers, n + 1);
    assert.equal(b.peerCount(), n + 1);
    assert.deepEqual(scrape(b, n), [1, 0, 0]);
    await kv.put(SNAPSHOT_MANIFEST_KEY, Buffer.from('{"version":9}'));
    await assert.rejects(restorePeers(storeAt(clock), kv), { code: 'SHOAL_E_KV_IO' });
    await Promise.all([a.close(), b.close(), empty.close(), kv.close()]);
  });
});
