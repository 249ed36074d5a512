#!/usr/bin/env node
// node bench/memory-per-peer.js [options]: bytes of resident memory per stored peer, at about
// 1 million peers (10 000 infohashes x ~100 peers), for Shoal and opentracker. See bench/README.md.
//
// For each tracker: start it pinned to CPU 0, record RSS, announce PEERS distinct peers over UDP
// with udpload (pinned to CPU 1; its events are started/completed/none, never stopped, so every
// announce adds or refreshes a peer), wait for the tracker to settle, record RSS again, count the
// stored peers with UDP scrapes of every infohash (sum of seeders + leechers), stop the tracker,
// and print (RSS_after - RSS_before) / stored peers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_PORTS,
  SCRATCH,
  UDPLOAD,
  UdpTrackerClient,
  die,
  freePort,
  hashPool,
  isDescendant,
  log,
  machineBusy,
  parseArgs,
  parseOnly,
  prepareTools,
  procStatus,
  sleep,
  spawnLogged,
  startCommand,
  table,
  timestamp,
  udpOwner,
  writeShoalConfig,
} from './lib.js';

const HELP = `usage: node bench/memory-per-peer.js [options]      (npm run bench:memory -- [options])

  --only LIST     trackers, comma-separated: shoal,opentracker[,bittorrent-tracker]
                                                              [shoal,opentracker]
  --peers N       announces to send = peers to store          [1000000]
  --hashes N      distinct infohashes (swarms)                [10000]
  --settle S      seconds to wait after the load before reading RSS (lets V8 collect garbage) [10]
  --out DIR       where logs go                               [${SCRATCH}/memory/<date>]
  --help`;

const opts = parseArgs(process.argv.slice(2), {
  only: 'str',
  peers: 'int',
  hashes: 'int',
  settle: 'int',
  out: 'str',
  help: 'flag',
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const trackers = parseOnly(opts.only ?? 'shoal,opentracker');
const nPeers = opts.peers ?? 1_000_000;
const nHashes = opts.hashes ?? 10_000;
const settle = opts.settle ?? 10;
if (nPeers < 1 || nHashes < 1) die('--peers and --hashes must be >= 1');
const TRACKER_CPU = process.env.BENCH_TRACKER_CPU ?? '0';
const GEN_CPU = process.env.BENCH_GEN_CPU ?? '1';
const MB = 2 ** 20;

prepareTools(trackers, { needWrk: false });
const outDir = path.resolve(opts.out ?? path.join(SCRATCH, 'memory', timestamp()));
fs.mkdirSync(outDir, { recursive: true });

const busy = await machineBusy(1000);
if (busy > 0.1)
  log(`warning: the machine is already ${(busy * 100).toFixed(0)} % busy before the run`);

// --- what udpload will send: replay its deterministic request stream -----------------------------
// udpload.c draws, per announce: peer = rnd(M), r = rnd(100) (event), [rnd(4) [rnd(2^30)]] (left),
// hash = rnd(N), [rnd(2^30)] (downloaded, not for 'started'), rnd(2^30) (uploaded); rnd(n) is
// (splitmix64(&rng) >> 32) % n with rng = 0x9E3779B97F4A7C15 (no -R). Replaying the first K
// announces gives the exact number of distinct (infohash, peer_id) and (infohash, ip:port) pairs
// the tracker was sent (all from 127.0.0.1; port = 1024 + peer % 64000).
function expectedDistinct(count) {
  const G = 0x9e3779b97f4a7c15n;
  const C1 = 0xbf58476d1ce4e5b9n;
  const C2 = 0x94d049bb133111ebn;
  const M64 = (1n << 64n) - 1n;
  let rng = G;
  const rnd = (n) => {
    rng = (rng + G) & M64;
    let z = rng;
    z = ((z ^ (z >> 30n)) * C1) & M64;
    z = ((z ^ (z >> 27n)) * C2) & M64;
    z ^= z >> 31n;
    return Number(z >> 32n) % n;
  };
  const byId = new Set();
  const byAddr = new Set();
  for (let i = 0; i < count; i++) {
    const peer = rnd(nPeers);
    const r = rnd(100);
    const event = r < 10 ? 2 : r < 15 ? 1 : 0;
    if (event !== 1 && rnd(4) !== 0) rnd(1 << 30);
    const hash = rnd(nHashes);
    if (event !== 2) rnd(1 << 30);
    rnd(1 << 30);
    byId.add(hash * nPeers + peer);
    byAddr.add(hash * 65536 + 1024 + (peer % 64000));
  }
  return { byId: byId.size, byAddr: byAddr.size };
}

// --- one tracker -------------------------------------------------------------------------------
function kvGet(key, text) {
  const m = new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(text);
  return m ? Number(m[1]) : NaN;
}

async function measure(tracker) {
  const dir = path.join(outDir, tracker);
  fs.mkdirSync(dir, { recursive: true });
  const port = freePort(DEFAULT_PORTS[tracker] + 50);
  const hashFile = path.join(dir, 'hashes.txt');
  const hashes = hashPool(nHashes, hashFile);
  const shoalConfig =
    tracker === 'shoal'
      ? writeShoalConfig(path.join(dir, 'shoal.yaml'), port, 'announce: { peerLifetime: 3600 }\n')
      : undefined;
  const cmd = startCommand(tracker, port, { shoalConfig });
  log(`${tracker}: starting on CPU ${TRACKER_CPU}, port ${port}: ${cmd}`);
  const launch = spawnLogged(
    'taskset',
    ['-c', TRACKER_CPU, 'timeout', '-k', '5', '1200', 'bash', '-c', `exec ${cmd}`],
    path.join(dir, 'tracker.log'),
    { env: { ...process.env, LG_HASHFILE: hashFile } },
  );
  let exited = false;
  launch.on('exit', () => (exited = true));
  let pid = 0;
  const stop = async () => {
    for (const p of [pid, launch.pid]) if (p && !exited) safeKill(p, 'SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    for (const p of [pid, launch.pid]) if (p && !exited) safeKill(p, 'SIGKILL');
  };
  const onSignal = () => {
    void stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // Ready: the UDP socket exists, belongs to what we started, and answers a scrape.
    for (let i = 0; i < 300 && !pid; i++) {
      if (exited) throw new Error(`tracker exited: ${tail(path.join(dir, 'tracker.log'))}`);
      const owner = udpOwner(port);
      if (owner && isDescendant(owner, launch.pid)) pid = owner;
      else await sleep(100);
    }
    if (!pid) throw new Error('tracker did not listen within 30 s');
    const client = new UdpTrackerClient(port);
    try {
      await client.scrape(hashes.slice(0, 1));
    } catch (e) {
      throw new Error(`UDP scrape probe failed: ${e.message}`);
    }
    await sleep(1000);
    const before = procStatus(pid);
    log(`${tracker}: pid ${pid}, RSS after start ${(before.VmRSS / MB).toFixed(1)} MB`);

    // Load: udpload pinned to the other core, stops after nPeers announce replies.
    log(
      `${tracker}: sending ${nPeers.toLocaleString('en-US')} announces over ${nHashes} infohashes`,
    );
    const t0 = Date.now();
    const args = ['-c', GEN_CPU, UDPLOAD, '-H', '127.0.0.1', '-p', String(port)];
    args.push('-n', String(nHashes), '-m', String(nPeers), '-c', String(nPeers), '-d', '600');
    const gen = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let genOut = '';
    gen.stdout.on('data', (d) => (genOut += d));
    gen.stderr.on('data', (d) => (genOut += d));
    const genCode = await new Promise((res) => gen.on('close', res));
    fs.writeFileSync(path.join(dir, 'udpload.log'), genOut);
    const secs = (Date.now() - t0) / 1000;
    if (exited) throw new Error(`tracker died under load: ${tail(path.join(dir, 'tracker.log'))}`);
    if (genCode !== 0) throw new Error(`udpload failed (exit ${genCode}): ${genOut.trim()}`);
    const res = genOut.split('\n').find((l) => l.startsWith('RESULT')) ?? '';
    const sent = Number(/sent (\d+)/.exec(genOut)?.[1]);
    const conns = Number(/connect (\d+)/.exec(genOut)?.[1]);
    const announcesSent = sent - conns;
    log(
      `${tracker}: ${kvGet('announces', res)} announce replies in ${secs.toFixed(1)} s ` +
        `(${kvGet('rps', res)} req/s), errors ${kvGet('errors', res)}, timeouts ${kvGet('timeouts', res)}`,
    );

    // Settle, then RSS (sampled every second; the last sample counts).
    const samples = [];
    for (let i = 0; i < settle; i++) {
      await sleep(1000);
      samples.push(procStatus(pid).VmRSS);
    }
    const after = procStatus(pid);
    if (!samples.length) samples.push(after.VmRSS);
    log(
      `${tracker}: RSS while settling (MB): ${samples.map((s) => (s / MB).toFixed(1)).join(' ')}`,
    );

    // Count stored peers: UDP scrape of every infohash, 74 per request (BEP 15 maximum).
    let seeders = 0;
    let leechers = 0;
    let minSwarm = Infinity;
    let maxSwarm = 0;
    for (let i = 0; i < hashes.length; i += 74) {
      const st = await client.scrape(hashes.slice(i, i + 74));
      for (const s of st) {
        seeders += s.seeders;
        leechers += s.leechers;
        minSwarm = Math.min(minSwarm, s.seeders + s.leechers);
        maxSwarm = Math.max(maxSwarm, s.seeders + s.leechers);
      }
    }
    client.close();
    const stored = seeders + leechers;
    log(
      `${tracker}: scrape: ${stored.toLocaleString('en-US')} peers stored (${seeders} seeders + ${leechers} leechers), ` +
        `${minSwarm}..${maxSwarm} per swarm`,
    );
    return {
      tracker,
      port,
      announceReplies: kvGet('announces', res),
      announcesSent,
      rps: kvGet('rps', res),
      errors: kvGet('errors', res),
      timeouts: kvGet('timeouts', res),
      rssBefore: before.VmRSS,
      rssAfter: samples.at(-1),
      hwm: after.VmHWM,
      samples,
      stored,
      seeders,
      leechers,
      minSwarm,
      maxSwarm,
    };
  } finally {
    await stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function safeKill(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function tail(file, n = 5) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
  } catch {
    return '';
  }
}

const results = [];
let failed = 0;
for (const t of trackers) {
  try {
    results.push(await measure(t));
  } catch (e) {
    failed++;
    log(`${t}: FAILED: ${e.message}`);
  }
}

// --- report ----------------------------------------------------------------------------------
// Expected distinct peers for each tracker's own stream prefix (~2 s per million announces).
const expCache = new Map();
for (const r of results) {
  if (!(r.announcesSent > 0)) continue;
  if (!expCache.has(r.announcesSent))
    expCache.set(r.announcesSent, expectedDistinct(r.announcesSent));
  r.expected = expCache.get(r.announcesSent);
}
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
const rows = results.map((r) => {
  const delta = r.rssAfter - r.rssBefore;
  return [
    r.tracker,
    int(r.announceReplies),
    int(r.rps),
    int(r.stored),
    r.expected ? `${int(r.expected.byId)} / ${int(r.expected.byAddr)}` : '-',
    (r.rssBefore / MB).toFixed(1),
    (r.rssAfter / MB).toFixed(1),
    (r.hwm / MB).toFixed(1),
    r.stored > 0 ? (delta / r.stored).toFixed(1) : '-',
  ];
});
const lines = [
  `Memory per stored peer: ${int(nPeers)} announces over ${int(nHashes)} infohashes (udpload, ` +
    `${int(nPeers)} distinct peer_ids), tracker on CPU ${TRACKER_CPU}, settle ${settle} s`,
  '',
  table(
    [
      'tracker',
      'announces',
      'req/s',
      'stored peers',
      'sent: by peer_id / by ip:port',
      'RSS before MB',
      'RSS after MB',
      'peak RSS MB',
      'bytes/peer',
    ],
    rows,
  ),
  '',
  'bytes/peer = (RSS after - RSS before) / stored peers; stored peers = sum of seeders + leechers',
  'over a UDP scrape of every infohash.',
];
lines.push(
  'sent = distinct peers in the announces udpload sent (replayed from its deterministic stream, an',
  'upper bound by up to ~64 in-flight requests): a tracker that keys peers by peer_id should store',
  'about the first figure, one that keys them by ip:port (opentracker) about the second.',
);
const shoal = results.find((r) => r.tracker === 'shoal');
const ot = results.find((r) => r.tracker === 'opentracker');
if (shoal && ot && shoal.stored && ot.stored) {
  const a = (shoal.rssAfter - shoal.rssBefore) / shoal.stored;
  const b = (ot.rssAfter - ot.rssBefore) / ot.stored;
  lines.push('', `Shoal/opentracker bytes per peer: ${(a / b).toFixed(2)}x`);
}
lines.push('', `logs: ${outDir}`);
const report = lines.join('\n');
fs.writeFileSync(path.join(outDir, 'memory.txt'), report + '\n');
fs.writeFileSync(
  path.join(outDir, 'memory.json'),
  JSON.stringify({ nPeers, nHashes, settle, results }, null, 2) + '\n',
);
console.log('\n' + report);
process.exit(failed ? 1 : 0);
