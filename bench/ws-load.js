#!/usr/bin/env node
// npm run bench:ws [-- options]: WebSocket (WebTorrent) load against Shoal and the
// bittorrent-tracker package's server, one after the other, same load:
//   1. N connections open and each announces once (no offers): memory per open connection
//      of the tracker process (RSS and heap delta / N, after GC), and how many stay open;
//   2. A of them announce back to back with K offers each (the tracker forwards the offers to
//      other connections): replies per second, and tracker CPU seconds per second.
// The tracker runs in its own process (bench/ws-target.js). The load comes from wsload
// (bench/wsload/wsload.c, C and epoll, compiled to build/wsload on first use), or with
// --generator js from this process (raw sockets, more CPU per message). With --pin the tracker
// runs on CPU 0 and the generator on CPU 1 (taskset). Run on an idle machine for figures.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { buildWsload } from './wsload/build.mjs';
import { buildWsfloor } from './wsfloor/build.mjs';
import { SDP } from './wsload/sdp.mjs';

const HELP = `usage: npm run bench:ws -- [options]
  --targets LIST     shoal, shoal-ws-port (dedicated port), bittorrent-tracker (bt),
                     floor (build/wsfloor: the cheapest server doing the same work, in C)
                                                        [shoal,bittorrent-tracker]
  --connections N    open connections held                          [10000]
  --swarms S         swarms they announce into                      [100]
  --active A         connections announcing back to back            [200]
  --offers K         offers per announce                            [5]
  --duration D       seconds measured (after 2 s of warm-up)        [10]
  --generator c|js   c: build/wsload (built from bench/wsload/wsload.c with cc when missing
                     or stale; falls back to js without cc); js: this process   [c]
  --spin             wsload polls without sleeping during the run, so the tracker does not
                     pay for waking it on loopback (see bench/README.md)
  --repeat R         rounds over all targets; the table shows each target's median round
                     (by replies/s) and the replies/s of every round             [1]
  --pin              tracker on CPU 0, generator on CPU 1 (taskset)`;

function parse(argv) {
  const o = {
    targets: ['shoal', 'bittorrent-tracker'],
    connections: 10000,
    swarms: 100,
    active: 200,
    offers: 5,
    duration: 10,
    repeat: 1,
    generator: 'c',
    spin: false,
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
    else if (a === '--repeat') o.repeat = Math.max(1, Math.floor(Number(v())) || 1);
    else if (a === '--generator') o.generator = v();
    else if (a === '--spin') o.spin = true;
    else if (a === '--pin') o.pin = true;
    else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  o.targets = o.targets.map((t) => (t === 'bt' ? 'bittorrent-tracker' : t));
  o.active = Math.min(o.active, o.connections);
  if (o.generator !== 'c' && o.generator !== 'js') throw new Error('--generator: c or js');
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

/**
 * The `floor` target: build/wsfloor (bench/wsfloor/wsfloor.c, built when stale), the cheapest
 * server doing the load's essential work, for a lower bound on the tracker's cost. Same shape
 * as a ws-target.js child: `mem` gives its VmRSS (heapUsed 0), `send('close')` is SIGTERM.
 */
function startFloor(pin) {
  const bin = buildWsfloor();
  if (bin === null) throw new Error('floor: cannot build build/wsfloor');
  const opts = { stdio: ['ignore', 'pipe', 'inherit'] };
  const child = pin
    ? spawn('taskset', ['-c', '0', bin, '--port', '0'], opts)
    : spawn(bin, ['--port', '0'], opts);
  child.send = (m) => m === 'close' && child.kill('SIGTERM');
  const mem = async () => {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return { rss: Number(m?.[1] ?? NaN) * 1024, heapUsed: 0 };
  };
  const port = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`floor exited (${code})`)));
    createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l).port));
  });
  return { child, port, mem };
}

function startTarget(name, pin) {
  if (name === 'floor') return startFloor(pin);
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

/**
 * The load from this process (`--generator js`): connects, measures the tracker's memory
 * (`mem1`), runs the announce loop and measures replies and tracker CPU over the same window.
 */
async function loadJs(port, t, o) {
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
  const own0 = process.cpuUsage();
  const s0 = Date.now();
  await sleep(o.duration * 1000);
  const secs = (Date.now() - s0) / 1000;
  const replies = (count() - r0) / secs;
  const forwarded = (offersIn() - f0) / secs;
  const cpu = (cpuSeconds(t.child.pid) - cpu0) / secs;
  const own = process.cpuUsage(own0);
  for (const c of active) c.looping = false;
  const stillOpen = conns.filter((c) => !c.closed).length;
  const mem2 = await t.mem();
  for (const c of conns) c.socket.destroy();
  return {
    held,
    connectSeconds,
    mem1,
    mem2,
    stillOpen,
    replies,
    forwarded,
    cpu,
    generatorCpu: (own.user + own.system) / 1e6 / secs,
    generatorBusy: null, // wsload only
    failures: null, // the JS generator does not look for them
  };
}

/**
 * The load from wsload (`--generator c`), same steps as loadJs: it reports the `connected`,
 * `measuring` and `done` phases on stdout (one JSON object a line) and waits for `go W D` and
 * `quit` on stdin.
 */
async function loadC(port, t, o) {
  const args = [
    ...['--port', port, '--connections', o.connections, '--swarms', o.swarms],
    ...['--active', o.active, '--offers', o.offers],
    ...(o.spin ? ['--spin'] : []),
  ].map(String);
  const opts = { stdio: ['pipe', 'pipe', 'inherit'] };
  const child = o.pin
    ? spawn('taskset', ['-c', '1', o.wsload, ...args], opts)
    : spawn(o.wsload, args, opts);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  const lines = [];
  let waiting = null;
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(JSON.parse(l));
    waiting?.();
  });
  child.stdin.on('error', () => {}); // wsload gone: reported by `next`
  /** The next stdout line, which must be `phase`. */
  const next = async (phase) => {
    while (lines.length === 0) {
      const code = await Promise.race([new Promise((r) => (waiting = r)), exited]);
      if (lines.length === 0 && code !== undefined) {
        throw new Error(`wsload exited (${code}) before the ${phase} phase`);
      }
    }
    const m = lines.shift();
    if (m.phase !== phase) throw new Error(`wsload: expected ${phase}, got ${JSON.stringify(m)}`);
    return m;
  };
  try {
    const c = await next('connected');
    await sleep(500);
    const mem1 = await t.mem();
    child.stdin.write(`go 2 ${o.duration}\n`);
    await next('measuring');
    const cpu0 = cpuSeconds(t.child.pid);
    const s0 = Date.now();
    const d = await next('done');
    const cpu = (cpuSeconds(t.child.pid) - cpu0) / ((Date.now() - s0) / 1000);
    const mem2 = await t.mem();
    return {
      held: c.held,
      connectSeconds: c.connectSeconds,
      mem1,
      mem2,
      stillOpen: d.stillOpen,
      replies: d.repliesPerSec,
      forwarded: d.offersPerSec,
      cpu,
      generatorCpu: d.generatorCpu,
      generatorBusy: d.generatorBusy,
      failures: c.failures + d.failures,
    };
  } finally {
    child.stdin.end('quit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

async function runTarget(name, o) {
  const t = startTarget(name, o.pin);
  const port = await t.port;
  await sleep(300);
  const mem0 = await t.mem();
  let r;
  try {
    r = o.generator === 'c' ? await loadC(port, t, o) : await loadJs(port, t, o);
  } finally {
    t.child.send('close');
    await new Promise((resolve) => {
      t.child.once('exit', resolve);
      setTimeout(() => {
        t.child.kill('SIGKILL');
        resolve();
      }, 5000);
    });
  }
  return {
    target: name,
    generator: o.generator,
    connections: o.connections,
    held: r.held,
    stillOpenAfterLoad: r.stillOpen,
    connectSeconds: Number(r.connectSeconds.toFixed(1)),
    rssPerConnBytes: Math.round((r.mem1.rss - mem0.rss) / o.connections),
    heapPerConnBytes: Math.round((r.mem1.heapUsed - mem0.heapUsed) / o.connections),
    rssMiB: Math.round(r.mem1.rss / 2 ** 20),
    rssAfterLoadMiB: Math.round(r.mem2.rss / 2 ** 20),
    repliesPerSec: Math.round(r.replies),
    offersForwardedPerSec: Math.round(r.forwarded),
    trackerCpu: Number(r.cpu.toFixed(2)),
    generatorCpu: Number(r.generatorCpu.toFixed(2)),
    generatorBusy: r.generatorBusy === null ? null : Number(r.generatorBusy.toFixed(2)),
    failures: r.failures,
  };
}

const o = parse(process.argv.slice(2));
if (o.pin && spawnSync('taskset', ['-pc', '1', String(process.pid)]).status !== 0) {
  console.error('ws-load: taskset failed; running unpinned');
  o.pin = false;
}
if (o.generator === 'c') {
  o.wsload = buildWsload();
  if (o.wsload === null) {
    console.error('ws-load: cannot build wsload; using the JS generator (--generator js)');
    o.generator = 'js';
  }
}
if (o.spin && o.generator !== 'c') {
  console.error('ws-load: --spin applies to wsload only');
  o.spin = false;
}
console.error(
  `ws-load: ${o.connections} connections in ${o.swarms} swarms, ${o.active} active with ${o.offers} offers, ${o.duration} s, ${o.generator} generator${o.spin ? ' (spinning)' : ''}`,
);
// Rounds alternate the targets (A B C, A B C, ...) so slow drifts of the machine hit them alike.
const rounds = new Map(o.targets.map((t) => [t, []]));
for (let round = 1; round <= o.repeat; round++) {
  for (const name of o.targets) {
    console.error(`ws-load: ${name} ...${o.repeat > 1 ? ` (round ${round}/${o.repeat})` : ''}`);
    const r = await runTarget(name, o);
    console.error(JSON.stringify(r));
    rounds.get(name).push(r);
  }
}
const results = o.targets.map((name) => {
  const runs = [...rounds.get(name)].sort((a, b) => a.repliesPerSec - b.repliesPerSec);
  const median = runs[Math.floor((runs.length - 1) / 2)];
  return o.repeat > 1
    ? {
        ...median,
        runs: rounds
          .get(name)
          .map((r) => r.repliesPerSec)
          .join(' / '),
      }
    : median;
});
console.table(results);
const shoal = results.find((r) => r.target.startsWith('shoal'));
const bt = results.find((r) => r.target === 'bittorrent-tracker');
if (shoal && bt && bt.repliesPerSec > 0) {
  console.log(
    `shoal/bittorrent-tracker: replies/s x${(shoal.repliesPerSec / bt.repliesPerSec).toFixed(1)}, ` +
      `RSS per connection x${(shoal.rssPerConnBytes / bt.rssPerConnBytes).toFixed(2)}`,
  );
}
