import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnnounceRequest, AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import {
  EVENT_COMPLETED,
  EVENT_NONE,
  EVENT_STARTED,
  EVENT_STOPPED,
} from '../../bittorrent/event.js';
import type { AnnounceEvent } from '../../bittorrent/event.js';
import { MemoryPeerStore } from './memory-peer-store.js';

const HASH = Buffer.alloc(20, 0xab);

function peer4(i: number): Buffer {
  return Buffer.from([10, 0, (i >> 8) & 0xff, i & 0xff, 0x1a, 0xe1]);
}

function peer6(i: number): Buffer {
  const b = Buffer.alloc(18);
  b[0] = 0x20;
  b[1] = 0x01;
  b.writeUInt16BE(i, 14);
  b.writeUInt16BE(6881, 16);
  return b;
}

function req(
  peer: Buffer,
  left: number,
  event: AnnounceEvent = EVENT_NONE,
  hash = HASH,
): AnnounceRequest {
  const r = new AnnounceRequest();
  r.infoHash = hash;
  r.infoHashKey = hash.toString('latin1');
  r.peer = peer;
  r.family = peer.length === 6 ? 4 : 6;
  r.left = left;
  r.event = event;
  return r;
}

function announce(
  store: MemoryPeerStore,
  r: AnnounceRequest,
  numWant = 50,
): { res: AnnounceResponse; peers: Buffer[] } {
  const res = new AnnounceResponse();
  store.announce(r, numWant, res);
  const rec = res.family === 4 ? 6 : 18;
  const peers: Buffer[] = [];
  for (let i = 0; i < res.peerCount; i++)
    peers.push(Buffer.from(res.peers.subarray(i * rec, (i + 1) * rec)));
  assert.equal(res.peers.length, res.peerCount * rec);
  return { res, peers };
}

function make(now: () => number = () => 1000, lifetime = 60): MemoryPeerStore {
  return new MemoryPeerStore({ peerLifetime: lifetime, maxNumWant: 200, now, sweepInterval: 0 });
}

describe('MemoryPeerStore', () => {
  it('stores leechers and seeders and counts them', () => {
    const s = make();
    announce(s, req(peer4(1), 100, EVENT_STARTED));
    announce(s, req(peer4(2), 100));
    const { res } = announce(s, req(peer4(3), 0));
    assert.equal(res.complete, 1);
    assert.equal(res.incomplete, 2);
    assert.equal(res.downloaded, 0);
    const e = new ScrapeEntry();
    s.scrape(HASH.toString('latin1'), e);
    assert.deepEqual([e.complete, e.incomplete, e.downloaded], [1, 2, 0]);
  });

  it('never returns the announcing peer and gives leechers everyone else', () => {
    const s = make();
    for (let i = 0; i < 10; i++) announce(s, req(peer4(i), i < 3 ? 0 : 5));
    for (let trial = 0; trial < 50; trial++) {
      const me = peer4(5);
      const { peers } = announce(s, req(me, 5));
      assert.equal(peers.length, 9);
      assert.ok(!peers.some((p) => p.equals(me)));
      assert.equal(new Set(peers.map((p) => p.toString('hex'))).size, 9, 'no duplicates');
    }
  });

  it('gives seeders only leechers', () => {
    const s = make();
    for (let i = 0; i < 4; i++) announce(s, req(peer4(i), 0));
    for (let i = 4; i < 7; i++) announce(s, req(peer4(100 + i), 7));
    for (let trial = 0; trial < 30; trial++) {
      const { peers } = announce(s, req(peer4(1), 0));
      assert.equal(peers.length, 3);
      for (const p of peers) assert.ok(p.readUInt16BE(2) >= 100, 'only leechers');
    }
  });

  it('caps the reply at numWant with a random contiguous run', () => {
    const s = make();
    for (let i = 0; i < 100; i++) announce(s, req(peer4(i), 5));
    const seen = new Set<string>();
    for (let trial = 0; trial < 40; trial++) {
      const { peers } = announce(s, req(peer4(500), 5), 10);
      assert.equal(peers.length, 10);
      for (const p of peers) seen.add(p.toString('hex'));
    }
    assert.ok(seen.size > 30, `selection should vary, saw ${seen.size} distinct peers`);
    assert.equal(announce(s, req(peer4(500), 5), 0).peers.length, 0);
  });

  it('keeps IPv4 and IPv6 apart but counts both', () => {
    const s = make();
    announce(s, req(peer4(1), 5));
    announce(s, req(peer6(1), 5));
    const v6 = announce(s, req(peer6(2), 5));
    assert.equal(v6.res.family, 6);
    assert.equal(v6.peers.length, 1);
    assert.ok(v6.peers[0]!.equals(peer6(1)));
    assert.equal(v6.res.incomplete, 3);
    const v4 = announce(s, req(peer4(2), 5));
    assert.equal(v4.peers.length, 1);
    assert.ok(v4.peers[0]!.equals(peer4(1)));
  });

  it('graduates on completed and counts a download once', () => {
    const s = make();
    announce(s, req(peer4(1), 5));
    let r = announce(s, req(peer4(1), 0, EVENT_COMPLETED)).res;
    assert.deepEqual([r.complete, r.incomplete, r.downloaded], [1, 0, 1]);
    r = announce(s, req(peer4(1), 0, EVENT_COMPLETED)).res;
    assert.equal(r.downloaded, 1, 'a seeder repeating completed is not a new download');
    // completed from a peer never seen is still a finished download
    r = announce(s, req(peer4(2), 0, EVENT_COMPLETED)).res;
    assert.deepEqual([r.complete, r.downloaded], [2, 2]);
  });

  it('moves a seeder back to leechers when it has data left', () => {
    const s = make();
    announce(s, req(peer4(1), 0));
    const r = announce(s, req(peer4(1), 9)).res;
    assert.deepEqual([r.complete, r.incomplete], [0, 1]);
  });

  it('removes a stopped peer and returns no peers', () => {
    const s = make();
    announce(s, req(peer4(1), 5));
    announce(s, req(peer4(2), 0));
    const { res, peers } = announce(s, req(peer4(1), 5, EVENT_STOPPED), 0);
    assert.equal(peers.length, 0);
    assert.deepEqual([res.complete, res.incomplete], [1, 0]);
    const after = announce(s, req(peer4(3), 5));
    assert.deepEqual(
      after.peers.map((p) => p.toString('hex')),
      [peer4(2).toString('hex')],
    );
    // stopping an unknown peer or swarm is harmless
    announce(s, req(peer4(9), 5, EVENT_STOPPED));
    const other = announce(s, req(peer4(9), 5, EVENT_STOPPED, Buffer.alloc(20, 1))).res;
    assert.deepEqual([other.complete, other.incomplete], [0, 0]);
    assert.equal(s.swarmCount, 1, 'stopping in an unknown swarm creates nothing');
  });

  it('keeps a swarm emptied by stops and deletes until the sweep frees it', () => {
    const s = make();
    const other = Buffer.alloc(20, 2);
    announce(s, req(peer4(1), 5));
    announce(s, req(peer4(1), 5, EVENT_STOPPED));
    s.putLeecher(other.toString('latin1'), peer4(2));
    assert.equal(s.deleteLeecher(other.toString('latin1'), peer4(2)), true);
    assert.equal(s.swarmCount, 2, 'emptied swarms are not freed on the request path');
    assert.equal(s.peerCount(), 0);
    s.sweep();
    assert.equal(s.swarmCount, 0, 'the sweep frees them');
  });

  it('expires peers after their lifetime and frees empty swarms', () => {
    let now = 1000;
    const s = make(() => now, 60);
    announce(s, req(peer4(1), 5));
    now += 30;
    announce(s, req(peer4(2), 0));
    now += 31; // peer 1 is 61 s old, peer 2 is 31 s old
    s.sweep();
    const e = new ScrapeEntry();
    s.scrape(HASH.toString('latin1'), e);
    assert.deepEqual([e.complete, e.incomplete], [1, 0]);
    assert.equal(s.expired, 1);
    now += 60;
    s.sweep();
    assert.equal(s.swarmCount, 0);
    assert.equal(s.peerCount(), 0);
  });

  it('keeps a peer that re-announces within its lifetime, across the tick wrap-around', () => {
    let now = 65530;
    const s = make(() => now, 60);
    announce(s, req(peer4(1), 5));
    now = 65560; // tick wrapped: (65560 & 0xffff) = 24
    s.sweep();
    assert.equal(s.peerCount(), 1);
    now = 65600;
    s.sweep();
    assert.equal(s.peerCount(), 0);
  });

  it('sweeps incrementally in slices', () => {
    let now = 0;
    const s = make(() => now, 40);
    for (let h = 0; h < 500; h++) {
      const hash = Buffer.alloc(20);
      hash.writeUInt32BE(h, 0);
      announce(s, req(peer4(h), 5, EVENT_NONE, hash));
    }
    now = 100;
    let slices = 0;
    while (s.swarmCount > 0 && slices < 100) {
      s.sweepSlice();
      slices++;
    }
    assert.equal(s.swarmCount, 0);
    assert.ok(slices > 1, 'more than one slice for 500 swarms');
  });

  it('expires by true age after an idle gap of whole tick wraps', () => {
    // Lifetime 60 s: 1 s ticks, stored as one byte, so 256 s later a tick reads as "now".
    let now = 1000;
    const s = make(() => now, 60);
    announce(s, req(peer4(1), 5));
    announce(s, req(peer4(2), 5, EVENT_NONE, Buffer.alloc(20, 2)));
    now += 256;
    // A write to the unswept swarm expires it first, so peer 1 is not revived.
    const { res, peers } = announce(s, req(peer4(3), 5));
    assert.equal(res.incomplete, 1);
    assert.equal(peers.length, 0);
    now += 512;
    while (s.swarmCount > 0 && now < 2000) {
      s.sweepSlice();
      now++;
    }
    assert.equal(s.peerCount(), 0, 'sliced sweeps also drop peers unswept for 768 ticks');
    assert.equal(s.expired, 3);
  });

  it('agrees with a simple model over random operations', () => {
    const s = make();
    const model = new Map<string, boolean>(); // peer hex -> seeder?
    let downloaded = 0;
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let step = 0; step < 3000; step++) {
      const p = peer4(rnd(60));
      const k = p.toString('hex');
      const op = rnd(10);
      if (op === 0) {
        announce(s, req(p, 5, EVENT_STOPPED));
        model.delete(k);
        continue;
      }
      const event = op === 1 ? EVENT_COMPLETED : EVENT_NONE;
      const left = event === EVENT_COMPLETED || op < 4 ? 0 : 5;
      if (event === EVENT_COMPLETED && model.get(k) !== true) downloaded++;
      model.set(k, left === 0);
      const { res, peers } = announce(s, req(p, left, event), 200);
      const seeders = [...model.values()].filter(Boolean).length;
      assert.equal(res.complete, seeders);
      assert.equal(res.incomplete, model.size - seeders);
      assert.equal(res.downloaded, downloaded);
      const expect = left === 0 ? model.size - seeders : model.size - 1;
      assert.equal(peers.length, expect);
      for (const q of peers) {
        const h = q.toString('hex');
        assert.ok(model.has(h) && h !== k);
        if (left === 0) assert.equal(model.get(h), false);
      }
    }
  });
});
