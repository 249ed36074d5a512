#!/usr/bin/env node
// npm run bench:private: HTTP announce throughput of Shoal in private mode next to public mode,
// in one run of loadgen's bench.sh each (tracker on CPU 0, generator on CPU 1, UDP left out:
// udpload carries no BEP 41 URL data, so it cannot send a passkey).
//
//   public          Shoal, memory store, /announce
//   private         private mode on PostgreSQL (1 user, every pool hash registered),
//                   accounting on without a spool, LG_PATH=/<passkey>/announce
//   private-spool   the same with the accounting spool (one write per announce)
//
// Options: --only public,private,private-spool  --duration N  --repeat N
// BENCH_PG_URL picks the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  BENCH_PASSKEY,
  BENCH_DIR,
  LOADGEN,
  SCRATCH,
  SHOAL_CLI,
  freePort,
  log,
  parseArgs,
  prepareTools,
  sq,
  table,
  timestamp,
  writeShoalConfig,
} from './lib.js';

const TARGETS = ['public', 'private', 'private-spool'];
const opts = parseArgs(process.argv.slice(2), { only: 'str', duration: 'int', repeat: 'int' });
const targets = opts.only ? opts.only.split(',') : TARGETS;
for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t}`);
const repeat = Math.max(1, opts.repeat ?? 1);
const duration = opts.duration ?? 10;

prepareTools(['shoal']);
const outDir = path.join(SCRATCH, 'results', `private-${timestamp()}`);
fs.mkdirSync(outDir, { recursive: true });

function startCommand(target, port) {
  const node = sq(process.execPath);
  if (target === 'public') {
    const cfg = writeShoalConfig(
      path.join(outDir, 'public.yaml'),
      port,
      'websocket: { listen: [] }\n',
    );
    return `${node} ${sq(SHOAL_CLI)} --config ${sq(cfg)}`;
  }
  const script = sq(path.join(BENCH_DIR, 'private-target.js'));
  return `${node} ${script} ${port}${target === 'private-spool' ? ' --spool' : ''}`;
}

function benchOnce(target, label) {
  const port = freePort(27100);
  const env = {
    ...process.env,
    BENCH_DURATION: String(duration),
    BENCH_OUT: path.join(outDir, label),
    LG_PATH: target === 'public' ? '/announce' : `/${BENCH_PASSKEY}/announce`,
  };
  const file = path.join(outDir, `${label}.txt`);
  log(`=== ${label}: bench.sh on port ${port} (raw output: ${file})`);
  const child = spawn(
    'bash',
    [path.join(LOADGEN, 'bench.sh'), target, startCommand(target, port), String(port), '0'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  const out = fs.createWriteStream(file);
  for (const s of [child.stdout, child.stderr]) {
    s.on('data', (d) => {
      text += d;
      out.write(d);
      process.stderr.write(d);
    });
  }
  return new Promise((resolve) => {
    child.on('close', (code) => {
      out.end();
      const rows = {};
      for (const line of text.split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length === 11 && f[0] === target && f[1] !== 'test') {
          rows[f[1]] = { rps: Number(f[2]), errors: Number(f[3]), rpc: Number(f[8]) };
        }
      }
      resolve({ ok: code === 0, rows });
    });
  });
}

const runs = Object.fromEntries(targets.map((t) => [t, []]));
for (let r = 1; r <= repeat; r++) {
  for (const t of targets) runs[t].push(await benchOnce(t, repeat > 1 ? `${t}-run${r}` : t));
}
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
const rows = [];
const base = {};
for (const t of targets) {
  for (const test of ['http-keepalive', 'http-close']) {
    const rps = median(runs[t].map((r) => r.rows[test]?.rps));
    const errors = runs[t].reduce((a, r) => a + (r.rows[test]?.errors ?? 0), 0);
    if (t === 'public') base[test] = rps;
    const ratio = base[test] ? (rps / base[test]).toFixed(2) + 'x' : '-';
    rows.push([
      t,
      test,
      int(rps),
      runs[t].map((r) => int(r.rows[test]?.rps)).join(' / '),
      errors,
      ratio,
    ]);
  }
}
const report = table(['target', 'test', 'req/s (median)', 'runs', 'errors', 'vs public'], rows);
console.log(`\nShoal private vs public mode, ${duration}s per test, ${repeat} run(s)\n\n${report}`);
fs.writeFileSync(path.join(outDir, 'summary.txt'), report + '\n');
log(`raw output: ${outDir}`);
