// Shared helpers for bench/run.js and bench/memory-per-peer.js: where things live, preparing the
// load-generation tools (wrk, opentracker, udpload, the bittorrent-tracker peer), the tracker
// definitions, free-port lookup, process inspection and a minimal BEP 15 UDP client.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export { sleep };

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, '..');
/** The Shoal CLI to benchmark (override with SHOAL_BENCH_CLI, e.g. another checkout's build). */
export const SHOAL_CLI = process.env.SHOAL_BENCH_CLI ?? path.join(ROOT, 'dist', 'cli', 'shoal.js');
/** Read-only source of the shared load generators (override with SHOAL_LOADGEN_SRC). */
export const LOADGEN_SRC = process.env.SHOAL_LOADGEN_SRC ?? '/work/shared/tools/loadgen';
/** Scratch dir: loadgen copy, udpload binary, bittorrent-tracker install, results. */
export const SCRATCH = process.env.SHOAL_BENCH_SCRATCH ?? '/tmp/shoal-bench';
export const LOADGEN = path.join(SCRATCH, 'loadgen');
export const UDPLOAD = path.join(LOADGEN, 'udpload');

export const TRACKERS = [
  'shoal',
  'opentracker',
  'bittorrent-tracker',
  'shoal-hooks',
  'shoal-redis',
  'shoal-redis-2w',
  'shoal-metrics',
  'shoal-nometrics',
];
/** Run when --only is not given; `shoal-hooks` is asked for by name. */
export const DEFAULT_TRACKERS = ['shoal', 'opentracker', 'bittorrent-tracker'];
export const DEFAULT_PORTS = {
  shoal: 27100,
  opentracker: 26969,
  'bittorrent-tracker': 26980,
  'shoal-hooks': 27200,
  'shoal-redis': 27300,
  'shoal-redis-2w': 27400,
  'shoal-metrics': 27500,
  'shoal-nometrics': 27600,
};

/** The Redis the `shoal-redis*` targets use (the machine's, 127.0.0.1:6379 by default). */
/** The one user's passkey in the private-mode benchmark (bench/private.js). */
export const BENCH_PASSKEY = 'b3nchb3nchb3nchb3nchb3nchb3nch00';

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Extra config of each Shoal target: `shoal-hooks` has every list hook configured and empty;
 * `shoal-redis` keeps its swarms in Redis (a fresh key prefix per run); `shoal-redis-2w` is the
 * same with two worker processes sharing the ports.
 */
export function shoalTargetYaml(tracker, label) {
  const redis =
    `storage:\n  peers:\n    driver: redis\n    options:\n` +
    `      url: ${BENCH_REDIS_URL}\n      prefix: 'bench-${label}-${Date.now()}:'\n`;
  switch (tracker) {
    case 'shoal-hooks':
      return EMPTY_HOOKS_YAML;
    case 'shoal-redis':
      return redis;
    case 'shoal-redis-2w':
      return `${redis}workers: 2\n`;
    // Metrics on (as an operator runs it) and off, both with the admin listener, so the two
    // differ only in the per-request counting (issue 7: within 5% of each other).
    case 'shoal-metrics':
      return `admin:\n  listen: 127.0.0.1:0\n  metrics: true\n`;
    case 'shoal-nometrics':
      return `admin:\n  listen: 127.0.0.1:0\n  metrics: false\n`;
    default:
      return '';
  }
}

/**
 * `shoal-hooks`: Shoal with every built-in list hook configured and empty, to show what the
 * hook chain costs an announce that every list lets through.
 */
export const EMPTY_HOOKS_YAML =
  `hooks:\n` +
  `  - { type: ip-list, mode: deny, entries: [] }\n` +
  `  - { type: client-list, mode: deny, entries: [] }\n` +
  `  - { type: infohash-list, mode: deny, entries: [] }\n`;

export function log(msg) {
  console.error(`[${new Date().toTimeString().slice(0, 8)}] ${msg}`);
}

export function die(msg) {
  console.error(`error: ${msg}`);
  process.exit(1);
}

/** POSIX shell quoting for START_CMD strings. */
export function sq(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${sq(cmd)}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) die(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  return r;
}

/** Parse "--name value" / "--name=value" / "--flag" options; returns { opts, rest }. */
export function parseArgs(argv, spec) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith('--')) die(`unexpected argument '${a}' (see --help)`);
    let val;
    const eq = a.indexOf('=');
    if (eq >= 0) {
      val = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const name = a.slice(2);
    const kind = spec[name];
    if (!kind) die(`unknown option --${name} (see --help)`);
    if (kind === 'flag') {
      opts[name] = true;
      continue;
    }
    if (val === undefined) {
      val = argv[++i];
      if (val === undefined) die(`--${name} needs a value`);
    }
    if (kind === 'int') {
      const n = Number(val);
      if (!Number.isInteger(n) || n < 0) die(`--${name}: '${val}' is not a non-negative integer`);
      opts[name] = n;
    } else opts[name] = val;
  }
  return opts;
}

export function parseOnly(s) {
  const list = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => (x === 'bt' ? 'bittorrent-tracker' : x === 'ot' ? 'opentracker' : x));
  for (const t of list) if (!TRACKERS.includes(t)) die(`--only: unknown tracker '${t}'`);
  return TRACKERS.filter((t) => list.includes(t));
}

/**
 * Make sure the tools the selected trackers need exist: wrk and curl (bench.sh), opentracker
 * (apt), a scratch copy of loadgen with udpload built, and bittorrent-tracker (npm ci).
 */
export function prepareTools(trackers, { needWrk = true } = {}) {
  const pkgs = [];
  if (needWrk && !have('wrk')) pkgs.push('wrk');
  if (needWrk && !have('curl')) pkgs.push('curl');
  if (trackers.includes('opentracker') && !fs.existsSync('/usr/bin/opentracker'))
    pkgs.push('opentracker');
  if (!have('cc')) pkgs.push('gcc');
  for (const c of ['taskset', 'ss']) if (!have(c)) die(`${c} is missing (util-linux / iproute2)`);
  if (needWrk && !fs.existsSync('/usr/bin/time')) pkgs.push('time');
  if (pkgs.length) {
    if (process.getuid?.() !== 0)
      die(`missing ${pkgs.join(', ')}: run 'sudo apt-get install -y ${pkgs.join(' ')}'`);
    log(`installing ${pkgs.join(' ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', ...pkgs], { env });
  }

  // Scratch copy of loadgen (the source is read-only); keep udpload and peers/node_modules.
  if (!fs.existsSync(path.join(LOADGEN_SRC, 'bench.sh')))
    die(`no loadgen at ${LOADGEN_SRC} (set SHOAL_LOADGEN_SRC)`);
  fs.mkdirSync(LOADGEN, { recursive: true });
  copyTree(LOADGEN_SRC, LOADGEN);
  const src = path.join(LOADGEN, 'udpload.c');
  if (!fs.existsSync(UDPLOAD) || fs.statSync(src).mtimeMs > fs.statSync(UDPLOAD).mtimeMs) {
    log(`building ${UDPLOAD}`);
    run('cc', ['-O2', '-o', UDPLOAD, src]);
  }

  if (trackers.includes('bittorrent-tracker')) {
    const peers = path.join(LOADGEN, 'peers');
    const lock = fs.readFileSync(path.join(peers, 'package-lock.json'));
    const stamp = path.join(peers, 'node_modules', '.shoal-bench-lock.sha1');
    const sum = createHash('sha1').update(lock).digest('hex');
    if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== sum) {
      log('installing bittorrent-tracker (npm ci --ignore-scripts)');
      run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: peers });
      fs.writeFileSync(stamp, sum);
    }
  }
  if (trackers.includes('shoal') && !fs.existsSync(SHOAL_CLI))
    die(`${path.relative(process.cwd(), SHOAL_CLI) || SHOAL_CLI} is missing: run 'npm run build'`);
}

/** Copy files whose content differs; make them writable (the source tree is read-only). */
function copyTree(from, to) {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'udpload') continue;
    const s = path.join(from, e.name);
    const d = path.join(to, e.name);
    if (e.isDirectory()) {
      fs.mkdirSync(d, { recursive: true });
      copyTree(s, d);
    } else if (e.isFile()) {
      const data = fs.readFileSync(s);
      if (!fs.existsSync(d) || !data.equals(fs.readFileSync(d))) {
        if (fs.existsSync(d)) fs.chmodSync(d, 0o644);
        fs.writeFileSync(d, data);
      }
      fs.chmodSync(d, fs.statSync(s).mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/** True when nothing listens on 127.0.0.1/0.0.0.0 TCP or UDP port p. */
export function portFree(p) {
  const r = spawnSync('ss', ['-Hltun', `sport = :${p}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === '';
}

/** First port >= start (step 1) that is free over both TCP and UDP and not in `taken`. */
export function freePort(start, taken = new Set()) {
  for (let p = start; p < start + 200; p++) if (!taken.has(p) && portFree(p)) return p;
  die(`no free port in ${start}..${start + 199}`);
}

/** YAML config for Shoal. `extra` is appended verbatim (YAML lines). */
export function writeShoalConfig(file, port, extra = '') {
  const yaml =
    `# generated by bench/ for a benchmark run\n` +
    `listen:\n` +
    `  http: ['127.0.0.1:${port}']\n` +
    `  udp: ['127.0.0.1:${port}']\n` +
    `log: { level: warn }\n` +
    `shutdown: { graceSeconds: 1 }\n` +
    extra;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, yaml);
  return file;
}

/**
 * The foreground shell command that starts a tracker on 127.0.0.1:port (TCP and UDP).
 * opentracker's wrapper reads the whitelist from $LG_HASHFILE.
 */
export function startCommand(tracker, port, { shoalConfig } = {}) {
  switch (tracker) {
    case 'shoal':
    case 'shoal-hooks':
    case 'shoal-redis':
    case 'shoal-redis-2w':
    case 'shoal-metrics':
    case 'shoal-nometrics':
      return `${sq(process.execPath)} ${sq(SHOAL_CLI)} --config ${sq(shoalConfig)}`;
    case 'opentracker':
      return `${sq(path.join(LOADGEN, 'peers', 'opentracker.sh'))} ${port} ${port}`;
    case 'bittorrent-tracker':
      return `${sq(process.execPath)} ${sq(path.join(LOADGEN, 'peers', 'bittorrent-tracker-server.js'))} ${port} ${port}`;
    default:
      throw new Error(`unknown tracker ${tracker}`);
  }
}

/** Busy CPU fraction of the whole machine over `ms` (to warn when it is not quiet). */
export async function machineBusy(ms = 1000) {
  const read = () => {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const idle = f[4] + f[5];
    const total = f.slice(1, 9).reduce((a, b) => a + b, 0);
    return { idle, total };
  };
  const a = read();
  await sleep(ms);
  const b = read();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
}

export function procStatus(pid) {
  const out = {};
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(\w+):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]] = Number(m[2]) * 1024;
    }
  } catch {
    return null;
  }
  return out;
}

function parentOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

export function isDescendant(pid, ancestor) {
  for (let p = pid; p > 1; p = parentOf(p)) if (p === ancestor) return true;
  return false;
}

/** PID that owns the UDP socket on 127.0.0.1:port, or 0. */
export function udpOwner(port) {
  const r = spawnSync('ss', ['-Hlunp', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : 0;
}

/** Spawn a long-running child with stdout/stderr into a log file. */
export function spawnLogged(cmd, args, logFile, opts = {}) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], ...opts });
  fs.closeSync(fd);
  return child;
}

// --- minimal BEP 15 client ---------------------------------------------------------------------

const PROTOCOL_ID = 0x41727101980n;

/** A UDP tracker client on loopback: connect once, then announce/scrape with retries. */
export class UdpTrackerClient {
  constructor(port, host = '127.0.0.1') {
    this.port = port;
    this.host = host;
    this.sock = dgram.createSocket('udp4');
    this.pending = new Map();
    this.tid = (Math.random() * 0xffffffff) >>> 0;
    this.connId = null;
    this.sock.on('message', (msg) => {
      if (msg.length < 8) return;
      const p = this.pending.get(msg.readUInt32BE(4));
      if (p) {
        this.pending.delete(msg.readUInt32BE(4));
        p(msg);
      }
    });
  }

  close() {
    this.sock.close();
  }

  async request(build, { timeoutMs = 1000, tries = 5 } = {}) {
    for (let i = 0; i < tries; i++) {
      const tid = (this.tid = (this.tid + 1) >>> 0);
      const buf = build(tid);
      const reply = new Promise((resolve) => {
        this.pending.set(tid, resolve);
        sleep(timeoutMs).then(() => {
          if (this.pending.delete(tid)) resolve(null);
        });
      });
      this.sock.send(buf, this.port, this.host);
      const msg = await reply;
      if (!msg) continue;
      const action = msg.readUInt32BE(0);
      if (action === 3) throw new Error(`tracker error: ${msg.subarray(8).toString()}`);
      return msg;
    }
    throw new Error(`no reply from udp://${this.host}:${this.port} after ${tries} tries`);
  }

  async connect() {
    const msg = await this.request((tid) => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64BE(PROTOCOL_ID, 0);
      b.writeUInt32BE(0, 8);
      b.writeUInt32BE(tid, 12);
      return b;
    });
    if (msg.length < 16 || msg.readUInt32BE(0) !== 0) throw new Error('bad connect reply');
    this.connId = msg.readBigUInt64BE(8);
    this.connTime = Date.now();
  }

  async ensureConnected() {
    if (this.connId === null || Date.now() - this.connTime > 50_000) await this.connect();
  }

  /** Scrape up to 74 hashes (20-byte Buffers); returns [{ seeders, completed, leechers }]. */
  async scrape(hashes) {
    await this.ensureConnected();
    const msg = await this.request((tid) => {
      const b = Buffer.alloc(16 + 20 * hashes.length);
      b.writeBigUInt64BE(this.connId, 0);
      b.writeUInt32BE(2, 8);
      b.writeUInt32BE(tid, 12);
      hashes.forEach((h, i) => h.copy(b, 16 + 20 * i));
      return b;
    });
    if (msg.readUInt32BE(0) !== 2 || msg.length !== 8 + 12 * hashes.length)
      throw new Error(`bad scrape reply: action ${msg.readUInt32BE(0)}, ${msg.length} bytes`);
    return hashes.map((_, i) => ({
      seeders: msg.readUInt32BE(8 + 12 * i),
      completed: msg.readUInt32BE(12 + 12 * i),
      leechers: msg.readUInt32BE(16 + 12 * i),
    }));
  }

  /** One announce (event 2 = started); returns the number of peers in the reply. */
  async announce(infoHash, peerId, peerPort, { event = 2, left = 1n } = {}) {
    await this.ensureConnected();
    const msg = await this.request((tid) => {
      const b = Buffer.alloc(98);
      b.writeBigUInt64BE(this.connId, 0);
      b.writeUInt32BE(1, 8);
      b.writeUInt32BE(tid, 12);
      infoHash.copy(b, 16);
      Buffer.from(peerId).copy(b, 36);
      b.writeBigUInt64BE(left, 64);
      b.writeUInt32BE(event, 80);
      b.writeUInt32BE(1, 88);
      b.writeInt32BE(50, 92);
      b.writeUInt16BE(peerPort, 96);
      return b;
    });
    if (msg.readUInt32BE(0) !== 1 || msg.length < 20 || (msg.length - 20) % 6 !== 0)
      throw new Error(`bad announce reply: action ${msg.readUInt32BE(0)}, ${msg.length} bytes`);
    return (msg.length - 20) / 6;
  }
}

/** The infohash pool exactly as udpload and bench.sh use it (`udpload -D -n N`). */
export function hashPool(n, file) {
  const r = spawnSync(UDPLOAD, ['-D', '-n', String(n)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) die(`udpload -D failed: ${r.stderr}`);
  if (file) fs.writeFileSync(file, r.stdout);
  return r.stdout
    .trim()
    .split('\n')
    .map((h) => Buffer.from(h, 'hex'));
}

export function timestamp() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Plain-text table with right-aligned numeric columns. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const w = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const num = header.map((_, i) => rows.every((r) => /^[-\d.,x×%/* ]*$/.test(String(r[i] ?? ''))));
  const fmt = (r) =>
    r
      .map((c, i) => (num[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [fmt(all[0]), w.map((n) => '-'.repeat(n)).join('  '), ...all.slice(1).map(fmt)].join('\n');
}
