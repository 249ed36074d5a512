/**
 * The native path's own WebSocket framing (NativeWsSocket), byte by byte over real loopback
 * sockets: a raw client here builds every frame itself so the tests can split, fragment,
 * interleave and break them in ways the `ws` client never would.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTracker } from '../../index.js';
import type { Tracker } from '../../index.js';
import { nativeTcpAvailable } from '../http/native-tcp.js';

interface Frame {
  fin: boolean;
  op: number;
  payload: Buffer;
}

/** A client frame: masked with a random key (RFC 6455 5.3), any opcode, FIN and RSV bits. */
function clientFrame(
  op: number,
  payload: Buffer | string,
  opts: { fin?: boolean; rsv?: number; masked?: boolean } = {},
): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const n = body.length;
  const masked = opts.masked ?? true;
  const b0 = ((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | op;
  const len =
    n < 126
      ? Buffer.from([n])
      : n < 65536
        ? Buffer.from([126, n >> 8, n & 255])
        : Buffer.concat([
            Buffer.from([127]),
            Buffer.from(BigInt(n).toString(16).padStart(16, '0'), 'hex'),
          ]);
  len[0] = len[0]! | (masked ? 0x80 : 0);
  if (!masked) return Buffer.concat([Buffer.from([b0]), len, body]);
  const key = randomBytes(4);
  const out = Buffer.from(body);
  for (let i = 0; i < n; i++) out[i] = out[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from([b0]), len, key, out]);
}

/** A raw WebSocket client on a TCP socket; server frames are parsed here (they are unmasked). */
class RawWs {
  readonly frames: Frame[] = [];
  closed = false;
  head = '';
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      if (this.head === '') {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        this.head = this.buf.toString('latin1', 0, end + 4);
        this.buf = this.buf.subarray(end + 4);
      }
      this.parse();
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private parse(): void {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      assert.equal(b[1]! & 0x80, 0, 'server frames are never masked');
      let n = b[1]! & 0x7f;
      let at = 2;
      if (n === 126) {
        if (b.length < 4) return;
        n = b.readUInt16BE(2);
        at = 4;
      } else if (n === 127) {
        if (b.length < 10) return;
        n = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + n) return;
      this.frames.push({
        fin: (b[0]! & 0x80) !== 0,
        op: b[0]! & 0x0f,
        payload: Buffer.from(b.subarray(at, at + n)),
      });
      this.buf = b.subarray(at + n);
    }
  }

  /** Opens a connection and sends `request` (a whole HTTP head); resolves once a head came back. */
  static async open(port: number, request: string | Buffer): Promise<RawWs> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const c = new RawWs(socket);
    socket.write(request);
    await c.until(() => c.head !== '' || c.closed, 'response head');
    return c;
  }

  static async connect(port: number, path = '/announce'): Promise<RawWs> {
    const c = await RawWs.open(port, upgradeRequest(path, randomBytes(16).toString('base64')));
    assert.match(c.head, /^HTTP\/1\.1 101 /);
    return c;
  }

  async until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next frame not yet taken that matches `pred`, removed from the list. */
  async take(pred: (f: Frame) => boolean, what: string): Promise<Frame> {
    let i = -1;
    await this.until(() => (i = this.frames.findIndex(pred)) >= 0, what);
    return this.frames.splice(i, 1)[0]!;
  }

  /** The next text message parsed as JSON. */
  async json(what = 'a text message'): Promise<Record<string, unknown>> {
    const f = await this.take((x) => x.op === 1, what);
    return JSON.parse(f.payload.toString('utf8')) as Record<string, unknown>;
  }

  /** The close frame's code (0 when it had none). */
  async closeCode(): Promise<number> {
    const f = await this.take((x) => x.op === 8, 'a close frame');
    return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 0;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }
}

function upgradeRequest(path: string, key: string, version = '13'): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n\r\n`
  );
}

/** 20 random code points 0-255 (the WebTorrent form of 20 bytes). */
const binId = (): string => randomBytes(20).toString('latin1');

function announceText(
  infoHash: string,
  peerId: string,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    action: 'announce',
    info_hash: infoHash,
    peer_id: peerId,
    left: 0,
    numwant: 0,
    offers: [],
    ...extra,
  });
}

const skip = !nativeTcpAvailable();

describe('native WebSocket framing', { skip }, () => {
  let t: Tracker;
  let port = 0;

  before(async () => {
    t = await createTracker({
      listen: { http: ['127.0.0.1:0'], udp: [] },
      log: { level: 'silent' },
      http: { native: true },
      websocket: { maxMessageBytes: 4096, rateLimit: { perSecond: 1000, burst: 1000 } },
    });
    assert.equal(t.httpIo, 'native');
    port = t.httpAddresses[0]!.port;
  });
  after(() => t.close());

  test('handshake: Sec-WebSocket-Accept per RFC 6455, refusals with their status', async () => {
    // The key and accept value of the RFC's own example (section 1.3).
    const ok = await RawWs.open(port, upgradeRequest('/announce', 'dGhlIHNhbXBsZSBub25jZQ=='));
    assert.match(ok.head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(ok.head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
    ok.socket.destroy();
    const badKey = await RawWs.open(port, upgradeRequest('/announce', 'short'));
    assert.match(badKey.head, /^HTTP\/1\.1 400 /);
    await badKey.until(() => badKey.closed, 'close after 400');
    const oldVersion = await RawWs.open(
      port,
      upgradeRequest('/announce', randomBytes(16).toString('base64'), '8'),
    );
    assert.match(oldVersion.head, /^HTTP\/1\.1 426 /);
    assert.match(oldVersion.head, /\r\nSec-WebSocket-Version: 13\r\n/);
    const notFound = await RawWs.open(
      port,
      upgradeRequest('/a/b/c', randomBytes(16).toString('base64')),
    );
    assert.match(notFound.head, /^HTTP\/1\.1 404 /);
  });

  test('an accept value computed independently matches for random keys', async () => {
    for (let i = 0; i < 5; i++) {
      const key = randomBytes(16).toString('base64');
      const c = await RawWs.open(port, upgradeRequest('/announce', key));
      const want = createHash('sha1')
        .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      assert.ok(c.head.includes(`Sec-WebSocket-Accept: ${want}\r\n`), c.head);
      c.socket.destroy();
    }
  });

  test('a frame written one byte at a time, and a frame in the same write as the handshake', async () => {
    const ih = binId();
    const c = await RawWs.connect(port);
    const bytes = clientFrame(1, announceText(ih, binId()));
    for (const b of bytes) {
      c.send(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const r = await c.json('reply');
    assert.equal(r.info_hash, ih);
    assert.equal(r.complete, 1);
    c.socket.destroy();

    const ih2 = binId();
    const key = randomBytes(16).toString('base64');
    const d = await RawWs.open(
      port,
      Buffer.concat([
        Buffer.from(upgradeRequest('/announce', key), 'latin1'),
        clientFrame(1, announceText(ih2, binId())),
      ]),
    );
    assert.match(d.head, /^HTTP\/1\.1 101 /);
    assert.equal((await d.json('reply to the early frame')).info_hash, ih2);
    d.socket.destroy();
  });

  test('several frames in one write, at every payload alignment, with 7- and 16-bit lengths', async () => {
    const c = await RawWs.connect(port);
    const hashes: string[] = [];
    const parts: Buffer[] = [];
    for (let pad = 0; pad < 8; pad++) {
      // Pings of different lengths shift where the next payload starts in the read buffer.
      parts.push(clientFrame(9, Buffer.alloc(pad, 0x61)));
      const ih = binId();
      hashes.push(ih);
      // numwant and a long `uploaded` field grow the message past 125 bytes (16-bit length).
      parts.push(
        clientFrame(
          1,
          announceText(ih, binId(), { uploaded: 10 ** 15 + pad, key: 'k'.repeat(pad * 20) }),
        ),
      );
    }
    c.send(Buffer.concat(parts));
    for (const ih of hashes) assert.equal((await c.json('reply')).info_hash, ih);
    for (let pad = 0; pad < 8; pad++) {
      const pong = await c.take((f) => f.op === 0xa, 'pong');
      assert.deepEqual(pong.payload, Buffer.alloc(pad, 0x61));
    }
    c.socket.destroy();
  });

  test('a fragmented message with a ping between its fragments', async () => {
    const c = await RawWs.connect(port);
    const ih = binId();
    const text = Buffer.from(announceText(ih, binId()), 'utf8');
    const a = text.subarray(0, 10);
    const b = text.subarray(10, 40);
    const rest = text.subarray(40);
    c.send(clientFrame(1, a, { fin: false }));
    c.send(clientFrame(0, b, { fin: false }));
    c.send(clientFrame(9, 'mid'));
    c.send(clientFrame(0, rest, { fin: true }));
    const pong = await c.take((f) => f.op === 0xa, 'pong');
    assert.equal(pong.payload.toString(), 'mid');
    assert.equal((await c.json('reply')).info_hash, ih);
    c.socket.destroy();
  });

  test('binary ids round-trip: UTF-8 in, the same code points out to another browser', async () => {
    const ih = binId();
    const seeder = await RawWs.connect(port);
    const leecher = await RawWs.connect(port);
    const seederId = binId();
    seeder.send(clientFrame(1, announceText(ih, seederId)));
    await seeder.json('seeder reply');
    const offerId = `\u00ff\u0080\u0000"\\${binId().slice(5)}`;
    const leecherId = binId();
    leecher.send(
      clientFrame(
        1,
        announceText(ih, leecherId, {
          left: 5,
          numwant: 1,
          offers: [{ offer: { type: 'offer', sdp: 'v=0 é ✓' }, offer_id: offerId }],
        }),
      ),
    );
    await leecher.json('leecher reply');
    const offer = await seeder.json('forwarded offer');
    assert.deepEqual(offer, {
      action: 'announce',
      offer: { type: 'offer', sdp: 'v=0 é ✓' },
      offer_id: offerId,
      peer_id: leecherId,
      info_hash: ih,
    });
    seeder.socket.destroy();
    leecher.socket.destroy();
  });

  test('a close frame is answered with the same code and the browser leaves its swarms', async () => {
    const ih = binId();
    const c = await RawWs.connect(port);
    c.send(clientFrame(1, announceText(ih, binId())));
    assert.equal((await c.json('reply')).complete, 1);
    const other = await RawWs.connect(port);
    const otherId = binId();
    other.send(clientFrame(1, announceText(ih, otherId)));
    assert.equal((await other.json('reply')).complete, 2);
    const body = Buffer.alloc(2);
    body.writeUInt16BE(1000, 0);
    c.send(clientFrame(8, body));
    assert.equal(await c.closeCode(), 1000);
    await c.until(() => c.closed, 'TCP close after the handshake');
    other.send(clientFrame(1, announceText(ih, otherId)));
    assert.equal((await other.json('reply after the close')).complete, 1);
    other.socket.destroy();
  });

  const violations: [string, () => Buffer, number][] = [
    [
      'an unmasked frame',
      () => clientFrame(1, announceText(binId(), binId()), { masked: false }),
      1002,
    ],
    ['reserved bits', () => clientFrame(1, '{}', { rsv: 4 }), 1002],
    ['an unknown opcode', () => clientFrame(3, 'x'), 1002],
    ['a continuation with nothing to continue', () => clientFrame(0, 'x'), 1002],
    ['a fragmented ping', () => clientFrame(9, 'x', { fin: false }), 1002],
    [
      'invalid UTF-8 in a text message',
      () => clientFrame(1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d])),
      1007,
    ],
    ['a message over maxMessageBytes', () => clientFrame(1, Buffer.alloc(5000, 0x20)), 1009],
    [
      'fragments adding up to more than maxMessageBytes',
      () =>
        Buffer.concat([
          clientFrame(1, Buffer.alloc(3000, 0x20), { fin: false }),
          clientFrame(0, Buffer.alloc(3000, 0x20)),
        ]),
      1009,
    ],
    [
      'a 64-bit length beyond any cap',
      () => Buffer.from([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 2, 3, 4]),
      1009,
    ],
    ['a close frame with a reserved code', () => clientFrame(8, Buffer.from([0x03, 0xed])), 1002],
  ];
  for (const [name, bytes, code] of violations) {
    test(`${name}: close ${code}, then the connection ends, and the tracker keeps serving`, async () => {
      const c = await RawWs.connect(port);
      c.send(bytes());
      assert.equal(await c.closeCode(), code);
      await c.until(() => c.closed, 'TCP close');
      const d = await RawWs.connect(port);
      const ih = binId();
      d.send(clientFrame(1, announceText(ih, binId())));
      assert.equal((await d.json('reply')).info_hash, ih);
      d.socket.destroy();
    });
  }

  test('a binary message gets a failure reason (the connection stays)', async () => {
    const c = await RawWs.connect(port);
    c.send(clientFrame(2, Buffer.from('{}')));
    const m = await c.json('failure');
    assert.equal(m['failure reason'], 'expected a text message');
    const ih = binId();
    c.send(clientFrame(1, announceText(ih, binId())));
    assert.equal((await c.json('reply')).info_hash, ih);
    c.socket.destroy();
  });

  test('server pings are answered by pongs that keep an idle browser alive', async () => {
    const t2 = await createTracker({
      listen: { http: ['127.0.0.1:0'], udp: [] },
      log: { level: 'silent' },
      http: { native: true },
      websocket: { idleTimeout: 2 },
    });
    try {
      const p = t2.httpAddresses[0]!.port;
      const answers = await RawWs.connect(p);
      const silent = await RawWs.connect(p);
      let pongs = 0;
      const answering = (async (): Promise<void> => {
        while (!silent.closed) {
          const ping = await answers.take((f) => f.op === 9, 'a ping').catch(() => null);
          if (ping === null) continue;
          answers.send(clientFrame(10, ping.payload));
          pongs++;
        }
      })();
      await silent.until(() => silent.closed, 'idle close', 6000);
      await answering;
      assert.ok(pongs >= 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(answers.closed, false);
      answers.socket.destroy();
    } finally {
      await t2.close();
    }
  });
});
