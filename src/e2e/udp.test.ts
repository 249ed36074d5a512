/**
 * UDP tracker (BEP 15, BEP 41) end to end over real loopback sockets, IPv4 and IPv6, with our
 * own raw packets (protocol-support/raw-udp.ts): the bittorrent-tracker Client cannot reach
 * udp://[::1], send BEP 41 options or malformed packets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Tracker } from '../index.js';
import type { Family } from './protocol-support/fixtures.js';
import {
  boundAddress,
  compactPeers,
  ep,
  FAMILIES,
  peerPort,
  randomId,
  sleep,
  startTracker,
} from './protocol-support/fixtures.js';
import type { AnnounceReply, UdpAnnounce } from './protocol-support/raw-udp.js';
import {
  ANNOUNCE,
  CONNECT,
  ERROR,
  PROTOCOL_ID,
  UdpConn,
  announcePacket,
  connectPacket,
  errorMessage,
  parseAnnounceReply,
  scrapePacket,
  txid,
  urlDataOption,
} from './protocol-support/raw-udp.js';
import { announce as httpAnnounce, bytesField } from './protocol-support/raw-http.js';
import { mulberry32 } from '../test-support/mulberry32.js';

function peersOf(r: AnnounceReply, family: Family): string[] {
  return compactPeers(r.peerBytes, family).sort();
}

function peer(infoHash: Buffer, extra: Partial<UdpAnnounce> = {}): UdpAnnounce {
  return { infoHash, peerId: randomId(), port: peerPort(), ...extra };
}

describe('UDP end to end (raw BEP 15 packets)', () => {
  let tracker: Tracker;
  const conns = new Map<Family, UdpConn>();
  const conn = (family: Family): UdpConn => {
    const c = conns.get(family);
    if (c === undefined) throw new Error('no socket');
    return c;
  };

  before(async () => {
    tracker = await startTracker();
    for (const f of FAMILIES)
      conns.set(f, await UdpConn.open(boundAddress(tracker, 'udp', f).port, f));
  });
  after(async () => {
    for (const c of conns.values()) await c.close();
    await tracker.close();
  });

  for (const family of FAMILIES) {
    describe(`IPv${family}`, () => {
      test('connect, then a second peer gets the first one (address:port) with counts', async () => {
        const c = conn(family);
        const t = txid();
        const reply = await c.request(connectPacket(t));
        assert.equal(reply.length, 16);
        assert.equal(reply.readUInt32BE(0), CONNECT);
        assert.equal(reply.readUInt32BE(4), t);

        const ih = randomId();
        const a = peer(ih, { event: 'started' });
        const ra = await c.announce(a);
        assert.equal(ra.interval, 1800);
        assert.deepEqual([ra.seeders, ra.leechers], [0, 1]);
        assert.equal(ra.peerBytes.length, 0);

        const rb = await c.announce(peer(ih, { event: 'started' }));
        assert.deepEqual([rb.seeders, rb.leechers], [0, 2]);
        // IPv4 peers are 6 bytes, IPv6 peers 18 (BEP 15 over IPv6).
        assert.equal(rb.peerBytes.length, family === 4 ? 6 : 18);
        assert.deepEqual(peersOf(rb, family), [ep(family, a.port)]);
      });

      test('a peer never receives itself; re-announcing does not duplicate it', async () => {
        const c = conn(family);
        const ih = randomId();
        const ps = [peer(ih), peer(ih), peer(ih)];
        const id = await c.connect();
        for (const p of ps) await c.announce(p, id);
        for (const p of ps) {
          const r = await c.announce(p, id); // one connection id serves several requests
          assert.equal(r.leechers, 3);
          const others = ps.filter((x) => x !== p).map((x) => ep(family, x.port));
          assert.deepEqual(peersOf(r, family), others.sort());
        }
      });

      test('seeders get only leechers', async () => {
        const c = conn(family);
        const ih = randomId();
        const l1 = peer(ih);
        const l2 = peer(ih);
        const s1 = peer(ih, { left: 0 });
        await c.announce(l1);
        await c.announce(l2);
        await c.announce(s1);
        const r = await c.announce(peer(ih, { left: 0 }));
        assert.deepEqual([r.seeders, r.leechers], [2, 2]);
        assert.deepEqual(peersOf(r, family), [ep(family, l1.port), ep(family, l2.port)].sort());
      });

      test('completed makes a seeder and counts one download, once per peer', async () => {
        const c = conn(family);
        const ih = randomId();
        const a = peer(ih, { event: 'started' });
        await c.announce(a);
        const r1 = await c.announce({ ...a, event: 'completed', left: 0 });
        assert.deepEqual([r1.seeders, r1.leechers], [1, 0]);
        await c.announce({ ...a, event: 'completed', left: 0 });
        await c.announce(peer(ih, { event: 'completed', left: 0 }));
        assert.deepEqual(await c.scrape([ih]), [{ seeders: 2, completed: 2, leechers: 0 }]);
      });

      test('stopped removes the peer: no peers back, counts drop, others stop seeing it', async () => {
        const c = conn(family);
        const ih = randomId();
        const a = peer(ih);
        const b = peer(ih);
        await c.announce(a);
        await c.announce(b);
        const stop = await c.announce({ ...a, event: 'stopped' });
        assert.equal(stop.peerBytes.length, 0);
        assert.deepEqual([stop.seeders, stop.leechers], [0, 1]);
        const third = await c.announce(peer(ih));
        assert.deepEqual(peersOf(third, family), [ep(family, b.port)]);
        assert.equal(third.leechers, 2);
        assert.deepEqual(await c.scrape([ih]), [{ seeders: 0, completed: 0, leechers: 2 }]);
      });

      test('scrape of one and of several info hashes, in request order', async () => {
        const c = conn(family);
        const x = randomId();
        const y = randomId();
        const unknown = randomId();
        await c.announce(peer(x));
        await c.announce(peer(x, { event: 'completed', left: 0 }));
        await c.announce(peer(y));
        await c.announce(peer(y));
        await c.announce(peer(y, { left: 0 }));
        const sx = { seeders: 1, completed: 1, leechers: 1 };
        const sy = { seeders: 1, completed: 0, leechers: 2 };
        const zero = { seeders: 0, completed: 0, leechers: 0 };
        assert.deepEqual(await c.scrape([x]), [sx]);
        assert.deepEqual(await c.scrape([y, unknown, x]), [sy, zero, sx]);
        assert.deepEqual(await c.scrape([x, y, x]), [sx, sy, sx]);
      });

      test('the announce IP field is ignored without trustClientIp', async () => {
        const c = conn(family);
        const ih = randomId();
        const a = peer(ih, { ip: 0x01020304 });
        await c.announce(a);
        const r = await c.announce(peer(ih));
        assert.deepEqual(peersOf(r, family), [ep(family, a.port)]);
      });

      test('BEP 41: an announce with URL-data options is accepted and stored', async () => {
        const c = conn(family);
        const ih = randomId();
        const options = Buffer.concat([
          Buffer.from([1]), // NOP
          urlDataOption('/announce'),
          Buffer.from([7, 2, 0xaa, 0xbb]), // an unknown option with a length: skipped
          urlDataOption('?passkey=abc&x=%20'),
          Buffer.from([0]), // END: what follows is not read
          Buffer.from('trailing bytes'),
        ]);
        const a = peer(ih, { options });
        const ra = await c.announce(a);
        assert.equal(ra.leechers, 1);
        const rb = await c.announce(peer(ih, { options: urlDataOption('/announce') }));
        assert.deepEqual(peersOf(rb, family), [ep(family, a.port)]);
        assert.equal(rb.leechers, 2);
      });

      test('BEP 41: options that run past the packet get an error and store nothing', async () => {
        const c = conn(family);
        const ih = randomId();
        const id = await c.connect();
        for (const options of [Buffer.from([2, 40, 0x2f]), Buffer.from([2])]) {
          const t = txid();
          const r = await c.request(announcePacket(id, t, peer(ih, { options })));
          assert.equal(r.readUInt32BE(0), ERROR);
          assert.equal(r.readUInt32BE(4), t);
        }
        assert.deepEqual(await c.scrape([ih]), [{ seeders: 0, completed: 0, leechers: 0 }]);
      });
    });
  }

  test('each family gets peers of its own family; counts cover both', async () => {
    const ih = randomId();
    const a4 = peer(ih);
    const a6 = peer(ih);
    await conn(4).announce(a4);
    await conn(6).announce(a6);
    const r4 = await conn(4).announce(peer(ih));
    assert.deepEqual(peersOf(r4, 4), [ep(4, a4.port)]);
    assert.equal(r4.leechers, 3);
    const r6 = await conn(6).announce(peer(ih));
    assert.deepEqual(peersOf(r6, 6), [ep(6, a6.port)]);
    assert.equal(r6.leechers, 4);
  });

  test('UDP and HTTP share the swarm', async () => {
    const ih = randomId();
    const u = peer(ih);
    await conn(6).announce(u);
    const h = await httpAnnounce(boundAddress(tracker, 'http', 6).port, 6, {
      infoHash: ih,
      peerId: randomId(),
      port: peerPort(),
    });
    assert.deepEqual(compactPeers(bytesField(h, 'peers6'), 6), [ep(6, u.port)]);
    const r = await conn(6).announce(peer(ih));
    assert.equal(r.leechers, 3);
  });

  describe('connection ids', () => {
    for (const family of FAMILIES) {
      test(`IPv${family}: a bad connection id gets an error no larger than the request`, async () => {
        const c = conn(family);
        const ih = randomId();
        const bogus = Buffer.from('0123456789abcdef', 'hex');
        const packets = [
          announcePacket(bogus, txid(), peer(ih)),
          scrapePacket(bogus, txid(), [ih]),
          scrapePacket(bogus, txid(), []), // 16 bytes: the error text must be cut
          announcePacket(PROTOCOL_ID, txid(), peer(ih)), // the connect magic is no id
        ];
        for (const p of packets) {
          const r = await c.request(p);
          assert.equal(r.readUInt32BE(0), ERROR);
          assert.equal(r.readUInt32BE(4), p.readUInt32BE(12), 'transaction id echoed');
          assert.ok(r.length <= p.length, `${r.length}-byte reply to a ${p.length}-byte request`);
        }
        assert.deepEqual(await c.scrape([ih]), [{ seeders: 0, completed: 0, leechers: 0 }]);
      });
    }

    test('an id issued to 127.0.0.1 is refused from ::1', async () => {
      const id = await conn(4).connect();
      const ih = randomId();
      const t = txid();
      const r = await conn(6).request(announcePacket(id, t, peer(ih)));
      assert.equal(r.readUInt32BE(0), ERROR);
      assert.equal(r.readUInt32BE(4), t);
      // The same id works from its own address.
      const ok = await conn(4).request(announcePacket(id, t, peer(ih)));
      assert.equal(parseAnnounceReply(ok, t).leechers, 1);
    });
  });

  describe('malformed packets', () => {
    for (const family of FAMILIES) {
      test(`IPv${family}: short packets and a wrong protocol id get no reply`, async () => {
        const c = conn(family);
        const badMagic = connectPacket(txid());
        badMagic.writeUInt8(0x18, 3); // 0x27101980 -> 0x27101918
        for (const p of [
          Buffer.alloc(0),
          Buffer.from([0]),
          Buffer.alloc(8),
          connectPacket(txid()).subarray(0, 15),
          badMagic,
        ]) {
          await c.send(p);
        }
        assert.equal(await c.receive(300), null);
        // And the tracker still answers.
        assert.equal((await c.connect()).length, 8);
      });

      test(`IPv${family}: bad requests with a valid id get an error action`, async () => {
        const c = conn(family);
        const id = await c.connect();
        const ih = randomId();
        const full = announcePacket(id, txid(), peer(ih));
        const badEvent = announcePacket(id, txid(), peer(ih));
        badEvent.writeUInt32BE(9, 80);
        const badPort = announcePacket(id, txid(), { ...peer(ih), port: 0 });
        const unknownAction = Buffer.from(scrapePacket(id, txid(), [ih]));
        unknownAction.writeUInt32BE(7, 8);
        const cases: [string, Buffer][] = [
          ['announce of 97 bytes', full.subarray(0, 97)],
          ['announce of 20 bytes', full.subarray(0, 20)],
          ['event 9', badEvent],
          ['port 0', badPort],
          ['scrape without hashes', scrapePacket(id, txid(), [])],
          ['scrape with half a hash', scrapePacket(id, txid(), [ih]).subarray(0, 26)],
          ['unknown action', unknownAction],
        ];
        for (const [what, p] of cases) {
          const r = await c.request(p);
          assert.ok(errorMessage(r) !== null, `${what}: error action`);
          assert.equal(r.readUInt32BE(4), p.readUInt32BE(12), `${what}: transaction id`);
        }
        assert.deepEqual(await c.scrape([ih]), [{ seeders: 0, completed: 0, leechers: 0 }]);
      });
    }

    test('random garbage: never a reply larger than the packet, tracker keeps working', async () => {
      const rand = mulberry32(0x5ca1ab1e);
      for (const family of FAMILIES) {
        const c = conn(family);
        // Transaction id -> length of every packet the tracker should answer (16 bytes or more,
        // action not connect). Connection ids are random, so none is authenticated.
        const answered = new Map<number, number>();
        for (let i = 0; i < 60; i++) {
          const len = Math.floor(rand() * 120);
          const p = Buffer.alloc(len);
          for (let j = 0; j < len; j++) p[j] = Math.floor(rand() * 256);
          // Steer a third of them to the announce and scrape actions.
          if (len >= 12 && i % 3 === 0) p.writeUInt32BE(i % 2 === 0 ? ANNOUNCE : 2, 8);
          if (len >= 16 && p.readUInt32BE(8) !== CONNECT && !answered.has(p.readUInt32BE(12))) {
            answered.set(p.readUInt32BE(12), len);
          } else if (len >= 16) {
            continue; // keep transaction ids unique among answered packets
          }
          await c.send(p);
        }
        assert.ok(answered.size >= 20, 'enough packets reach the parser');
        for (let n = 0; n < answered.size; n++) {
          const r = await c.receive(2000);
          assert.ok(r !== null, `reply ${n + 1} of ${answered.size}`);
          assert.equal(r.readUInt32BE(0), ERROR);
          const len = answered.get(r.readUInt32BE(4));
          assert.ok(len !== undefined, 'the reply echoes a transaction id we sent');
          assert.ok(r.length <= len, `${r.length}-byte reply to a ${len}-byte packet`);
        }
        assert.equal(await c.receive(200), null, 'one reply per answered packet, no more');
        const ih = randomId();
        const a = peer(ih);
        await c.announce(a);
        const r = await c.announce(peer(ih));
        assert.deepEqual(peersOf(r, family), [ep(family, a.port)]);
      }
    });
  });
});

describe('UDP replies fit one unfragmented datagram', () => {
  let tracker: Tracker;
  before(async () => {
    tracker = await startTracker({ announce: { numwant: 1000, maxNumwant: 1000 } });
  });
  after(() => tracker.close());

  for (const [family, cap] of [
    [4, 200],
    [6, 66],
  ] as const) {
    test(`IPv${family}: at most ${cap} peers per reply whatever numwant says`, async () => {
      const c = await UdpConn.open(boundAddress(tracker, 'udp', family).port, family);
      try {
        const ih = randomId();
        for (let i = 0; i < cap + 20; i++) await c.announce(peer(ih, { numWant: 0 }));
        const r = await c.announce({ ...peer(ih), numWant: 1000 });
        assert.equal(peersOf(r, family).length, cap);
        assert.ok(20 + r.peerBytes.length <= 1220, 'reply fits a 1500-byte path');
        const byDefault = await c.announce(peer(ih));
        assert.equal(peersOf(byDefault, family).length, cap);
      } finally {
        await c.close();
      }
    });
  }
});

describe('UDP limits: numwant and scrape size', () => {
  let tracker: Tracker;
  before(async () => {
    tracker = await startTracker({
      announce: { numwant: 2, maxNumwant: 3 },
      scrape: { maxInfoHashes: 3 },
    });
  });
  after(() => tracker.close());

  for (const family of FAMILIES) {
    test(`IPv${family}: default, explicit and capped numwant`, async () => {
      const c = await UdpConn.open(boundAddress(tracker, 'udp', family).port, family);
      try {
        const ih = randomId();
        const all: string[] = [];
        for (let i = 0; i < 6; i++) {
          const p = peer(ih, { numWant: 0 });
          const r = await c.announce(p);
          assert.equal(r.peerBytes.length, 0, 'numwant 0 gets no peers');
          all.push(ep(family, p.port));
        }
        const q = peer(ih);
        for (const [numWant, expected] of [
          [-1, 2],
          [1, 1],
          [3, 3],
          [100, 3],
          [0x7fffffff, 3],
          [0, 0],
        ] as const) {
          const r = await c.announce({ ...q, numWant });
          const got = peersOf(r, family);
          assert.equal(got.length, expected, `numwant ${numWant}`);
          assert.equal(new Set(got).size, got.length);
          for (const g of got) assert.ok(all.includes(g), `${g} is a swarm member, not self`);
          assert.equal(r.leechers, 7);
        }
      } finally {
        await c.close();
      }
    });
  }
  test('a scrape of more than scrape.maxInfoHashes is answered for the first ones', async () => {
    const c = await UdpConn.open(boundAddress(tracker, 'udp', 6).port, 6);
    try {
      const hashes = [1, 2, 3, 4, 5].map(() => randomId());
      const first = hashes[0]!;
      await c.announce(peer(first));
      const entries = await c.scrape(hashes);
      assert.equal(entries.length, 3);
      assert.deepEqual(entries[0], { seeders: 0, completed: 0, leechers: 1 });
    } finally {
      await c.close();
    }
  });
});

describe('UDP peer expiry', () => {
  let tracker: Tracker;
  before(async () => {
    tracker = await startTracker({ announce: { interval: 1, minInterval: 1, peerLifetime: 2 } });
  });
  after(() => tracker.close());

  test('peers that stop announcing are dropped after peerLifetime; active ones stay', async () => {
    const c4 = await UdpConn.open(boundAddress(tracker, 'udp', 4).port, 4);
    const c6 = await UdpConn.open(boundAddress(tracker, 'udp', 6).port, 6);
    try {
      const ih = randomId();
      const keeper = peer(ih);
      const r0 = await c4.announce(keeper);
      assert.equal(r0.interval, 1);
      await c4.announce(peer(ih));
      await c6.announce(peer(ih));
      await c6.announce(peer(ih, { left: 0 }));
      const id = await c4.connect();
      assert.deepEqual(await c4.scrape([ih], id), [{ seeders: 1, completed: 0, leechers: 3 }]);

      const start = Date.now();
      let last = { seeders: 1, completed: 0, leechers: 3 };
      while (Date.now() - start < 6000) {
        await sleep(400);
        await c4.announce({ ...keeper, numWant: 0 }, id);
        const [s] = await c4.scrape([ih], id);
        assert.ok(s !== undefined);
        last = s;
        if (s.leechers === 1 && s.seeders === 0) break;
      }
      assert.deepEqual(last, { seeders: 0, completed: 0, leechers: 1 }, 'idle peers expired');
      assert.ok(Date.now() - start >= 800, 'not before about peerLifetime');
      const v4 = await c4.announce(peer(ih), id);
      assert.deepEqual(peersOf(v4, 4), [ep(4, keeper.port)]);
      const v6 = await c6.announce(peer(ih));
      assert.equal(v6.peerBytes.length, 0);
    } finally {
      await c4.close();
      await c6.close();
    }
  });
});
