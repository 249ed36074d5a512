#!/usr/bin/env node
// Checks wsfloor against the `ws` client, about 1 s: the upgrade (ws verifies
// Sec-WebSocket-Accept), replies and swarm counts, forwarded offers (valid JSON, the offer as
// sent, distinct recipients), fragmented messages, frames split byte by byte and several per
// write, 16- and 64-bit lengths, ping/pong, close, a bad upgrade. WSFLOOR=path picks the binary
// (default: build/wsfloor, built when stale).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { buildWsfloor } from './build.mjs';
import { SDP } from '../wsload/sdp.mjs';

const bin = process.env.WSFLOOR ?? buildWsfloor();
if (!bin) process.exit(1);
const child = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
process.on('exit', () => child.kill('SIGKILL')); // after a failed assertion
const port = await new Promise((resolve) =>
  createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l).port)),
);
const url = `ws://127.0.0.1:${port}/announce`;

/** A client that queues every message it receives. */
async function client() {
  const ws = new WebSocket(url);
  const queue = [];
  let wake = null;
  ws.on('message', (d, isBinary) => {
    queue.push(isBinary ? d : JSON.parse(d.toString()));
    wake?.();
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const next = async (ms = 2000) => {
    const t = Date.now();
    while (queue.length === 0) {
      if (Date.now() - t > ms) throw new Error('no message');
      await new Promise((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
    return queue.shift();
  };
  return { ws, queue, next };
}

// An info hash with every awkward byte: quote, backslash, controls, bytes above 0x7f.
const hash = '"\\\x00\x01\n\x7f\x80\xff' + randomBytes(12).toString('latin1');
const other = randomBytes(20).toString('latin1');
const ann = (peerId, extra) => ({
  action: 'announce',
  info_hash: hash,
  peer_id: peerId,
  numwant: 5,
  uploaded: 0,
  downloaded: 0,
  ...extra,
});

const [a, b, c] = [await client(), await client(), await client()];
const ids = ['A', 'B', 'C'].map((x) => x.repeat(19) + '"');
a.ws.send(JSON.stringify(ann(ids[0], { left: 0, event: 'started', offers: [] })));
let r = await a.next();
assert.deepEqual(r, {
  action: 'announce',
  interval: 120,
  info_hash: hash,
  complete: 1,
  incomplete: 0,
});
b.ws.send(JSON.stringify(ann(ids[1], { left: 10, event: 'started', offers: [] })));
assert.deepEqual(await b.next(), { ...r, complete: 1, incomplete: 1 });
c.ws.send(JSON.stringify(ann(ids[2], { left: 0.5, offers: [] })));
assert.deepEqual(await c.next(), { ...r, complete: 1, incomplete: 2 });

// Two offers from A: one each to B and C (the only others), as a real tracker forwards them.
const offers = [0, 1].map(() => ({
  offer: { ...SDP, extra: ['}', '"{'] },
  offer_id: randomBytes(20).toString('latin1'),
}));
a.ws.send(JSON.stringify(ann(ids[0], { left: 0, offers })));
assert.deepEqual(await a.next(), { ...r, complete: 1, incomplete: 2 });
const got = [await b.next(), await c.next()];
if (got[0].offer_id !== offers[0].offer_id) got.reverse();
for (let k = 0; k < 2; k++) {
  assert.deepEqual(got[k], {
    action: 'announce',
    offer: offers[k].offer,
    offer_id: offers[k].offer_id,
    peer_id: ids[0],
    info_hash: hash,
  });
}
// Five offers, two others: two forwarded.
a.ws.send(JSON.stringify(ann(ids[0], { left: 0, offers: [...offers, ...offers, offers[0]] })));
await a.next();
await b.next();
await c.next();
await new Promise((r) => setTimeout(r, 100));
assert.equal(b.queue.length + c.queue.length, 0);

// Fragmented message (ws sends fin=false then a continuation), with a ping in between.
const msg = Buffer.from(JSON.stringify(ann(ids[1], { left: 0, offers: [] })));
b.ws.send(msg.subarray(0, 30), { fin: false, binary: false });
const pong = new Promise((resolve) => b.ws.once('pong', resolve));
b.ws.ping('hello');
b.ws.send(msg.subarray(30), { fin: true, binary: false });
assert.equal((await pong).toString(), 'hello');
assert.deepEqual(await b.next(), { ...r, complete: 2, incomplete: 1 });

// Another swarm moves C; a big (64-bit length) message; a message without info_hash fails.
const big = JSON.stringify({
  ...ann(ids[2], { left: 0, offers: [] }),
  info_hash: other,
  pad: 'x'.repeat(70000),
});
c.ws.send(big);
assert.deepEqual(await c.next(), { ...r, info_hash: other, complete: 1, incomplete: 0 });
c.ws.send('{"action":"announce"}');
assert.deepEqual(await c.next(), { 'failure reason': 'invalid info_hash' });
a.ws.send(JSON.stringify(ann(ids[0], { left: 0, offers: [] })));
assert.deepEqual(await a.next(), { ...r, complete: 2, incomplete: 0 });

// Raw socket: head and frames byte by byte, then two frames (16-bit lengths) in one write.
function maskedFrame(text) {
  const p = Buffer.from(text);
  const head =
    p.length < 126
      ? Buffer.from([0x81, 0x80 | p.length])
      : Buffer.from([0x81, 0xfe, p.length >> 8, p.length & 255]);
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, p.map((x, i) => x ^ mask[i & 3])]);
}
const s = net.connect(port, '127.0.0.1');
s.setNoDelay(true);
let raw = Buffer.alloc(0);
s.on('data', (d) => (raw = Buffer.concat([raw, d])));
await new Promise((r) => s.once('connect', r));
const req = Buffer.from(
  'GET /announce HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nsec-websocket-KEY:  dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);
const one = maskedFrame(JSON.stringify(ann('D'.repeat(20), { left: 1, offers: [] })));
for (const x of Buffer.concat([req, one])) {
  s.write(Buffer.from([x]));
  await new Promise((r) => setTimeout(r, 0));
}
await new Promise((r) => setTimeout(r, 200));
const head = raw.toString('latin1');
assert.match(head, /^HTTP\/1\.1 101 /);
assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
raw = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
s.write(Buffer.concat([maskedFrame(big.slice(0, 300) + '"}'), one, one]));
await new Promise((r) => setTimeout(r, 200));
const texts = [];
while (raw.length >= 2) {
  let n = raw[1] & 0x7f,
    h = 2;
  if (n === 126) ((n = raw.readUInt16BE(2)), (h = 4));
  texts.push(raw.subarray(h, h + n).toString());
  raw = raw.subarray(h + n);
}
assert.equal(texts.length, 4);
assert.deepEqual(JSON.parse(texts[3]), { ...r, complete: 2, incomplete: 1 });
// Close: answered with a close frame, then the socket ends.
const ended = new Promise((r) => s.once('close', r));
s.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
await ended;
assert.deepEqual([...raw.subarray(0, 4)], [0x88, 2, 0x03, 0xe8]);

// A bad upgrade gets a 400.
const bad = await new Promise((resolve) => {
  const t = net.connect(port, '127.0.0.1', () => t.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  let d = '';
  t.on('data', (x) => (d += x)).on('close', () => resolve(d));
});
assert.match(bad, /^HTTP\/1\.1 400 /);

for (const x of [a, b, c]) x.ws.close();
await new Promise((r) => setTimeout(r, 100));
child.kill('SIGTERM');
const code = await new Promise((r) => child.once('exit', (c, sig) => r(c ?? sig)));
assert.equal(code, 0);
console.log('wsfloor check: ok');
