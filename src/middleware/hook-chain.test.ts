import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AnnounceRequest, AnnounceResponse } from '../bittorrent/announce.js';
import { bdecode } from '../bittorrent/bencode.js';
import { ClientError } from '../bittorrent/errors.js';
import { UdpConn } from '../e2e/protocol-support/raw-udp.js';
import { createTracker } from '../index.js';
import type { Hook, Tracker } from '../index.js';

const enc = (b: Buffer): string =>
  [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('');

async function httpAnnounce(
  port: number,
  ih: Buffer,
  peerPort: number,
  left = 10,
): Promise<Record<string, unknown>> {
  const id = Buffer.from(`-HK0001-${String(peerPort).padStart(12, '0')}`);
  const url = `http://127.0.0.1:${port}/announce?info_hash=${enc(ih)}&peer_id=${enc(id)}&port=${peerPort}&left=${left}`;
  const res = await fetch(url);
  return bdecode(new Uint8Array(await res.arrayBuffer())) as Record<string, unknown>;
}

function peersOf(d: Record<string, unknown>): number[] {
  const b = d['peers'] as Buffer;
  const ports: number[] = [];
  for (let i = 0; i < b.length; i += 6) ports.push(b.readUInt16BE(i + 4));
  return ports.sort((x, y) => x - y);
}

describe('announce hooks', () => {
  let tracker: Tracker;
  const seen: { pre: string[]; post: [number, number][]; postErrors: number } = {
    pre: [],
    post: [],
    postErrors: 0,
  };
  const banned = Buffer.alloc(20, 0xee);

  const order: Hook = {
    name: 'order',
    preAnnounce(req: AnnounceRequest) {
      seen.pre.push(`${req.protocol}:${req.port}`);
    },
  };
  const deny: Hook = {
    name: 'deny',
    preAnnounce(req: AnnounceRequest) {
      if (req.infoHash.equals(banned)) throw new ClientError('torrent not allowed here', 3600);
    },
  };
  // When `gate` is set, pre-hooks wait until four requests are waiting and are then released
  // together: their continuations (store write, reply) interleave in one microtask run, like
  // requests resolved by one shared database batch.
  let gate: (() => void)[] | null = null;
  const delay: Hook = {
    name: 'delay',
    preAnnounce() {
      if (gate === null) return undefined;
      const waiting = gate;
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === 4) for (const r of waiting) r();
      });
    },
  };
  const record: Hook = {
    name: 'record',
    postAnnounce(_req: AnnounceRequest, res: AnnounceResponse) {
      seen.post.push([res.complete, res.incomplete]);
      if (res.incomplete === 99) throw new Error('never');
    },
  };
  const failing: Hook = {
    name: 'failing',
    postAnnounce() {
      seen.postErrors++;
      return Promise.reject(new Error('post hook failure is logged, not sent'));
    },
  };

  before(async () => {
    tracker = await createTracker(
      {
        listen: { http: ['127.0.0.1:0'], udp: ['127.0.0.1:0'] },
        log: { level: 'silent' },
      },
      { hooks: [order, deny, delay, record, failing] },
    );
  });
  after(() => tracker.close());

  const httpPort = (): number => tracker.httpAddresses[0]!.port;
  const udpPort = (): number => tracker.udpAddresses[0]!.port;

  it('runs pre-hooks before the write and post-hooks after the reply', async () => {
    const ih = Buffer.alloc(20, 1);
    const before = seen.post.length;
    const d = await httpAnnounce(httpPort(), ih, 7001);
    assert.equal(d['incomplete'], 1);
    assert.ok(seen.pre.includes('http:7001'));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen.post.slice(before), [[0, 1]]);
    assert.ok(seen.postErrors > 0, 'the failing post hook ran');
    // the tracker still answers after a post hook failed
    assert.equal((await httpAnnounce(httpPort(), ih, 7003))['incomplete'], 2);
  });

  it('a ClientError from a pre-hook is the failure reason and nothing is stored', async () => {
    const d = await httpAnnounce(httpPort(), banned, 7101);
    assert.equal(String(d['failure reason']), 'torrent not allowed here');
    assert.equal(d['retry in'], 60);
    const c = await UdpConn.open(udpPort(), 4);
    try {
      await assert.rejects(
        c.announce({ infoHash: banned, peerId: Buffer.alloc(20, 3), port: 7102 }),
        /torrent not allowed here/,
      );
      const [entry] = await c.scrape([banned]);
      assert.deepEqual(entry, { seeders: 0, completed: 0, leechers: 0 });
    } finally {
      await c.close();
    }
  });

  it('asynchronous pre-hooks released together keep each reply its own peers', async () => {
    try {
      const a = Buffer.alloc(20, 0xa1);
      const b = Buffer.alloc(20, 0xb2);
      await httpAnnounce(httpPort(), a, 8000, 0);
      await httpAnnounce(httpPort(), b, 9001, 0);
      gate = [];
      const [ra, rb, ra2, rb2] = await Promise.all([
        httpAnnounce(httpPort(), a, 8002),
        httpAnnounce(httpPort(), b, 9003),
        httpAnnounce(httpPort(), a, 8004),
        httpAnnounce(httpPort(), b, 9005),
      ]);
      for (const p of peersOf(ra).concat(peersOf(ra2)))
        assert.ok(p >= 8000 && p < 9000, `swarm a got ${p}`);
      for (const p of peersOf(rb).concat(peersOf(rb2))) assert.ok(p >= 9000, `swarm b got ${p}`);
      assert.ok(peersOf(ra).includes(8000));
      assert.ok(peersOf(rb).includes(9001));
    } finally {
      gate = null;
    }
  });

  it('refuses two hooks with one name', async () => {
    await assert.rejects(
      createTracker(
        { listen: { http: [], udp: [] }, log: { level: 'silent' } },
        { hooks: [order, order] },
      ),
      /hook "order" is configured twice/,
    );
  });
});
