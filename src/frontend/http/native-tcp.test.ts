import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { Family, NativeTcpHandlers, NativeTcpServer } from './native-tcp.js';
import { nativeTcpAvailable, nativeTcpUnavailableReason, openNativeTcp } from './native-tcp.js';

const AVAILABLE = nativeTcpAvailable();
const HOW_TO_BUILD =
  `native TCP addon unavailable (${nativeTcpUnavailableReason() ?? '?'}); ` +
  'build it with `npm run build:native` or `node scripts/build-native.mjs`';
const CI = process.env['CI'] === 'true';

test('native TCP addon is available (required when CI=true)', (t) => {
  if (AVAILABLE) return;
  if (CI) assert.fail(HOW_TO_BUILD);
  t.skip(HOW_TO_BUILD);
});

interface Conn {
  id: number;
  ip: Buffer;
  family: Family;
  port: number;
  buf: Buffer;
  requests: number;
  closes: number;
}

interface Harness {
  srv: NativeTcpServer;
  port: number;
  host: string;
  opened: Conn[];
  live: Set<Conn>;
  /** onClose calls, in total. */
  closes: () => number;
}

const servers: Harness[] = [];
const sockets: net.Socket[] = [];

after(async () => {
  for (const c of sockets) c.destroy();
  for (const h of servers) {
    for (const c of h.live) h.srv.destroy(c.id);
    await h.srv.closeListener();
  }
});

const REPLY = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok';

/**
 * A server whose connections collect bytes and call `onRequest` for each complete
 * "\r\n\r\n"-terminated request. Each Conn counts its onClose calls.
 */
async function serve(
  onRequest: (h: Harness, c: Conn, req: string) => void,
  extra: {
    family?: Family;
    port?: number;
    maxConnections?: number;
    maxQueuedBytes?: number;
    onOpen?: (h: Harness, c: Conn) => void;
  } = {},
): Promise<Harness> {
  const family = extra.family ?? 4;
  const host = family === 4 ? '127.0.0.1' : '::1';
  let closes = 0;
  // eslint-disable-next-line prefer-const
  let h: Harness;
  const handlers: NativeTcpHandlers = {
    onOpen(id, ip, fam, port) {
      const c: Conn = { id, ip, family: fam, port, buf: Buffer.alloc(0), requests: 0, closes: 0 };
      h.opened.push(c);
      h.live.add(c);
      extra.onOpen?.(h, c);
      return c;
    },
    onData(state, data) {
      const c = state as Conn;
      assert.ok(Buffer.isBuffer(data));
      c.buf = Buffer.concat([c.buf, data]);
      for (;;) {
        const end = c.buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const req = c.buf.subarray(0, end).toString('latin1');
        c.buf = c.buf.subarray(end + 4);
        c.requests++;
        onRequest(h, c, req);
        if (!h.live.has(c)) break;
      }
    },
    onClose(state) {
      const c = state as Conn;
      c.closes++;
      closes++;
      h.live.delete(c);
    },
  };
  const srv = await openNativeTcp({
    host,
    port: extra.port ?? 0,
    family,
    backlog: 511,
    maxConnections: extra.maxConnections ?? 4096,
    handlers,
    ...(extra.maxQueuedBytes !== undefined ? { maxQueuedBytes: extra.maxQueuedBytes } : {}),
  });
  assert.ok(srv, 'openNativeTcp returned null although the addon loaded');
  h = { srv, port: srv.address().port, host, opened: [], live: new Set(), closes: () => closes };
  servers.push(h);
  return h;
}

/** Replies REPLY and closes. */
const replyAndClose = (h: Harness, c: Conn): void => {
  assert.equal(h.srv.write(c.id, REPLY), true);
  h.srv.end(c.id);
};

function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host });
    sockets.push(s);
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** Everything the socket receives until the peer closes (FIN or reset). */
function collect(s: net.Socket): Promise<{ data: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () =>
      resolve(
        error === undefined
          ? { data: Buffer.concat(chunks) }
          : { data: Buffer.concat(chunks), error },
      ),
    );
  });
}

async function request(port: number, payload: string, host = '127.0.0.1'): Promise<string> {
  const s = await connect(port, host);
  const done = collect(s);
  s.write(payload);
  const { data, error } = await done;
  assert.equal(error, undefined);
  return data.toString('latin1');
}

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function canListenIPv6(): Promise<boolean> {
  const s = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '::1', resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >>> 11)) & 0xff;
  return b;
}

describe('native TCP server', { skip: AVAILABLE ? false : HOW_TO_BUILD }, () => {
  test('IPv4 request/reply with the peer address, then close', async () => {
    const h = await serve(replyAndClose);
    assert.equal(h.srv.address().address, '127.0.0.1');
    assert.ok(h.port > 0);
    const s = await connect(h.port);
    const localPort = s.localPort;
    const done = collect(s);
    s.write('GET /announce HTTP/1.1\r\nHost: x\r\n\r\n');
    const { data, error } = await done;
    assert.equal(error, undefined);
    assert.equal(data.toString(), REPLY);
    await waitFor(() => h.closes() === 1, 'onClose');
    const [c] = h.opened;
    assert.ok(c);
    assert.deepEqual([...c.ip], [127, 0, 0, 1]);
    assert.equal(c.family, 4);
    assert.equal(c.port, localPort);
    assert.equal(c.closes, 1);
    assert.equal(h.srv.connections, 0);
    assert.equal(h.srv.write(c.id, 'late'), false, 'a closed id is gone');
    assert.equal(h.srv.pending(c.id), 0);
  });

  test('IPv6 request/reply with a 16-byte peer address', async (t) => {
    if (!(await canListenIPv6())) return t.skip('no IPv6 loopback here');
    const h = await serve(replyAndClose, { family: 6 });
    assert.equal(h.srv.address().address, '::1');
    assert.equal(await request(h.port, 'GET / HTTP/1.1\r\n\r\n', '::1'), REPLY);
    await waitFor(() => h.closes() === 1, 'onClose');
    const [c] = h.opened;
    assert.ok(c);
    assert.equal(c.family, 6);
    assert.deepEqual(c.ip, Buffer.from('00000000000000000000000000000001', 'hex'));
  });

  test('2000 short connections are all answered, onClose exactly once each', async () => {
    const h = await serve(replyAndClose);
    const TOTAL = 2000;
    const LANES = 8;
    let ok = 0;
    const lane = async (): Promise<void> => {
      for (let i = 0; i < TOTAL / LANES; i++) {
        const r = await request(h.port, `GET /${i} HTTP/1.1\r\n\r\n`);
        if (r === REPLY) ok++;
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    assert.equal(ok, TOTAL);
    await waitFor(() => h.closes() === TOTAL, `${TOTAL} onClose (have ${h.closes()})`);
    assert.equal(h.opened.length, TOTAL);
    assert.ok(h.opened.every((c) => c.closes === 1 && c.requests === 1));
    assert.equal(h.srv.connections, 0);
    const st = h.srv.stats;
    assert.equal(st.accepted, TOTAL);
    assert.equal(st.rejected, 0);
    assert.ok(new Set(h.opened.map((c) => c.id)).size === TOTAL, 'ids are never reused');
  });

  test('keep-alive: several requests on one connection, string and Buffer writes', async () => {
    const h = await serve((h2, c, req) => {
      const body = `r${c.requests}:${req.split(' ')[1]}`;
      const head = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`;
      if (c.requests % 2) assert.equal(h2.srv.write(c.id, head + body), true);
      else assert.equal(h2.srv.write(c.id, Buffer.from(head + body, 'latin1')), true);
    });
    const s = await connect(h.port);
    const closed = collect(s);
    const replies: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const got = once(s, 'data') as Promise<[Buffer]>;
      s.write(`GET /k${i} HTTP/1.1\r\n\r\n`);
      const [d] = await got;
      replies.push(d.toString().split('\r\n\r\n')[1]!);
    }
    assert.deepEqual(replies, ['r1:/k1', 'r2:/k2', 'r3:/k3', 'r4:/k4', 'r5:/k5']);
    assert.equal(h.srv.connections, 1);
    // Two pipelined requests in one segment: both answered, in order.
    const both = new Promise<string>((resolve) => {
      let acc = '';
      const on = (d: Buffer): void => {
        acc += d.toString();
        if (acc.includes('r7:')) {
          s.off('data', on);
          resolve(acc);
        }
      };
      s.on('data', on);
    });
    s.write('GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n');
    assert.match(await both, /r6:\/a.*r7:\/b/s);
    s.end(); // the client closes: onClose once
    await closed;
    await waitFor(() => h.closes() === 1, 'onClose');
    assert.equal(h.opened[0]!.closes, 1);
    assert.equal(h.srv.connections, 0);
  });

  test('a 4 MiB write is fully received (writable path), then end() sends FIN', async () => {
    const big = pattern(4 << 20);
    let pendingAfterWrite = -1;
    const h = await serve(
      (h2, c) => {
        assert.equal(h2.srv.write(c.id, big), true);
        pendingAfterWrite = h2.srv.pending(c.id);
        h2.srv.end(c.id);
        assert.equal(h2.srv.write(c.id, 'x'), false, 'no writes after end()');
      },
      { maxQueuedBytes: 8 << 20 },
    );
    const s = await connect(h.port);
    s.pause(); // let the server's queue build up
    const done = collect(s);
    s.write('GET /big HTTP/1.1\r\n\r\n');
    await waitFor(() => pendingAfterWrite >= 0, 'the request');
    assert.ok(pendingAfterWrite > 0, 'some of 4 MiB had to be queued');
    await new Promise((r) => setTimeout(r, 50));
    s.resume();
    const { data, error } = await done;
    assert.equal(error, undefined);
    assert.equal(data.length, big.length);
    assert.ok(data.equals(big));
    await waitFor(() => h.closes() === 1, 'onClose');
  });

  test('end() delivers several queued writes (and its own data) before FIN', async () => {
    const chunk = pattern(1 << 20);
    let pendingAtEnd = -1;
    const h = await serve(
      (h2, c) => {
        for (let i = 0; i < 5; i++) assert.equal(h2.srv.write(c.id, chunk), true);
        h2.srv.end(c.id, 'TAIL');
        pendingAtEnd = h2.srv.pending(c.id);
      },
      { maxQueuedBytes: 8 << 20 },
    );
    const s = await connect(h.port);
    s.pause();
    const done = collect(s);
    s.write('x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(pendingAtEnd > 0, 'end() had to wait for the queue');
    assert.equal(h.srv.connections, 1, 'still sending');
    s.resume();
    const { data, error } = await done;
    assert.equal(error, undefined);
    assert.equal(data.length, 5 * chunk.length + 4);
    assert.equal(data.subarray(-4).toString(), 'TAIL');
    assert.ok(data.subarray(0, chunk.length).equals(chunk));
    await waitFor(() => h.closes() === 1, 'onClose');
  });

  test('destroy() drops queued bytes, onClose follows once (asynchronously)', async () => {
    const big = pattern(4 << 20);
    let id = -1;
    const h = await serve(
      (h2, c) => {
        assert.equal(h2.srv.write(c.id, big), true);
        id = c.id;
      },
      { maxQueuedBytes: 8 << 20 },
    );
    const s = await connect(h.port);
    s.pause();
    const done = collect(s);
    s.write('x\r\n\r\n');
    await waitFor(() => id >= 0, 'the request');
    assert.ok(h.srv.pending(id) > 0);
    h.srv.destroy(id);
    assert.equal(h.closes(), 0, 'onClose is not called from inside destroy()');
    assert.equal(h.srv.connections, 0);
    assert.equal(h.srv.pending(id), 0);
    assert.equal(h.srv.write(id, 'x'), false);
    h.srv.destroy(id); // twice: harmless
    await waitFor(() => h.closes() === 1, 'onClose');
    s.resume();
    const { data } = await done;
    assert.ok(data.length < big.length, `received ${data.length} of ${big.length}`);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(h.opened[0]!.closes, 1);
  });

  test('destroy() from onOpen and onData: onClose once each, after the handler', async () => {
    const order: string[] = [];
    const h = await serve(
      (h2, c) => {
        h2.srv.destroy(c.id);
        order.push('data-destroyed');
      },
      {
        onOpen: (h2, c) => {
          if (h2.opened.length === 1) {
            h2.srv.destroy(c.id);
            order.push('open-destroyed');
          }
        },
      },
    );
    const a = await connect(h.port);
    const aDone = collect(a);
    await aDone;
    await waitFor(() => h.closes() === 1, 'first onClose');
    const b = await connect(h.port);
    const bDone = collect(b);
    b.write('x\r\n\r\n');
    await bDone;
    await waitFor(() => h.closes() === 2, 'second onClose');
    assert.deepEqual(order, ['open-destroyed', 'data-destroyed']);
    assert.deepEqual(
      h.opened.map((c) => c.closes),
      [1, 1],
    );
  });

  test('clients resetting mid-stream (reading and writing) do not crash the server', async () => {
    const big = pattern(2 << 20);
    const h = await serve(
      (h2, c) => {
        h2.srv.write(c.id, big); // may be refused later: the peer resets
      },
      { maxQueuedBytes: 8 << 20 },
    );
    for (let i = 0; i < 20; i++) {
      const s = await connect(h.port);
      s.on('error', () => {});
      if (i % 2) {
        s.write('partial request without end'); // the server is mid-read
      } else {
        s.write('x\r\n\r\n'); // the server is mid-write
        await new Promise((r) => setTimeout(r, 5));
      }
      s.resetAndDestroy();
    }
    await waitFor(() => h.closes() === 20, `20 onClose (have ${h.closes()})`);
    assert.ok(h.opened.every((c) => c.closes === 1));
    assert.equal(h.srv.connections, 0);
    // Still serving.
    const h2 = await serve(replyAndClose);
    assert.equal(await request(h2.port, 'GET / HTTP/1.1\r\n\r\n'), REPLY);
  });

  test('maxConnections is enforced: the excess is closed at once', async () => {
    const h = await serve(() => {}, { maxConnections: 3 });
    const held: net.Socket[] = [];
    for (let i = 0; i < 3; i++) held.push(await connect(h.port));
    await waitFor(() => h.srv.connections === 3, '3 connections');
    const extra = await connect(h.port);
    const extraDone = collect(extra);
    const r = await extraDone; // closed by the server (FIN, or a reset)
    assert.equal(r.data.length, 0);
    await waitFor(() => h.srv.stats.rejected === 1, 'one rejection');
    assert.equal(h.opened.length, 3);
    // Freeing one makes room again.
    held[0]!.destroy();
    await waitFor(() => h.srv.connections === 2, 'one fewer');
    await connect(h.port);
    await waitFor(() => h.srv.connections === 3, 'room again');
    assert.equal(h.opened.length, 4);
  });

  test('a write beyond maxQueuedBytes destroys the connection', async () => {
    let id = -1;
    const results: boolean[] = [];
    const h = await serve(
      (h2, c) => {
        id = c.id;
      },
      { maxQueuedBytes: 64 << 10 },
    );
    const s = await connect(h.port);
    s.on('error', () => {});
    s.pause(); // never reads
    s.write('x\r\n\r\n');
    await waitFor(() => id >= 0, 'the request');
    const chunk = Buffer.alloc(256 << 10, 7);
    for (let i = 0; i < 64 && results.at(-1) !== false; i++) results.push(h.srv.write(id, chunk));
    assert.equal(results.at(-1), false, 'a write was refused');
    assert.equal(h.srv.connections, 0);
    await waitFor(() => h.closes() === 1, 'onClose');
    assert.equal(h.srv.stats.overflowed, 1);
  });

  test('closeListener releases the port at once; open connections keep working', async () => {
    const h = await serve((h2, c) => {
      h2.srv.write(c.id, 'pong\n');
    });
    const s = await connect(h.port);
    await waitFor(() => h.srv.connections === 1, 'the connection');
    await h.srv.closeListener();
    const other = net.createServer();
    await new Promise<void>((resolve, reject) => {
      other.once('error', reject);
      other.listen(h.port, '127.0.0.1', resolve);
    });
    other.close();
    const got = once(s, 'data') as Promise<[Buffer]>;
    s.write('ping\r\n\r\n');
    assert.equal((await got)[0].toString(), 'pong\n');
    const done = collect(s);
    s.end();
    await done;
    await waitFor(() => h.closes() === 1, 'onClose');
    await h.srv.closeListener(); // twice: harmless
  });

  test('EADDRINUSE rejects with .code (port taken by node:net and by ourselves)', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        serve(() => {}, { port }),
        (err: NodeJS.ErrnoException) => {
          assert.equal(err.code, 'EADDRINUSE');
          assert.equal(err.syscall, 'listen');
          assert.match(err.message, /EADDRINUSE 127\.0\.0\.1:\d+/);
          return true;
        },
      );
    } finally {
      taken.close();
    }
    const h = await serve(() => {});
    await assert.rejects(
      serve(() => {}, { port: h.port }),
      { code: 'EADDRINUSE' },
    );
  });

  test('a worker terminated with its server open releases the port and does not crash', async () => {
    const mod = new URL('./native-tcp.js', import.meta.url).href;
    const w = new Worker(
      `import(${JSON.stringify(mod)}).then(async (m) => {
        const s = await m.openNativeTcp({ host: '127.0.0.1', port: 0, family: 4, backlog: 16,
          maxConnections: 16, handlers: { onOpen: (id) => id, onData: () => {}, onClose: () => {} } });
        require('node:net').connect(s.address().port, '127.0.0.1').on('error', () => {});
        const wait = () => s.connections ? require('node:worker_threads').parentPort.postMessage(s.address().port) : setTimeout(wait, 5);
        wait();
      });`,
      { eval: true },
    );
    const [port] = (await once(w, 'message')) as [number];
    await w.terminate(); // the addon's cleanup hook closes everything before the worker unloads it
    const h = await serve(replyAndClose, { port });
    assert.equal(h.port, port);
    assert.equal(await request(port, 'GET / HTTP/1.1\r\n\r\n'), REPLY);
  });
});
