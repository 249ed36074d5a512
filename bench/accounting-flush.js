#!/usr/bin/env node
// npm run bench:flush [-- options]: how fast the postgres backend takes privtrak's batches —
// deltas per second into PostgreSQL through recordAnnounce(batch, batchId), one batch in flight
// at a time (as privtrak sends them), and the latency of each batch. See bench/README.md.
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { migrateSchema } from '../dist/backend/postgres/migrate.js';
import { openBackend } from '../dist/backend/registry.js';
import { createLogger } from '../dist/log/logger.js';
import { die, parseArgs } from './lib.js';

const HELP = `usage: npm run bench:flush -- [options]

Creates a schema of its own with USERS users and TORRENTS torrents, builds DELTAS deltas over
PEERS peers (user, torrent, peer id) as privtrak would send them (distinct keys within a
batch, a peer seen again in later batches, ~1% snatches, ~5% stopped peers), sends them through
the postgres backend's recordAnnounce in batches of BATCH with a batch id each, one at a time,
prints deltas/second and per-batch latency, checks the users' totals, and drops the schema.

  --url URL        PostgreSQL   [SHOAL_TEST_PG_URL or postgres://postgres@127.0.0.1:5432/test]
  --deltas N       deltas sent                            [200000]
  --batch N        deltas per batch (privtrak maxBatch)  [1000]
  --users N                                               [10000]
  --torrents N                                            [5000]
  --peers N        distinct (user, torrent, peer) keys   [50000]
  --keep           keep the schema (its name is printed)
  --help
`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const opts = parseArgs(argv, {
  url: 'string',
  deltas: 'int',
  batch: 'int',
  users: 'int',
  torrents: 'int',
  peers: 'int',
  keep: 'flag',
});
const url = opts.url ?? process.env.SHOAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DELTAS = opts.deltas ?? 200_000;
const BATCH = opts.batch ?? 1000;
const USERS = opts.users ?? 10_000;
const TORRENTS = opts.torrents ?? 5_000;
const PEERS = opts.peers ?? 50_000;
for (const [k, v] of Object.entries({ DELTAS, BATCH, USERS, TORRENTS, PEERS })) {
  if (v < 1) die(`--${k.toLowerCase()} must be at least 1`);
}
if (BATCH > PEERS) die('--batch cannot exceed --peers (a batch holds distinct peers)');

const md5 = (s) => createHash('md5').update(s, 'utf8').digest();
const sha1 = (s) => createHash('sha1').update(s, 'utf8').digest();
const schema = `shoal_bench_${process.pid}_${Date.now().toString(36)}`;
const sql = postgres(url, {
  max: 1,
  onnotice: () => undefined,
  connection: { search_path: schema },
});

/** Deterministic pseudo-random numbers, so two runs send the same work. */
let seed = 12345;
const rnd = (n) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

let backend = null;
try {
  try {
    await sql`SELECT 1`;
  } catch (err) {
    die(`cannot reach PostgreSQL at ${url}: ${err.message}`);
  }
  const [{ version }] = await sql`SELECT current_setting('server_version') AS version`;
  await migrateSchema(sql, schema);
  const passkeys = Array.from({ length: USERS }, (_, i) => `bench-user-${i}`);
  const hashes = Array.from({ length: TORRENTS }, (_, i) => sha1(`bench-torrent-${i}`));
  for (let i = 0; i < USERS; i += 5000) {
    const chunk = passkeys.slice(i, i + 5000);
    await sql`INSERT INTO users (passkey) SELECT unnest(${chunk}::text[])`;
  }
  for (let i = 0; i < TORRENTS; i += 5000) {
    const chunk = hashes.slice(i, i + 5000).map((h) => h.toString('hex'));
    await sql`INSERT INTO torrents (info_hash) SELECT decode(unnest(${chunk}::text[]), 'hex')`;
  }
  const userKeys = passkeys.map(md5);

  // The peers, then every batch, built before the clock starts.
  const peers = Array.from({ length: PEERS }, () => ({
    user: rnd(USERS),
    torrent: rnd(TORRENTS),
    peerId: Buffer.concat([Buffer.from('-BE0001-'), randomBytes(12)]),
    up: 0,
    down: 0,
  }));
  const now = Math.floor(Date.now() / 1000);
  const batches = [];
  let expectedUp = 0;
  let expectedDown = 0;
  let next = 0;
  for (let sent = 0; sent < DELTAS;) {
    const n = Math.min(BATCH, DELTAS - sent);
    const deltas = [];
    for (let i = 0; i < n; i++) {
      // Consecutive peers: the keys of one batch are distinct, as privtrak's aggregation makes them.
      const p = peers[next];
      next = (next + 1) % PEERS;
      const up = rnd(4_000_000);
      const down = rnd(2_000_000);
      p.up += up;
      p.down += down;
      expectedUp += up;
      expectedDown += down;
      deltas.push({
        userKey: userKeys[p.user],
        infoHash: hashes[p.torrent],
        peerId: p.peerId,
        uploaded: up,
        downloaded: down,
        seedTime: rnd(1800),
        reportedUploaded: p.up,
        reportedDownloaded: p.down,
        left: rnd(4) === 0 ? 0 : rnd(1_000_000_000),
        lastAnnounce: now,
        client: '-BE0001-',
        snatched: rnd(100) === 0,
        active: rnd(20) !== 0,
        seeders: rnd(500),
        leechers: rnd(500),
      });
    }
    batches.push(deltas);
    sent += n;
  }

  backend = await openBackend(
    { driver: 'postgres', options: { url, schema } },
    { log: createLogger('silent') },
  );
  process.stdout.write(
    `PostgreSQL ${version}, node ${process.version}; schema ${schema}\n` +
      `${DELTAS} deltas in ${batches.length} batches of up to ${BATCH}, ` +
      `${PEERS} peers, ${USERS} users, ${TORRENTS} torrents\n`,
  );
  const latencies = [];
  const t0 = performance.now();
  for (let i = 0; i < batches.length; i++) {
    const b0 = performance.now();
    await backend.recordAnnounce(batches[i], `bench-${i}`);
    latencies.push(performance.now() - b0);
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const ms = (x) => `${x.toFixed(1)} ms`;
  process.stdout.write(
    `\n${Math.round(DELTAS / seconds).toLocaleString('en-US')} deltas/s ` +
      `(${(batches.length / seconds).toFixed(1)} batches/s, ${seconds.toFixed(2)} s)\n` +
      `batch latency: p50 ${ms(percentile(latencies, 50))}, p90 ${ms(percentile(latencies, 90))}, ` +
      `p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies[latencies.length - 1])}\n`,
  );

  // Every byte arrived once: the users' totals are the sum of what was sent.
  const [totals] = await sql`
    SELECT coalesce(sum(uploaded), 0)::text AS up, coalesce(sum(downloaded), 0)::text AS down
    FROM users`;
  if (totals.up !== String(expectedUp) || totals.down !== String(expectedDown)) {
    throw new Error(
      `totals differ: users hold ${totals.up}/${totals.down}, sent ${expectedUp}/${expectedDown}`,
    );
  }
  process.stdout.write('check: users hold exactly the credited bytes sent\n');
} catch (err) {
  console.error(`error: ${err.message}`);
  process.exitCode = 1;
} finally {
  await backend?.close();
  if (opts.keep) process.stdout.write(`schema ${schema} kept\n`);
  else await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await sql.end({ timeout: 5 });
}
