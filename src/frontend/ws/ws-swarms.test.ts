import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScrapeEntry } from '../../bittorrent/announce.js';
import { WsSwarms } from './ws-swarms.js';
import type { WsPeer } from './ws-swarms.js';

const conn = (): { closed: boolean } => ({ closed: false });
const id = (n: number): string => String(n).padStart(20, '0');

test('counts: seeders and leechers added to the store counts; leave drops empty swarms', () => {
  const s = new WsSwarms();
  const e = new ScrapeEntry();
  s.addCounts('h', e);
  assert.deepEqual([e.complete, e.incomplete], [0, 0]);
  const c1 = conn();
  const a = s.join('h', id(1), c1, true, () => undefined);
  s.join('h', id(2), conn(), false, () => undefined);
  s.join('h', id(2), conn(), false, () => undefined); // a peer id taken over by another socket
  e.complete = 3;
  e.incomplete = 4;
  s.addCounts('h', e);
  assert.deepEqual([e.complete, e.incomplete], [4, 5]);
  s.join('h', id(1), c1, false, () => undefined); // seeder -> leecher
  assert.equal(s.get('h')!.seeders, 0);
  s.leave(a);
  s.leave(a); // twice is harmless
  assert.equal(s.size, 1);
  assert.equal(s.swarmCount, 1);
});

test('takeover tells the old socket; pickOthers never returns self, closed or duplicates', () => {
  const s = new WsSwarms<{ closed: boolean }>();
  const evicted: WsPeer<{ closed: boolean }>[] = [];
  const c0 = conn();
  s.join('h', id(0), c0, false, () => undefined);
  s.join('h', id(0), conn(), false, (p) => evicted.push(p));
  assert.equal(evicted.length, 1);
  assert.equal(evicted[0]!.conn, c0);
  const peers = [];
  for (let i = 1; i <= 20; i++) peers.push(s.join('h', id(i), conn(), false, () => undefined));
  peers[5]!.conn.closed = true;
  const self = peers[0]!;
  const out: WsPeer<{ closed: boolean }>[] = [];
  for (let round = 0; round < 200; round++) {
    const n = s.pickOthers(self, 5, out);
    assert.equal(n, 5);
    const chosen = out.slice(0, n);
    assert.equal(new Set(chosen).size, 5);
    assert.ok(!chosen.includes(self) && !chosen.includes(peers[5]!));
    // indices stay consistent after the shuffle
    for (const [i, p] of self.swarm.peers.entries()) assert.equal(p.index, i);
  }
  assert.equal(s.pickOthers(self, 100, out), 19); // all others but the closed one
});
