#!/usr/bin/env node
// npm run bench:ws [-- options]: WebSocket (WebTorrent) load against Shoal and the
// bittorrent-tracker package's server, one after the other, same load:
//   1. N connections open and each announces once (no offers): memory per open connection
//      of the tracker process (RSS and heap delta / N, after GC), and how many stay open;
//   2. A of them announce back to back with K offers each (the tracker forwards the offers to
//      other connections): replies per second, and tracker CPU seconds per second.
// The tracker runs in its own process (bench/ws-target.js). With --pin the tracker runs on
// CPU 0 and this generator on CPU 1 (taskset). Run on an idle machine for figures.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { SDP } from './wsload/sdp.mjs';

const HELP = `usage: npm run bench:ws -- [options]
  --targets LIST     shoal, shoal-ws-port (dedicated port), bittorrent-tracker (bt)
                                                        [shoal,bittorrent-tracker]
  --connections N    open connections held                          [10000]
  --swarms S         swarms they announce into                      [100]
  --active A         connections announcing back to back            [200]
  --offers K         offers per announce                            [5]
  --duration D       seconds measured (after 2 s of warm-up)        [10]
  --pin              tracker on CPU 0, generator on CPU 1 (taskset)`;

function parse(argv) {
  const o = {
    targets: ['shoal', 'bittorrent-tracker'],
    connections: 10000,
    swarms: 100,
    active: 200,
    offers: 5,
    duration: 10,
    pin: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else if (a === '--targets') o.targets = v().split(',');
    else if (a === '--connections') o.connections = Number(v());
    else if (a === '--swarms') o.swarms = Number(v());
    else if (a === '--active') o.active = Number(v());
    else if (a === '--offers') o.offers = Number(v());
    else if (a === '--duration') o.duration = Number(v());
    else if (a === '--pin') o.pin = true;
    else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  o.targets = o.targets.map((t) => (t === 'bt' ? 'bittorrent-tracker' : t));
  o.active = Math.min(o.active, o.connections);
  return o;
}

const bin = () => randomBytes(20).toString('latin1');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

function startTarget(name, pin) {
  const script = fileURLToPath(new URL('./ws-target.js', import.meta.url));
  // WS_TARGET_NODE_ARGS: extra node flags for the tracker process (e.g. --cpu-prof).
  const extra = (process.env.WS_TARGET_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = ['--expose-gc', ...extra, script, name];
  const child = pin
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (m) =>
    new Promise((resolve) => {
      const on = (r) => {
        if (r.mem) {
          child.off('message', on);
          resolve(r.mem);
        }
      };
      child.on('message', on);
      child.send(m);
    });
  const port = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
    child.on('message', (m) => m.port && resolve(m.port));
  });
  return { child, port, mem: () => ask('mem') };
}

/**
 * A client WebSocket frame of `text` (FIN, opcode text) masked with the key 0,0,0,0: a valid
 * mask (RFC 6455 requires one, any value) that leaves the payload as is, so one precomputed
 * frame is resent as is. Keeps the generator light enough to load a fast tracker.
 */
function frame(text) {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x81, 0x80 | n])
      : n < 65536
        ? Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255])
        : null;
  if (head === null) throw new Error('message too large for the generator');
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

const NEEDLE = Buffer.from('"interval"');
const OFFER_NEEDLE = Buffer.from('"offer":');

/** Occurrences of `needle` in `carry + chunk` (carry: the previous chunk's last bytes). */
function countIn(chunk, needle, conn) {
  let n = 0;
  if (conn.carry.length > 0) {
    const edge = Buffer.concat([conn.carry, chunk.subarray(0, needle.length - 1)]);
    if (edge.indexOf(needle) >= 0) n++;
  }
  for (let i = chunk.indexOf(needle); i >= 0; i = chunk.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * One connection on a raw TCP socket with hand-made WebSocket framing (the `ws` client's
 * per-message cost would make the generator the bottleneck): the upgrade, one announce, then
 * (when active) announce after each reply. Replies are counted by finding `"interval"` in the
 * received bytes (server frames are not masked); forwarded offers do not contain it.
 */
class Conn {
  constructor(port, infoHash, offers) {
    this.infoHash = infoHash;
    this.peerId = bin();
    this.replies = 0;
    this.offersIn = 0;
    this.open = false;
    this.closed = false;
    this.looping = false;
    this.carry = Buffer.alloc(0);
    this.upgraded = false;
    this.first = frame(
      JSON.stringify({
        action: 'announce',
        info_hash: infoHash,
        peer_id: this.peerId,
        event: 'started',
        left: Math.random() < 0.2 ? 0 : 1000,
        numwant: 0,
        uploaded: 0,
        downloaded: 0,
        offers: [],
      }),
    );
    const list = [];
    for (let i = 0; i < offers; i++) list.push({ offer: SDP, offer_id: bin() });
    this.loopMsg = frame(
      JSON.stringify({
        action: 'announce',
        info_hash: infoHash,
        peer_id: this.peerId,
        left: 1000,
        numwant: offers,
        uploaded: 0,
        downloaded: 0,
        offers: list,
      }),
    );
    const s = net.connect(port, '127.0.0.1');
    this.socket = s;
    s.setNoDelay(true);
    s.on('error', () => {});
    this.ready = new Promise((resolve) => {
      s.once('connect', () => {
        s.write(
          'GET /announce HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      s.on('data', (chunk) => {
        if (!this.upgraded) {
          const end = chunk.indexOf('\r\n\r\n');
          if (end < 0 || !chunk.subarray(0, 12).toString().includes(' 101')) {
            s.destroy();
            return;
          }
          this.upgraded = true;
          this.open = true;
          chunk = chunk.subarray(end + 4);
          s.write(this.first);
        }
        const r = countIn(chunk, NEEDLE, this);
        this.offersIn += countIn(chunk, OFFER_NEEDLE, this);
        this.carry = chunk.subarray(Math.max(0, chunk.length - NEEDLE.length + 1));
        if (r === 0) return;
        this.replies += r;
        if (this.replies === r) resolve(true);
        if (this.looping) s.write(this.loopMsg);
      });
      s.once('close', () => {
        this.closed = true;
        resolve(false);
      });
    });
  }
}

async function runTarget(name, o) {
  const t = startTarget(name, o.pin);
  const port = await t.port;
  await sleep(300);
  const mem0 = await t.mem();
  const hashes = Array.from({ length: o.swarms }, bin);
  const conns = [];
  const t0 = Date.now();
  for (let i = 0; i < o.connections; i += 250) {
    const batch = [];
    for (let j = i; j < Math.min(o.connections, i + 250); j++) {
      const c = new Conn(port, hashes[j % hashes.length], o.offers);
      conns.push(c);
      batch.push(c.ready);
    }
    await Promise.all(batch);
  }
  const connectSeconds = (Date.now() - t0) / 1000;
  await sleep(500);
  const mem1 = await t.mem();
  const held = conns.filter((c) => c.open && !c.closed && c.replies >= 1).length;

  // Throughput: `active` connections announce with offers back to back.
  const active = conns.filter((c) => !c.closed).slice(0, o.active);
  for (const c of active) {
    c.looping = true;
    c.socket.write(c.loopMsg);
  }
  await sleep(2000);
  const count = () => active.reduce((n, c) => n + c.replies, 0);
  const offersIn = () => conns.reduce((n, c) => n + c.offersIn, 0);
  const r0 = count();
  const f0 = offersIn();
  const cpu0 = cpuSeconds(t.child.pid);
  const s0 = Date.now();
  await sleep(o.duration * 1000);
  const secs = (Date.now() - s0) / 1000;
  const replies = (count() - r0) / secs;
  const forwarded = (offersIn() - f0) / secs;
  const cpu = (cpuSeconds(t.child.pid) - cpu0) / secs;
  for (const c of active) c.looping = false;
  const stillOpen = conns.filter((c) => !c.closed).length;
  const mem2 = await t.mem();
  for (const c of conns) c.socket.destroy();
  t.child.send('close');
  await new Promise((r) => {
    t.child.once('exit', r);
    setTimeout(() => {
      t.child.kill('SIGKILL');
      r();
    }, 5000);
  });
  return {
    target: name,
    connections: o.connections,
    held,
    stillOpenAfterLoad: stillOpen,
    connectSeconds: Number(connectSeconds.toFixed(1)),
    rssPerConnBytes: Math.round((mem1.rss - mem0.rss) / o.connections),
    heapPerConnBytes: Math.round((mem1.heapUsed - mem0.heapUsed) / o.connections),
    rssMiB: Math.round(mem1.rss / 2 ** 20),
    rssAfterLoadMiB: Math.round(mem2.rss / 2 ** 20),
    repliesPerSec: Math.round(replies),
    offersForwardedPerSec: Math.round(forwarded),
    trackerCpu: Number(cpu.toFixed(2)),
  };
}

const o = parse(process.argv.slice(2));
if (o.pin && spawnSync('taskset', ['-pc', '1', String(process.pid)]).status !== 0) {
  console.error('ws-load: taskset failed; running unpinned');
  o.pin = false;
}
console.error(
  `ws-load: ${o.connections} connections in ${o.swarms} swarms, ${o.active} active with ${o.offers} offers, ${o.duration} s`,
);
const results = [];
for (const name of o.targets) {
  console.error(`ws-load: ${name} ...`);
  const r = await runTarget(name, o);
  console.error(JSON.stringify(r));
  results.push(r);
}
console.table(results);
const shoal = results.find((r) => r.target.startsWith('shoal'));
const bt = results.find((r) => r.target === 'bittorrent-tracker');
if (shoal && bt && bt.repliesPerSec > 0) {
  console.log(
    `shoal/bittorrent-tracker: replies/s x${(shoal.repliesPerSec / bt.repliesPerSec).toFixed(1)}, ` +
      `RSS per connection x${(shoal.rssPerConnBytes / bt.rssPerConnBytes).toFixed(2)}`,
  );
}
