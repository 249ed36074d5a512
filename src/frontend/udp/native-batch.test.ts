import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { BatchSocket, Family, PacketHandler } from './native-batch.js';
import {
  nativeBatchAvailable,
  nativeBatchUnavailableReason,
  openBatchSocket,
} from './native-batch.js';

const AVAILABLE = nativeBatchAvailable();
const HOW_TO_BUILD =
  `native UDP batching addon unavailable (${nativeBatchUnavailableReason() ?? '?'}); ` +
  'build it with `npm run build:native` or `node scripts/build-native.mjs`';
const CI = process.env['CI'] === 'true';

test('native UDP batching addon is available (required when CI=true)', (t) => {
  if (AVAILABLE) return;
  if (CI) assert.fail(HOW_TO_BUILD);
  t.skip(HOW_TO_BUILD);
});

const open: BatchSocket[] = [];
const clients: dgram.Socket[] = [];

after(async () => {
  for (const c of clients) c.close();
  await Promise.all(open.map((s) => s.close()));
});

async function server(
  onPacket: PacketHandler,
  family: Family = 4,
  extra: { port?: number; maxDatagramBytes?: number } = {},
): Promise<BatchSocket> {
  const s = await openBatchSocket({
    host: family === 4 ? '127.0.0.1' : '::1',
    port: extra.port ?? 0,
    family,
    bufferBytes: 4 << 20,
    onPacket,
    ...(extra.maxDatagramBytes !== undefined ? { maxDatagramBytes: extra.maxDatagramBytes } : {}),
  });
  assert.ok(s, 'openBatchSocket returned null although the addon loaded');
  open.push(s);
  return s;
}

async function client(family: Family = 4): Promise<dgram.Socket> {
  const c = dgram.createSocket({
    type: family === 4 ? 'udp4' : 'udp6',
    recvBufferSize: 4 << 20,
  });
  clients.push(c);
  c.bind(0, family === 4 ? '127.0.0.1' : '::1');
  await once(c, 'listening');
  return c;
}

/** Echoes every packet back to its source. */
function echo(sock: () => BatchSocket): PacketHandler {
  return (msg, ip, family, port) => sock().send(msg, ip, family, port);
}

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function nextMessage(c: dgram.Socket): Promise<[Buffer, dgram.RemoteInfo]> {
  return once(c, 'message') as Promise<[Buffer, dgram.RemoteInfo]>;
}

async function canBindIPv6(): Promise<boolean> {
  const s = dgram.createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '::1', resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

describe('native batch socket', { skip: AVAILABLE ? false : HOW_TO_BUILD }, () => {
  test('IPv4 echo round trip with the right source address and port', async () => {
    const seen: { ip: string; family: Family; port: number }[] = [];
    const views: string[] = [];
    const s: BatchSocket = await server((msg, ip, family, port) => {
      seen.push({ ip: [...ip].join('.'), family, port });
      // The packet view behaves as a Buffer in every way a frontend uses.
      assert.ok(Buffer.isBuffer(msg) && msg instanceof Buffer && Buffer.isBuffer(ip));
      views.push(
        msg.toString('latin1', 0, 5),
        msg.subarray(6).toString(),
        msg.readUInt8(0).toString(),
      );
      assert.ok(msg.equals(Buffer.from('hello shoal')));
      s.send(msg, ip, family, port);
    });
    assert.equal(s.family, 4);
    const { address, port } = s.address();
    assert.equal(address, '127.0.0.1');
    assert.ok(port > 0);
    const c = await client(4);
    const reply = nextMessage(c);
    c.send(Buffer.from('hello shoal'), port, '127.0.0.1');
    const [msg, rinfo] = await reply;
    assert.equal(msg.toString(), 'hello shoal');
    assert.equal(rinfo.address, '127.0.0.1');
    assert.equal(rinfo.port, port);
    assert.deepEqual(seen, [{ ip: '127.0.0.1', family: 4, port: c.address().port }]);
    assert.deepEqual(views, ['hello', 'shoal', '104']);
    await waitFor(() => s.stats.sent === 1, 'stats.sent');
    assert.equal(s.stats.received, 1);
    assert.equal(s.stats.dropped, 0);
  });

  test('IPv6 echo round trip with a 16-byte source address', async (t) => {
    if (!(await canBindIPv6())) return t.skip('no IPv6 loopback here');
    let seenIp: Buffer | undefined;
    let seenFamily: Family | undefined;
    const s: BatchSocket = await server((msg, ip, family, port) => {
      seenIp = Buffer.from(ip);
      seenFamily = family;
      s.send(msg, ip, family, port);
    }, 6);
    assert.equal(s.family, 6);
    assert.equal(s.address().address, '::1');
    const c = await client(6);
    const reply = nextMessage(c);
    c.send(Buffer.from('over six'), s.address().port, '::1');
    const [msg, rinfo] = await reply;
    assert.equal(msg.toString(), 'over six');
    assert.equal(rinfo.address, '::1');
    assert.equal(seenFamily, 6);
    assert.deepEqual(seenIp, Buffer.from('00000000000000000000000000000001', 'hex'));
  });

  test('a 5000-packet burst from 4 sockets is answered in full, several packets per batch', async () => {
    const s: BatchSocket = await server(echo(() => s));
    const { port } = s.address();
    const CLIENTS = 4;
    const PER_CLIENT = 1250;
    const WINDOW = 256; // in flight per client; keeps all buffers far from overflowing
    const got = new Array<number>(CLIENTS).fill(0);
    const wrong: string[] = [];
    const cs: dgram.Socket[] = [];
    for (let k = 0; k < CLIENTS; k++) cs.push(await client(4));
    const sent = new Array<number>(CLIENTS).fill(0);
    const sendOne = (k: number): void => {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(k, 0);
      b.writeUInt32BE(sent[k]!, 4);
      sent[k]!++;
      cs[k]!.send(b, port, '127.0.0.1');
    };
    cs.forEach((c, k) => {
      c.on('message', (msg: Buffer) => {
        if (msg.length !== 8 || msg.readUInt32BE(0) !== k) wrong.push(msg.toString('hex'));
        got[k]!++;
        if (sent[k]! < PER_CLIENT) sendOne(k);
      });
    });
    for (let k = 0; k < CLIENTS; k++) for (let i = 0; i < WINDOW; i++) sendOne(k);
    await waitFor(
      () => got.every((n) => n === PER_CLIENT),
      `all replies (got ${got.join('/')})`,
      20_000,
    );
    assert.deepEqual(wrong, []);
    const st = s.stats;
    assert.equal(st.received, CLIENTS * PER_CLIENT);
    assert.equal(st.sent, CLIENTS * PER_CLIENT);
    assert.equal(st.dropped, 0);
    assert.ok(st.batches < st.received, `batches ${st.batches} < received ${st.received}`);
  });

  test('replies queued outside a batch (from a timer) are delivered', async () => {
    const s: BatchSocket = await server((msg, ip, family, port) => {
      const copy = Buffer.from(msg);
      const ipCopy = Buffer.from(ip);
      setTimeout(() => {
        s.send(copy, ipCopy, family, port);
        s.send(Buffer.from('second'), ipCopy, family, port);
      }, 10);
    });
    const c = await client(4);
    const replies: string[] = [];
    c.on('message', (m: Buffer) => replies.push(m.toString()));
    c.send(Buffer.from('later'), s.address().port, '127.0.0.1');
    await waitFor(() => replies.length === 2, 'two delayed replies');
    assert.deepEqual(replies, ['later', 'second']);
  });

  test('more replies than one send batch holds (count and bytes) all go out', async () => {
    const big = Buffer.alloc(60_000, 7);
    const s: BatchSocket = await server((msg, ip, family, port) => {
      for (let i = 0; i < 300; i++) {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(i);
        s.send(b, ip, family, port);
      }
      for (let i = 0; i < 6; i++) s.send(big, ip, family, port); // 360 kB > the 256 kB arena
    });
    const c = await client(4);
    let small = 0;
    let large = 0;
    c.on('message', (m: Buffer) => {
      if (m.length === 4) small++;
      else if (m.length === big.length && m[59_999] === 7) large++;
    });
    c.send(Buffer.from('go'), s.address().port, '127.0.0.1');
    await waitFor(() => small === 300 && large === 6, `replies (${small}, ${large})`);
    assert.equal(s.stats.sent, 306);
  });

  test('close() releases the port and stops delivery', async () => {
    let received = 0;
    const s = await server(() => {
      received++;
    });
    const { port } = s.address();
    await s.close();
    await s.close(); // idempotent
    s.send(Buffer.from('x'), Buffer.from([127, 0, 0, 1]), 4, 9); // after close: counted, no throw
    assert.equal(s.stats.dropped, 1);
    const again: BatchSocket = await server(
      echo(() => again),
      4,
      { port },
    );
    assert.equal(again.address().port, port);
    const c = await client(4);
    const reply = nextMessage(c);
    c.send(Buffer.from('rebound'), port, '127.0.0.1');
    assert.equal((await reply)[0].toString(), 'rebound');
    assert.equal(received, 0);
  });

  test('binding a port in use rejects with code EADDRINUSE', async () => {
    const s = await server(() => {});
    const { port } = s.address();
    await assert.rejects(
      openBatchSocket({
        host: '127.0.0.1',
        port,
        family: 4,
        bufferBytes: 0,
        onPacket: () => {},
      }),
      (err: NodeJS.ErrnoException) => {
        assert.equal(err.code, 'EADDRINUSE');
        assert.equal(err.syscall, 'bind');
        assert.match(err.message, new RegExp(`EADDRINUSE 127\\.0\\.0\\.1:${port}`));
        return true;
      },
    );
    // Also against a plain dgram socket holding the port.
    const d = await client(4);
    await assert.rejects(
      openBatchSocket({
        host: '127.0.0.1',
        port: d.address().port,
        family: 4,
        bufferBytes: 0,
        onPacket: () => {},
      }),
      { code: 'EADDRINUSE' },
    );
  });

  test('an address of the wrong family rejects with EINVAL', async () => {
    await assert.rejects(
      openBatchSocket({ host: '::1', port: 0, family: 4, bufferBytes: 0, onPacket: () => {} }),
      { code: 'EINVAL' },
    );
  });

  test('zero-length and oversized datagrams do not crash; oversized ones are counted', async () => {
    const lengths: number[] = [];
    const s: BatchSocket = await server(
      (msg, ip, family, port) => {
        lengths.push(msg.length);
        s.send(msg, ip, family, port);
      },
      4,
      { maxDatagramBytes: 1024 },
    );
    const c = await client(4);
    const replies: number[] = [];
    c.on('message', (m: Buffer) => replies.push(m.length));
    const { port } = s.address();
    c.send(Buffer.alloc(0), port, '127.0.0.1');
    c.send(Buffer.alloc(1025, 1), port, '127.0.0.1'); // one byte over the slot
    c.send(Buffer.alloc(65_000, 2), port, '127.0.0.1');
    c.send(Buffer.alloc(1024, 3), port, '127.0.0.1'); // exactly the slot
    await waitFor(() => replies.length === 2, 'replies to the two valid datagrams');
    assert.deepEqual(lengths, [0, 1024]);
    assert.deepEqual(replies, [0, 1024]);
    assert.equal(s.stats.truncated, 2);
    assert.equal(s.stats.received, 2);
  });

  test('a worker terminated with its socket open releases the port and does not crash', async () => {
    const mod = new URL('./native-batch.js', import.meta.url).href;
    const w = new Worker(
      `import(${JSON.stringify(mod)}).then(async (m) => {
        const s = await m.openBatchSocket({ host: '127.0.0.1', port: 0, family: 4,
          bufferBytes: 0, onPacket: (msg, ip, f, p) => s.send(msg, ip, f, p) });
        require('node:worker_threads').parentPort.postMessage(s.address().port);
      });`,
      { eval: true },
    );
    const [port] = (await once(w, 'message')) as [number];
    await w.terminate(); // the addon's cleanup hook closes the socket before the worker unloads it
    const s = await server(() => {}, 4, { port });
    assert.equal(s.address().port, port);
  });

  test('invalid replies are dropped and counted, never thrown', async () => {
    const s = await server(() => {});
    const v4 = Buffer.from([127, 0, 0, 1]);
    s.send(Buffer.from('a'), Buffer.alloc(16), 4, 1); // ip length does not match the family
    s.send(Buffer.from('a'), v4, 6, 1);
    s.send(Buffer.alloc(70_000), v4, 4, 1); // larger than any UDP datagram
    s.send(Buffer.from('a'), v4, 4, 0); // port 0: refused in C
    s.send(Buffer.from('a'), Buffer.alloc(16, 1), 6, 1); // IPv6 destination on an IPv4 socket
    await waitFor(() => s.stats.dropped === 5, `5 drops (have ${s.stats.dropped})`);
    assert.equal(s.stats.sent, 0);
  });
});
