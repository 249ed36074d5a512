/**
 * WebTorrent (WebSocket) tracker end to end over real loopback sockets, with a small protocol
 * client (protocol-support/ws-peer.ts): offers and answers, counts shared with HTTP, stopped on
 * close, hooks, malformed input and the caps. Upgrades are tested on the HTTP port with both
 * connection paths (native addon and node:net) and on the dedicated WebSocket port.
 */
import assert from 'node:assert/strict';
import { selfSignedCert } from '../test-support/self-signed-cert.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { createTracker } from '../index.js';
import type { AnnounceRequest, Hook, ShoalConfigInput, Tracker } from '../index.js';
import { EVENT_STOPPED } from '../bittorrent/event.js';
import { nativeTcpAvailable } from '../frontend/http/native-tcp.js';
import { randomId, sleep } from './protocol-support/fixtures.js';
import { announce, failureReason, httpGet, intField, scrape } from './protocol-support/raw-http.js';
import { binId, WsPeer } from './protocol-support/ws-peer.js';
import type { WsMsg } from './protocol-support/ws-peer.js';

function start(config: ShoalConfigInput = {}, hooks: Hook[] = []): Promise<Tracker> {
  return createTracker(
    {
      ...config,
      listen: { http: ['127.0.0.1:0'], udp: [] },
      log: { level: 'silent' },
      websocket: { listen: ['127.0.0.1:0'], ...config.websocket },
    },
    { hooks },
  );
}

const httpUrl = (t: Tracker, path = '/announce'): string =>
  `ws://127.0.0.1:${t.httpAddresses[0]!.port}${path}`;
const wsUrl = (t: Tracker, path = '/announce'): string =>
  `ws://127.0.0.1:${t.wsAddresses[0]!.port}${path}`;

const SDP = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const isOffer = (m: WsMsg): boolean => 'offer' in m;
const isAnswer = (m: WsMsg): boolean => 'answer' in m;

/** A offers to B through the tracker, B answers, A gets the answer. */
async function offerAndAnswer(url: string): Promise<void> {
  const infoHash = binId();
  const a = await WsPeer.connect(url);
  const b = await WsPeer.connect(url);
  try {
    const ra = await a.announceReply(infoHash, { left: 0, event: 'started' });
    assert.equal(ra.action, 'announce');
    assert.equal(ra.info_hash, infoHash);
    assert.deepEqual([ra.complete, ra.incomplete], [1, 0]);
    const offerId = binId();
    const rb = await b.announceReply(infoHash, {
      event: 'started',
      numwant: 5,
      offers: [{ offer: SDP, offer_id: offerId }],
    });
    assert.deepEqual([rb.complete, rb.incomplete], [1, 1]);
    const offer = await a.next(isOffer, 'offer at A');
    assert.deepEqual(offer, {
      action: 'announce',
      offer: SDP,
      offer_id: offerId,
      peer_id: b.peerId,
      info_hash: infoHash,
    });
    const answer = { type: 'answer', sdp: 'v=0\r\n' };
    a.announce(infoHash, { to_peer_id: b.peerId, offer_id: offerId, answer });
    const got = await b.next(isAnswer, 'answer at B');
    assert.deepEqual(got, {
      action: 'announce',
      answer,
      offer_id: offerId,
      peer_id: a.peerId,
      info_hash: infoHash,
    });
    // The answer is not echoed to anyone else, and a second answer to the same offer is dropped.
    a.announce(infoHash, { to_peer_id: b.peerId, offer_id: offerId, answer });
    assert.ok(await b.nothing(isAnswer));
  } finally {
    a.close();
    b.close();
  }
}

describe('WebSocket: offers and answers', () => {
  for (const native of [true, false]) {
    const mode = native ? 'native' : 'net';
    test(
      `upgrade on the HTTP port (${mode})`,
      { skip: native && !nativeTcpAvailable() },
      async () => {
        const t = await start({ http: { native } });
        try {
          assert.equal(t.httpIo, mode);
          await offerAndAnswer(httpUrl(t));
          await offerAndAnswer(httpUrl(t, '/')); // the bare tracker URL
          // Plain HTTP still works on the same port after upgrades.
          const r = await httpGet(t.httpAddresses[0]!.port, 4, '/scrape');
          assert.match(failureReason(r), /full scrape/);
        } finally {
          await t.close();
        }
      },
    );
  }

  test('dedicated WebSocket port; other paths and plain requests are refused', async () => {
    const t = await start();
    try {
      await offerAndAnswer(wsUrl(t));
      await assert.rejects(WsPeer.connect(wsUrl(t, '/nope')), /HTTP 404/);
      const res = await fetch(`http://127.0.0.1:${t.wsAddresses[0]!.port}/announce`);
      assert.equal(res.status, 426);
      await res.text();
    } finally {
      await t.close();
    }
  });
});

/** Runs `fn` with a throwaway certificate in a temporary directory (skips without openssl). */
async function withSelfSignedCert(
  t: TestContext,
  fn: (pem: { cert: string; key: string }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-wss-'));
  try {
    const pem = selfSignedCert(dir);
    if (pem === null) {
      t.skip('openssl is needed to make a test certificate');
      return;
    }
    await fn(pem);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('wss on the dedicated port with websocket.tls', async (t) => {
  await withSelfSignedCert(t, async (pem) => {
    const { cert, key } = pem;
    const tracker = await start({ websocket: { tls: { cert, key } } });
    try {
      const url = `wss://127.0.0.1:${tracker.wsAddresses[0]!.port}/announce`;
      const a = await WsPeer.connect(url, { rejectUnauthorized: false });
      const reply = await a.announceReply(binId(), { left: 0 });
      assert.deepEqual([reply.complete, reply.incomplete], [1, 0]);
      a.close();
      await assert.rejects(WsPeer.connect(url.replace('wss:', 'ws:')));
    } finally {
      await tracker.close();
    }
  });
});

test('wss on the HTTPS tracker listener (listen.https + tls)', async (t) => {
  await withSelfSignedCert(t, async (pem) => {
    const tracker = await createTracker({
      listen: { http: [], udp: [], https: ['127.0.0.1:0'] },
      tls: pem,
      log: { level: 'silent' },
      websocket: { listen: [] },
    });
    try {
      const url = `wss://127.0.0.1:${tracker.httpsAddresses[0]!.port}/announce`;
      const a = await WsPeer.connect(url, { rejectUnauthorized: false });
      const b = await WsPeer.connect(url, { rejectUnauthorized: false });
      const ih = binId();
      const first = await a.announceReply(ih, { left: 0 });
      assert.deepEqual([first.complete, first.incomplete], [1, 0]);
      const second = await b.announceReply(ih, { left: 100 });
      assert.deepEqual([second.complete, second.incomplete], [1, 1]);
      a.close();
      b.close();
    } finally {
      await tracker.close();
    }
  });
});

describe('WebSocket: same swarms as HTTP, hooks', () => {
  let t: Tracker;
  const denied = randomId();
  const seen: AnnounceRequest[] = [];
  const spy: Hook = {
    name: 'spy',
    preAnnounce(req) {
      if (req.protocol === 'ws') seen.push(req);
    },
    postAnnounce(req) {
      if (req.protocol === 'ws' && req.event === EVENT_STOPPED) stopped.push(req);
    },
  };
  const stopped: AnnounceRequest[] = [];
  before(async () => {
    t = await start(
      { hooks: [{ type: 'infohash-list', mode: 'deny', entries: [denied.toString('hex')] }] },
      [spy],
    );
  });
  after(() => t.close());

  test('browsers count in HTTP replies and scrapes, and HTTP peers in theirs', async () => {
    const hash = randomId();
    const infoHash = hash.toString('latin1');
    const port = t.httpAddresses[0]!.port;
    const http = await announce(port, 4, {
      infoHash: hash,
      peerId: randomId(),
      port: 40001,
      left: 10,
    });
    assert.equal(intField(http, 'incomplete'), 1);
    const a = await WsPeer.connect(httpUrl(t));
    const b = await WsPeer.connect(wsUrl(t));
    try {
      const ra = await a.announceReply(infoHash, { left: 0 });
      assert.deepEqual([ra.complete, ra.incomplete], [1, 1]);
      const rb = await b.announceReply(infoHash, { left: 5 });
      assert.deepEqual([rb.complete, rb.incomplete], [1, 2]);
      // An HTTP announce counts the browsers but gets no peer for them (they have no address).
      const other = await announce(port, 4, {
        infoHash: hash,
        peerId: randomId(),
        port: 40002,
        left: 0,
      });
      assert.deepEqual([intField(other, 'complete'), intField(other, 'incomplete')], [2, 2]);
      assert.equal((other.peers as Buffer).length, 6); // the first HTTP peer only
      const files = await scrape(port, 4, [hash]);
      const entry = files[infoHash] as Record<string, number>;
      assert.deepEqual([entry.complete, entry.incomplete], [2, 2]);
      // WebSocket scrape: one info hash, and several (one unknown).
      const one = await a.scrape(infoHash);
      assert.deepEqual(one.files, { [infoHash]: { complete: 2, incomplete: 2, downloaded: 0 } });
      const unknown = binId();
      const many = await a.scrape([infoHash, unknown]);
      assert.deepEqual(many.files, {
        [infoHash]: { complete: 2, incomplete: 2, downloaded: 0 },
        [unknown]: { complete: 0, incomplete: 0, downloaded: 0 },
      });
      const none = await a.scrape([]);
      assert.match(String(none['failure reason']), /full scrape/);
    } finally {
      a.close();
      b.close();
    }
  });

  test('a closed socket is stopped in every swarm it joined; event stopped too', async () => {
    const h1 = randomId();
    const h2 = randomId();
    const port = t.httpAddresses[0]!.port;
    const a = await WsPeer.connect(httpUrl(t));
    const b = await WsPeer.connect(httpUrl(t));
    await a.announceReply(h1.toString('latin1'));
    await a.announceReply(h2.toString('latin1'), { left: 0, uploaded: 77 });
    await b.announceReply(h1.toString('latin1'));
    const count = async (h: Buffer): Promise<number[]> => {
      const e = (await scrape(port, 4, [h]))[h.toString('latin1')] as Record<string, number>;
      return [e.complete!, e.incomplete!];
    };
    assert.deepEqual(await count(h1), [0, 2]);
    assert.deepEqual(await count(h2), [1, 0]);
    a.close();
    await a.waitClosed();
    await sleep(50);
    assert.deepEqual(await count(h1), [0, 1]);
    assert.deepEqual(await count(h2), [0, 0]);
    // Post-hooks (accounting) hear of both as `stopped`, with the last reported totals.
    const mine = stopped.filter((r) => r.peerId.toString('latin1') === a.peerId);
    assert.deepEqual(
      mine.map((r) => r.infoHash.toString('hex')).sort(),
      [h1.toString('hex'), h2.toString('hex')].sort(),
    );
    assert.equal(mine.find((r) => r.infoHash.equals(h2))!.uploaded, 77);
    assert.equal(mine.find((r) => r.infoHash.equals(h2))!.left, 0);
    const r = await b.announceReply(h1.toString('latin1'), { event: 'stopped' });
    assert.deepEqual([r.complete, r.incomplete], [0, 0]);
    b.close();
  });

  test('hooks reject a WebSocket announce with its message; passkey and protocol reach hooks', async () => {
    const a = await WsPeer.connect(httpUrl(t, '/s3cr3tPasskey/announce'));
    const b = await WsPeer.connect(httpUrl(t));
    try {
      const infoHash = denied.toString('latin1');
      await b.announceReply(infoHash).catch(() => undefined);
      const r = await a.announceReply(infoHash, {
        numwant: 1,
        offers: [{ offer: SDP, offer_id: binId() }],
      });
      assert.equal(r.action, 'announce');
      assert.equal(r.info_hash, infoHash);
      assert.match(String(r['failure reason']), /.+/);
      assert.ok(await b.nothing(isOffer)); // a rejected announce forwards no offer
      const files = (await a.scrape(infoHash)).files as Record<string, Record<string, number>>;
      assert.deepEqual(files[infoHash], { complete: 0, incomplete: 0, downloaded: 0 });
      const ok = binId();
      await a.announceReply(ok);
      const req = seen.find((x) => x.infoHashKey === ok);
      assert.ok(req !== undefined);
      assert.equal(req.passkey, 's3cr3tPasskey');
      assert.equal(req.peerId.toString('latin1'), a.peerId);
      assert.equal(req.clientIp.toString('hex'), '7f000001');
    } finally {
      a.close();
      b.close();
    }
  });

  test('answers to offers a socket never received are dropped', async () => {
    const infoHash = binId();
    const a = await WsPeer.connect(httpUrl(t));
    const b = await WsPeer.connect(httpUrl(t));
    const c = await WsPeer.connect(httpUrl(t));
    try {
      await a.announceReply(infoHash, { left: 0 });
      const offerId = binId();
      await b.announceReply(infoHash, {
        numwant: 1,
        offers: [{ offer: SDP, offer_id: offerId }],
      });
      await a.next(isOffer, 'offer at A');
      await c.announceReply(infoHash);
      const answer = { type: 'answer', sdp: 'forged' };
      // C saw no offer: neither a made-up offer id nor B's real one gets through.
      c.announce(infoHash, { to_peer_id: b.peerId, offer_id: binId(), answer });
      c.announce(infoHash, { to_peer_id: b.peerId, offer_id: offerId, answer });
      // A answering with the right offer id but naming another maker is dropped too.
      a.announce(infoHash, { to_peer_id: c.peerId, offer_id: offerId, answer });
      assert.ok(await b.nothing(isAnswer));
      assert.ok(await c.nothing(isAnswer, 100));
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });

  test('malformed messages get a failure reason, never a crash', async () => {
    const a = await WsPeer.connect(httpUrl(t));
    try {
      const fail = (m: WsMsg): boolean => 'failure reason' in m;
      const cases: [string | Buffer, RegExp][] = [
        ['{not json', /invalid JSON/],
        ['[1,2]', /JSON object/],
        ['null', /JSON object/],
        ['{"action":"connect"}', /invalid action/],
        ['{"action":"announce","info_hash":"short","peer_id":"x"}', /info_hash/],
        [
          JSON.stringify({ action: 'announce', info_hash: 'é'.repeat(19) + 'Ā', peer_id: binId() }),
          /info_hash/,
        ],
        [JSON.stringify({ action: 'announce', info_hash: binId(), peer_id: 5 }), /peer_id/],
        [
          JSON.stringify({ action: 'announce', info_hash: binId(), peer_id: binId(), offers: 'x' }),
          /offers/,
        ],
        [
          JSON.stringify({
            action: 'announce',
            info_hash: binId(),
            peer_id: binId(),
            offers: [{ offer: 1 }],
          }),
          /offers/,
        ],
        [
          JSON.stringify({ action: 'announce', info_hash: binId(), peer_id: binId(), left: -1 }),
          /left/,
        ],
        [
          JSON.stringify({
            action: 'announce',
            info_hash: binId(),
            peer_id: binId(),
            event: 'boom',
          }),
          /event/,
        ],
        [
          JSON.stringify({ action: 'announce', info_hash: binId(), peer_id: binId(), answer: {} }),
          /to_peer_id/,
        ],
        [JSON.stringify({ action: 'scrape', info_hash: [1] }), /info_hash/],
      ];
      for (const [msg, reason] of cases) {
        a.send(typeof msg === 'string' ? msg : msg.toString());
        const r = await a.next(fail, `failure for ${String(msg)}`);
        assert.match(String(r['failure reason']), reason, String(msg));
      }
      a.socket.send(Buffer.from([1, 2, 3]), { binary: true });
      assert.match(String((await a.next(fail, 'binary'))['failure reason']), /text/);
      // Still serving on the same socket.
      const r = await a.announceReply(binId());
      assert.equal(r.complete, 0);
      // A message over maxMessageBytes closes the socket (1009); the tracker keeps going.
      a.send(JSON.stringify({ action: 'scrape', pad: 'x'.repeat(70000) }));
      assert.equal((await a.waitClosed()).code, 1009);
      const b = await WsPeer.connect(httpUrl(t));
      assert.equal((await b.announceReply(binId())).incomplete, 1);
      b.close();
    } finally {
      a.close();
    }
  });
});

describe('WebSocket: caps', () => {
  test('offers are capped at maxOffers, each to a different peer', async () => {
    const t = await start({ websocket: { maxOffers: 2 } });
    const peers: WsPeer[] = [];
    try {
      const infoHash = binId();
      for (let i = 0; i < 4; i++) {
        const p = await WsPeer.connect(httpUrl(t));
        await p.announceReply(infoHash, { left: 0 });
        peers.push(p);
      }
      const maker = await WsPeer.connect(httpUrl(t));
      peers.push(maker);
      const offers = [0, 1, 2, 3].map(() => ({ offer: SDP, offer_id: binId() }));
      await maker.announceReply(infoHash, { numwant: 10, offers });
      await sleep(200);
      const got: string[] = [];
      for (const p of peers.slice(0, 4)) {
        while (!(await p.nothing(isOffer, 50))) got.push(p.peerId);
      }
      assert.equal(got.length, 2);
      assert.notEqual(got[0], got[1]);
      assert.ok(await maker.nothing(isOffer, 50)); // never its own offer
    } finally {
      for (const p of peers) p.close();
      await t.close();
    }
  });

  test('connection cap: upgrades beyond maxConnections get 503', async () => {
    const t = await start({ websocket: { maxConnections: 2 } });
    try {
      const a = await WsPeer.connect(httpUrl(t));
      const b = await WsPeer.connect(wsUrl(t));
      await assert.rejects(WsPeer.connect(httpUrl(t)), /HTTP 503/);
      await assert.rejects(WsPeer.connect(wsUrl(t)), /HTTP 503/);
      a.close();
      await a.waitClosed();
      await sleep(50);
      const c = await WsPeer.connect(httpUrl(t));
      b.close();
      c.close();
    } finally {
      await t.close();
    }
  });

  for (const native of [true, false]) {
    const mode = native ? 'native' : 'net';
    test(
      `browsers on the HTTP port count toward websocket.maxConnections, not http.maxConnections (${mode})`,
      { skip: native && !nativeTcpAvailable() },
      async () => {
        const t = await start({
          http: { native, maxConnections: 2 },
          websocket: { maxConnections: 4 },
        });
        const peers: WsPeer[] = [];
        try {
          assert.equal(t.httpIo, mode);
          for (let i = 0; i < 4; i++) peers.push(await WsPeer.connect(httpUrl(t)));
          await assert.rejects(WsPeer.connect(httpUrl(t)), /HTTP 503/);
          // Both HTTP connections are still there for trackers' plain clients.
          const port = t.httpAddresses[0]!.port;
          const [r1, r2] = await Promise.all([
            httpGet(port, 4, '/scrape'),
            httpGet(port, 4, '/scrape'),
          ]);
          assert.match(failureReason(r1), /full scrape/);
          assert.match(failureReason(r2), /full scrape/);
          for (const p of peers) assert.ok((await p.announceReply(binId())).interval);
        } finally {
          for (const p of peers) p.close();
          await t.close();
        }
      },
    );
  }

  test('rate limit: told to slow down, then closed', async () => {
    const t = await start({ websocket: { rateLimit: { perSecond: 0.01, burst: 3 } } });
    try {
      const a = await WsPeer.connect(httpUrl(t));
      for (let i = 0; i < 3; i++) await a.announceReply(binId());
      const r = await a.announceReply(binId());
      assert.match(String(r['failure reason']), /too many messages/);
      for (let i = 0; i < 10; i++) a.announce(binId());
      assert.equal((await a.waitClosed()).code, 1008);
    } finally {
      await t.close();
    }
  });

  test('idle timeout: a socket that answers no ping is closed, one that does stays', async () => {
    const t = await start({ websocket: { idleTimeout: 2 } });
    try {
      const silent = await WsPeer.connect(httpUrl(t), { autoPong: false });
      const live = await WsPeer.connect(httpUrl(t));
      await silent.waitClosed(6000);
      assert.equal(live.closed, null);
      for (let i = 0; i < 50 && t.websocket!.connectionCount !== 1; i++) await sleep(20);
      assert.equal(t.websocket!.connectionCount, 1);
      live.close();
    } finally {
      await t.close();
    }
  });

  test('maxSwarmsPerConnection', async () => {
    const t = await start({ websocket: { maxSwarmsPerConnection: 2 } });
    try {
      const a = await WsPeer.connect(httpUrl(t));
      await a.announceReply(binId());
      await a.announceReply(binId());
      const r = await a.announceReply(binId());
      assert.match(String(r['failure reason']), /too many torrents/);
      a.close();
    } finally {
      await t.close();
    }
  });
});
