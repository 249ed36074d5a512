#!/usr/bin/env node
// Checks wsload (bench/wsload/wsload.c) against the `ws` package's server, which rejects
// unmasked or malformed client frames and text that is not valid UTF-8:
//   - every message parses, and JSON.stringify of the parsed message gives the same text (so
//     the binary strings are encoded exactly as JS encodes them);
//   - info_hash and peer_id are the 20 code points wsload generated (printed with --trace);
//   - the loop announce carries K offers with ws-load.js's SDP and is the same text each time;
//   - replies sent as 7-, 16- and 64-bit lengths, fragmented, split across TCP writes, with
//     pings in between, failure replies, refused upgrades and a server close are all counted
//     as they should be.
// `node bench/wsload/check.mjs [--spin]`: prints the findings, exits 1 on any problem (the
// arguments go to wsload for the load run). Takes ~3 s.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { buildWsload } from './build.mjs';
import { SDP } from './sdp.mjs';

const CONNS = 12;
const SWARMS = 3;
const ACTIVE = 5;
const OFFERS = 3;
const REFUSE_EVERY = 4; // every 4th upgrade gets a 403

const problems = [];
const problem = (m) => {
  if (problems.length < 20) console.error(`check: ${m}`);
  problems.push(m);
};
const expect = (ok, m) => ok || problem(m);
const hex = (s) => Buffer.from(s, 'latin1').toString('hex');
const isBinary20 = (s) => typeof s === 'string' && s.length === 20 && /^[\0-\xff]*$/.test(s);

/** An unmasked server frame. */
function frame(op, payload, fin = true) {
  const b0 = (fin ? 0x80 : 0) | op;
  const n = payload.length;
  let head;
  if (n < 126) head = Buffer.from([b0, n]);
  else if (n < 65536) head = Buffer.from([b0, 126, n >> 8, n & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

const stats = {
  upgrades: 0,
  refused: 0,
  messages: 0,
  first: 0,
  seeders: 0,
  loops: 0,
  replies: 0,
  failures: 0,
  offersSent: 0,
  pings: 0,
  pongs: 0,
  wsErrors: 0,
};
const conns = [];
const trace = new Map(); // peer_id hex -> info_hash hex, from wsload --trace

/** Writes frames in order; a third of them in 2-4 pieces with pauses, so reads split them. */
function send(c, buf) {
  c.chain = c.chain.then(async () => {
    if (c.closed) return;
    if (Math.random() < 0.33 && buf.length > 2) {
      const cuts = [
        0,
        ...Array.from({ length: 3 }, () => 1 + Math.floor(Math.random() * (buf.length - 1))),
      ];
      cuts.sort((a, b) => a - b).push(buf.length);
      for (let i = 1; i < cuts.length; i++) {
        if (cuts[i] > cuts[i - 1]) c.socket.write(buf.subarray(cuts[i - 1], cuts[i]));
        await sleep(1);
      }
    } else {
      c.socket.write(buf);
    }
  });
}

const pad = (k) => (k % 3 === 0 ? 'x'.repeat(70000) : k % 3 === 1 ? 'y'.repeat(300) : '');

function onMessage(c, data, isBinary) {
  stats.messages++;
  expect(!isBinary, 'binary frame from wsload');
  const text = data.toString('utf8');
  let m;
  try {
    m = JSON.parse(text);
  } catch (e) {
    problem(`parse error: ${e.message}`);
    return;
  }
  expect(JSON.stringify(m) === text, `not JS's JSON encoding: ${text.slice(0, 120)}`);
  expect(m.action === 'announce', 'action is not announce');
  expect(
    isBinary20(m.info_hash) && isBinary20(m.peer_id),
    'info_hash/peer_id not 20 code points < 256',
  );
  const ih = trace.get(hex(m.peer_id));
  expect(ih !== undefined, `unknown peer_id ${hex(m.peer_id)}`);
  expect(ih === hex(m.info_hash), `info_hash ${hex(m.info_hash)} is not the traced ${ih}`);
  c.peerId ??= m.peer_id;
  expect(c.peerId === m.peer_id, 'peer_id changed on a connection');
  if (m.event === 'started') {
    stats.first++;
    expect(
      m.numwant === 0 && m.offers.length === 0 && (m.left === 0 || m.left === 1000),
      'bad first announce',
    );
    if (m.left === 0) stats.seeders++;
  } else {
    stats.loops++;
    expect(m.event === undefined && m.left === 1000 && m.numwant === OFFERS, 'bad loop announce');
    expect(m.offers.length === OFFERS, `expected ${OFFERS} offers, got ${m.offers.length}`);
    for (const o of m.offers) {
      expect(JSON.stringify(o.offer) === JSON.stringify(SDP), 'offer is not ws-load.js SDP');
      expect(isBinary20(o.offer_id), 'offer_id not 20 code points < 256');
    }
    c.loopText ??= text;
    expect(c.loopText === text, 'loop announce changed between sends');
    // Forward each offer to another connection, some padded to 16- or 64-bit lengths.
    const others = conns.filter((x) => x !== c && !x.closed);
    m.offers.forEach((o, k) => {
      if (others.length === 0) return;
      const to = others[Math.floor(Math.random() * others.length)];
      const msg = {
        action: 'announce',
        offer: o.offer,
        offer_id: o.offer_id,
        peer_id: m.peer_id,
        info_hash: m.info_hash,
        pad: pad(stats.offersSent + k),
      };
      send(to, frame(1, Buffer.from(JSON.stringify(msg))));
    });
    stats.offersSent += Math.min(m.offers.length, others.length ? m.offers.length : 0);
  }
  const k = stats.replies + stats.failures;
  if (k % 7 === 6 && m.event !== 'started') {
    stats.failures++;
    const f = { action: 'announce', 'failure reason': 'check', info_hash: m.info_hash };
    send(c, frame(1, Buffer.from(JSON.stringify(f))));
    return;
  }
  stats.replies++;
  const reply = Buffer.from(
    JSON.stringify({
      action: 'announce',
      interval: 120,
      info_hash: m.info_hash,
      complete: 1,
      incomplete: 2,
      pad: pad(k),
    }),
  );
  if (k % 5 === 4) {
    // Three fragments with a ping between the first two.
    const a = Math.floor(reply.length / 3);
    send(c, frame(1, reply.subarray(0, a), false));
    send(c, frame(9, Buffer.from('mid')));
    stats.pings++;
    send(c, frame(0, reply.subarray(a, 2 * a), false));
    send(c, frame(0, reply.subarray(2 * a)));
  } else {
    send(c, frame(1, reply));
  }
}

const server = http.createServer((req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  stats.upgrades++;
  if (req.url !== '/announce' || stats.upgrades % REFUSE_EVERY === 0) {
    stats.refused++;
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const c = { ws, socket: ws._socket, chain: Promise.resolve(), closed: false, pings: new Set() };
    conns.push(c);
    ws.on('message', (data, isBinary) => onMessage(c, data, isBinary));
    ws.on('error', (e) => {
      stats.wsErrors++;
      problem(`ws error: ${e.message}`);
    });
    ws.on('pong', (data) => {
      stats.pongs++;
      const p = data.toString();
      expect(p === 'mid' || c.pings.delete(p), `pong with unexpected payload '${p}'`);
    });
    ws.on('close', () => (c.closed = true));
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const bin = buildWsload();
if (bin === null) process.exit(1);

/** Runs wsload; resolves with its stdout lines (parsed), stderr text and exit code. */
function run(args, onLine) {
  const child = spawn(bin, ['--port', String(port), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  const lines = [];
  createInterface({ input: child.stderr }).on('line', (l) => {
    const t = /^wsload: trace \d+ info_hash=([0-9a-f]{40}) peer_id=([0-9a-f]{40})$/.exec(l);
    if (t) trace.set(t[2], t[1]);
    else stderr += `${l}\n`;
  });
  createInterface({ input: child.stdout }).on('line', (l) => {
    const m = JSON.parse(l);
    lines.push(m);
    onLine?.(m, child);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ lines, stderr, code })));
}

// 1. Refused everywhere: exits non-zero and says why.
const bad = await run([
  '--path',
  '/nope',
  '--connections',
  '3',
  '--swarms',
  '1',
  '--active',
  '1',
  '--offers',
  '1',
]);
expect(
  bad.code !== 0 && /upgrade refused: HTTP\/1.1 403/.test(bad.stderr),
  `all refused: code ${bad.code}, ${bad.stderr}`,
);
stats.upgrades = stats.refused = 0;

// 2. The load, with pings every 20 ms and one idle connection closed by the server.
const pinger = setInterval(() => {
  for (const c of conns) {
    if (c.closed) continue;
    const p = `p${stats.pings++}`;
    c.pings.add(p);
    send(c, frame(9, Buffer.from(p)));
  }
}, 20);
const args = [
  '--connections',
  CONNS,
  '--swarms',
  SWARMS,
  '--active',
  ACTIVE,
  '--offers',
  OFFERS,
  '--trace',
  ...process.argv.slice(2),
];
const r = await run(args.map(String), (m, child) => {
  if (m.phase === 'connected') {
    child.stdin.write('go 0.3 1\n');
    setTimeout(() => {
      const c = conns.at(-1);
      c.chain = c.chain.then(() => c.ws.close(1000, 'bye'));
    }, 600);
  } else if (m.phase === 'done') {
    child.stdin.write('quit\n');
  }
});
clearInterval(pinger);
await sleep(100);

const [connected, measuring, done] = r.lines;
const refused = Math.floor(CONNS / REFUSE_EVERY);
expect(r.code === 0, `wsload exited with ${r.code}: ${r.stderr}`);
expect(
  connected?.phase === 'connected' && measuring?.phase === 'measuring' && done?.phase === 'done',
  'phases',
);
expect(
  connected.connections === CONNS &&
    connected.held === CONNS - refused &&
    connected.failed === refused,
  `connected line ${JSON.stringify(connected)}`,
);
expect(trace.size === CONNS, `traced ${trace.size} connections`);
expect(stats.first === CONNS - refused, `first announces ${stats.first}`);
expect(
  done.replies > 0 && done.replies <= stats.replies,
  `replies ${done.replies} (server ${stats.replies})`,
);
expect(
  done.failures > 0 && done.failures <= stats.failures,
  `failures ${done.failures} (server ${stats.failures})`,
);
expect(
  done.offersIn > 0 && done.offersIn <= stats.offersSent,
  `offersIn ${done.offersIn} (server ${stats.offersSent})`,
);
expect(done.stillOpen === CONNS - refused - 1, `stillOpen ${done.stillOpen}`);
expect(
  stats.pongs > 0 && stats.pongs >= stats.pings - 2 * conns.length,
  `pongs ${stats.pongs} of ${stats.pings} pings`,
);
expect(stats.wsErrors === 0, 'ws errors');
console.log(JSON.stringify({ connected, done, server: stats, problems: problems.length }));
server.close();
for (const c of conns) c.socket.destroy();
process.exit(problems.length ? 1 : 0);
