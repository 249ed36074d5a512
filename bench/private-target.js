#!/usr/bin/env node
// START_CMD for bench.sh: Shoal in private mode on a PostgreSQL schema of its own, with one user
// (passkey BENCH_PASSKEY) and every info hash of bench.sh's pool ($LG_HASHFILE) registered.
//
//   node bench/private-target.js PORT [--spool]
//
// Listens for HTTP on 127.0.0.1:PORT only (run bench.sh with UDP_PORT 0 and
// LG_PATH=/<passkey>/announce). The schema is dropped when the tracker stops (SIGTERM).
// BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test) picks the server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { migrateFromOptions } from '../dist/backend/postgres/migrate.js';
import { createTracker } from '../dist/tracker.js';
import { BENCH_PASSKEY } from './lib.js';

const port = Number(process.argv[2]);
const withSpool = process.argv.includes('--spool');
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: private-target.js PORT [--spool]');
  process.exit(2);
}
const url = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `shoal_bench_${process.pid}`;
const hashFile = process.env.LG_HASHFILE;
if (hashFile === undefined) {
  console.error('private-target.js: LG_HASHFILE is not set (run it as bench.sh START_CMD)');
  process.exit(2);
}
const hashes = fs
  .readFileSync(hashFile, 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => /^[0-9a-f]{40}$/i.test(l));

await migrateFromOptions({ url, schema });
const sql = postgres(url, { max: 1, onnotice: () => {} });
await sql`INSERT INTO ${sql(schema)}.users (passkey) VALUES (${BENCH_PASSKEY})`;
for (let i = 0; i < hashes.length; i += 1000) {
  const chunk = hashes.slice(i, i + 1000).map((h) => Buffer.from(h, 'hex'));
  await sql`INSERT INTO ${sql(schema)}.torrents (info_hash) SELECT unnest(${sql.array(chunk)}::bytea[])`;
}
console.error(`private-target: schema ${schema}: 1 user, ${hashes.length} torrents`);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-private-bench-'));
const tracker = await createTracker({
  listen: { http: [`127.0.0.1:${port}`], udp: [] },
  websocket: { listen: [] },
  log: { level: 'warn' },
  shutdown: { graceSeconds: 1 },
  private: {
    enabled: true,
    backend: { driver: 'postgres', options: { url, schema } },
    accounting: withSpool ? { spool: path.join(scratch, 'accounting.spool') } : {},
  },
});
console.error(`private-target: listening on 127.0.0.1:${port} (spool ${withSpool ? 'on' : 'off'})`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await tracker.close();
  const [users] = await sql`SELECT uploaded, downloaded FROM ${sql(schema)}.users`;
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM ${sql(schema)}.peers`;
  console.error(
    `private-target: credited up ${users?.uploaded} down ${users?.downloaded}, ${n} peer rows`,
  );
  await sql.unsafe(`DROP SCHEMA ${schema} CASCADE`);
  await sql.end();
  fs.rmSync(scratch, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
