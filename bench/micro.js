// Micro-benchmarks of the hot functions, in-process: ns per call. Not a test; run on a quiet
// machine and compare before/after a change:  npm run build && node bench/micro.js
import { AnnounceRequest, AnnounceResponse } from '../dist/bittorrent/announce.js';
import { writeAnnounce } from '../dist/bittorrent/response-writer.js';
import { parseAnnounceQuery } from '../dist/frontend/http/query.js';
import { ConnectionIds } from '../dist/frontend/udp/connection-id.js';
import { MemoryPeerStore } from '../dist/store/memory/memory-peer-store.js';
import { MemoryIPStore } from '../dist/store/memory/memory-ip-store.js';
import { MemoryStringStore } from '../dist/store/memory/memory-string-store.js';
import { ClientListHook } from '../dist/middleware/hooks/client-list-hook.js';
import { InfoHashListHook } from '../dist/middleware/hooks/infohash-list-hook.js';
import { IPListHook } from '../dist/middleware/hooks/ip-list-hook.js';
import { createPrivtrak } from '../dist/middleware/privtrak/privtrak-hook.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestMetrics } from '../dist/metrics/request-metrics.js';
import { performance } from 'node:perf_hooks';

// `node bench/micro.js hooks` runs only the list hooks; `node bench/micro.js privtrak` only the
// accounting hook.
const only = process.argv[2];

function bench(name, iterations, fn) {
  if (only !== undefined && !name.toLowerCase().includes(only)) return;
  for (let i = 0; i < Math.min(iterations, 20000); i++) fn(i); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name.padEnd(40)} ${ns.toFixed(0).padStart(7)} ns/op`);
}

const hashes = [];
for (let h = 0; h < 1000; h++) {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(Math.imul(h, 2654435761) >>> 0, 0);
  hashes.push(b);
}

// HTTP query parsing
const query = Buffer.from(
  'info_hash=%12%34%56%78%9a%bc%de%f0%12%34%56%78%9a%bc%de%f0%12%34%56%78' +
    '&peer_id=-LG0001-000000001234&port=6881&uploaded=0&downloaded=0&left=1000&key=abcd' +
    '&compact=1&numwant=50&event=started',
);
const qopts = { trustIpParam: false };
bench('parseAnnounceQuery', 500000, () => {
  const r = new AnnounceRequest();
  r.clientIp = Buffer.from([127, 0, 0, 1]);
  parseAnnounceQuery(query, 0, query.length, r, qopts);
});

// Memory store announce into 1000 swarms of ~60 peers, 50 peers returned
const store = new MemoryPeerStore({ peerLifetime: 3600, maxNumWant: 200, sweepInterval: 0 });
const res = new AnnounceResponse();
function req(i) {
  const r = new AnnounceRequest();
  const h = hashes[i % 1000];
  r.infoHash = h;
  r.infoHashKey = h.toString('latin1');
  const p = Buffer.allocUnsafe(6);
  p.writeUInt32BE(0x0a000000 + (i % 60000), 0);
  p.writeUInt16BE(6881, 4);
  r.peer = p;
  r.left = i % 3 === 0 ? 0 : 100;
  return r;
}
for (let i = 0; i < 60000; i++) store.announce(req(i), 50, res);
bench('MemoryPeerStore.announce (50 peers)', 500000, (i) => store.announce(req(i), 50, res));

// Reply encoding
const out = Buffer.alloc(4096);
const ip = Buffer.from([127, 0, 0, 1]);
res.interval = 1800;
bench('writeAnnounce (compact)', 1000000, () => writeAnnounce(res, true, ip, out, 0));

// UDP connection-ID check
const ids = new ConnectionIds(Buffer.alloc(16, 7));
const id = Buffer.alloc(8);
ids.issue(ip, 4, id, 0);
bench('ConnectionIds.verify', 1000000, () => ids.verify(ip, 4, id, 0));

// List hooks: what an announce pays for each built-in list that lets it through (deny lists
// with one entry that does not match).
const hreq = new AnnounceRequest();
hreq.infoHash = Buffer.alloc(20, 7);
hreq.infoHashKey = hreq.infoHash.toString('latin1');
hreq.peerId = Buffer.from('-qB4250-abcdefghijkl');
hreq.peer = Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]);
hreq.clientIp = hreq.peer.subarray(0, 4);
const ihHook = new InfoHashListHook('ih', 'deny', new MemoryStringStore());
await ihHook.add('ab'.repeat(20));
const clHook = new ClientListHook('cl', 'deny', new MemoryStringStore());
await clHook.add('-XX');
const ipHook = new IPListHook('ip', 'deny', new MemoryIPStore());
await ipHook.add('192.168.0.0/16');
bench('hooks: infohash-list (deny, miss)', 2000000, () => ihHook.preAnnounce(hreq));
bench('hooks: client-list (deny, miss)', 2000000, () => clHook.preAnnounce(hreq));
bench('hooks: ip-list (deny, miss)', 2000000, () => ipHook.preAnnounce(hreq));

// privtrak: what the accounting pre-hook costs per announce, 1000 users × 1000 torrents, 10 000
// distinct peers (counters) announcing in turn; the handler accepts every batch. "spool" adds
// the synchronous append to the spool file (page cache, no fsync) that happens before the reply.
if (only === undefined || 'privtrak'.includes(only) || only.includes('privtrak')) {
  const torrents = new Map();
  const ptReqs = [];
  for (let h = 0; h < 1000; h++) {
    torrents.set(hashes[h].toString('latin1'), {
      id: h,
      infoHash: hashes[h],
      infoHashV2: null,
      downloadFactor: 1,
      uploadFactor: 1,
      seeders: 0,
      leechers: 0,
      snatches: 0,
    });
  }
  for (let i = 0; i < 10000; i++) {
    const r = new AnnounceRequest();
    r.passkey = `passkey-${i % 1000}`;
    r.infoHash = hashes[(i * 7) % 1000];
    r.infoHashKey = r.infoHash.toString('latin1');
    r.peerId = Buffer.from(`-qB4650-${String(i).padStart(12, '0')}`);
    r.left = i % 3 === 0 ? 0 : 1000;
    ptReqs.push(r);
  }
  const lookup = { torrentByInfoHash: (k) => torrents.get(k) };
  const handler = { recordAnnounce: () => Promise.resolve() };
  const dir = mkdtempSync(join(tmpdir(), 'shoal-micro-'));
  const common = { handler, torrents: lookup, timers: false, maxPending: 1e6, maxBatch: 1e5 };
  const plain = createPrivtrak(common);
  const spooled = createPrivtrak({ ...common, spool: join(dir, 'spool.jsonl') });
  const announceWith = (hook) => (i) => {
    const r = ptReqs[i % 10000];
    r.uploaded += 1000;
    r.downloaded += 500;
    hook.preAnnounce(r);
  };
  bench('privtrak: preAnnounce (no spool)', 300000, announceWith(plain));
  bench('privtrak: preAnnounce (spool)', 100000, announceWith(spooled));
  await plain.close();
  await spooled.close();
  rmSync(dir, { recursive: true, force: true });
}

// Request metrics: what one request pays with metrics on (`node bench/micro.js metrics`):
// RequestMetrics.start() (a clock read for one request in timingSample) and record() (the
// counter, and for timed requests the end clock read and bucket search).
const metrics = new RequestMetrics(64);
const timedAll = new RequestMetrics(1);
bench('metrics: performance.now()', 5000000, () => performance.now());
bench('metrics: start + record (1 in 64 timed)', 5000000, (i) =>
  metrics.record(i & 1, 0, (i & 2) === 0 ? 4 : 6, 0, metrics.start()),
);
bench('metrics: start + record (all timed)', 5000000, (i) =>
  timedAll.record(i & 1, 0, (i & 2) === 0 ? 4 : 6, 0, timedAll.start()),
);
