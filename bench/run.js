#!/usr/bin/env node
// npm run bench [-- options]: runs the shared loadgen bench.sh against Shoal, opentracker and
// bittorrent-tracker in one go and prints one comparison table. See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_PORTS,
  DEFAULT_TRACKERS,
  shoalTargetYaml,
  LOADGEN,
  ROOT,
  SCRATCH,
  die,
  freePort,
  log,
  machineBusy,
  parseArgs,
  parseOnly,
  prepareTools,
  startCommand,
  table,
  timestamp,
  writeShoalConfig,
} from './lib.js';

const HELP = `usage: npm run bench -- [options]

Runs loadgen's bench.sh (tracker on CPU 0, load generator on CPU 1) for each tracker and prints
req/s, req per tracker CPU-second, peak RSS and the limiting side for http-keepalive, http-close
and udp, plus Shoal's ratios to the other trackers.

  --only LIST      trackers to run, comma-separated: shoal,opentracker,bittorrent-tracker,
                   shoal-hooks (Shoal with every list hook configured, empty),
                   shoal-metrics, shoal-nometrics (admin listener with request metrics
                   on / off: compare with --only shoal-metrics,shoal-nometrics),
                   shoal-redis (swarms in Redis), shoal-redis-2w (the same, 2 workers:
                   runs on CPUs BENCH_REDIS_2W_CPUS, default 0,1)
                   (aliases ot, bt)                       [shoal,opentracker,bittorrent-tracker]
  --skip-bt        leave out bittorrent-tracker (its warm-up alone takes ~90 s)
  --duration N     seconds per test (BENCH_DURATION)                 [10]
  --warmup N       UDP announces in the warm-up (BENCH_WARMUP)       [600000]
  --repeat N       run the whole set N times, interleaved; the table shows medians   [1]
  --out DIR        where raw bench.sh output goes    [${SCRATCH}/results/<date>]
  --help

Environment: bench.sh's knobs pass through (BENCH_CONNS, LG_HASHES, LG_PEERS, ...);
SHOAL_LOADGEN_SRC (loadgen source, read-only), SHOAL_BENCH_SCRATCH (scratch dir).`;

const opts = parseArgs(process.argv.slice(2), {
  only: 'str',
  'skip-bt': 'flag',
  duration: 'int',
  warmup: 'int',
  repeat: 'int',
  out: 'str',
  help: 'flag',
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
let trackers = opts.only ? parseOnly(opts.only) : [...DEFAULT_TRACKERS];
if (opts['skip-bt']) trackers = trackers.filter((t) => t !== 'bittorrent-tracker');
if (!trackers.length) die('no tracker selected');
const duration = opts.duration ?? Number(process.env.BENCH_DURATION ?? 10);
if (duration < 1) die('--duration must be >= 1');
const repeat = Math.max(1, opts.repeat ?? 1);

prepareTools(trackers);

const outDir = path.resolve(opts.out ?? path.join(SCRATCH, 'results', timestamp()));
fs.mkdirSync(outDir, { recursive: true });

// --- record the setup ----------------------------------------------------------------------------
const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
const meta = [
  `date: ${new Date().toISOString()}`,
  `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${os.release()}`,
  `node: ${process.version}`,
  `shoal: ${sh(`git -C ${ROOT} rev-parse --short HEAD 2>/dev/null || echo no-commit`)}${sh(`git -C ${ROOT} status --porcelain 2>/dev/null | head -1`) ? ' (dirty tree)' : ''}`,
  `packages: ${sh("dpkg-query -W -f='${Package} ${Version}  ' wrk opentracker 2>/dev/null")}`,
  `bittorrent-tracker: ${sh(`node -p "require('${LOADGEN}/peers/node_modules/bittorrent-tracker/package.json').version" 2>/dev/null`) || '-'}`,
  `trackers: ${trackers.join(', ')}; repeat ${repeat}; duration ${duration}s; warm-up ${opts.warmup ?? process.env.BENCH_WARMUP ?? 600000} UDP announces`,
];
fs.writeFileSync(path.join(outDir, 'meta.txt'), meta.join('\n') + '\n');
for (const m of meta) log(m);

const busy = await machineBusy(1000);
if (busy > 0.1)
  log(
    `warning: the machine is already ${(busy * 100).toFixed(0)} % busy (all cores) before the run; figures may be disturbed`,
  );

// --- run bench.sh --------------------------------------------------------------------------------
const warmupMax = Number(process.env.BENCH_WARMUP_MAX_S ?? 120);
const env = {
  ...process.env,
  BENCH_DURATION: String(duration),
  BENCH_MAX_LIFETIME: String(
    Math.max(Number(process.env.BENCH_MAX_LIFETIME ?? 0), 600, warmupMax + 3 * duration + 180),
  ),
};
if (opts.warmup !== undefined) env.BENCH_WARMUP = String(opts.warmup);

/** Runs bench.sh once; resolves to { ok, rows: {test: row}, notes: {test: [..]}, file }. */
function benchOnce(tracker, label) {
  const port = freePort(DEFAULT_PORTS[tracker]);
  const shoalConfig = tracker.startsWith('shoal')
    ? writeShoalConfig(path.join(outDir, `${label}.yaml`), port, shoalTargetYaml(tracker, label))
    : undefined;
  const cmd = startCommand(tracker, port, { shoalConfig });
  const file = path.join(outDir, `${label}.txt`);
  const out = fs.createWriteStream(file);
  log(`=== ${label}: bench.sh on port ${port} (raw output: ${file})`);
  // Two workers on one pinned core would measure only their overhead: give them both cores
  // (the generator then shares one of them; bench.sh's tracker CPU column counts only the
  // primary process, so read req/s, not req/CPU-s, for this target).
  const cpus =
    tracker === 'shoal-redis-2w'
      ? { BENCH_TRACKER_CPU: process.env.BENCH_REDIS_2W_CPUS ?? '0,1' }
      : {};
  const child = spawn(
    'bash',
    [path.join(LOADGEN, 'bench.sh'), tracker, cmd, String(port), String(port)],
    {
      env: { ...env, ...cpus, BENCH_OUT: path.join(outDir, label) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  const onData = (stream) => (d) => {
    text += d;
    out.write(d);
    stream.write(d);
  };
  child.stdout.on('data', onData(process.stdout));
  child.stderr.on('data', onData(process.stderr));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      out.end();
      const rows = {};
      const notes = {};
      for (const line of text.split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length === 11 && f[0] === tracker && f[1] !== 'test') {
          const [, test, rps, errors, rss, tcpu, gcpu, other, rpc, peers, bound] = f;
          rows[test] = {
            rps: Number(rps),
            errors: Number(errors),
            rss: Number(rss),
            tcpu: Number(tcpu),
            gcpu: Number(gcpu),
            other: Number(other),
            rpc: Number(rpc),
            peers: Number(peers),
            bound,
          };
        }
        const n = /^\s*note: ([\w-]+): (.*)$/.exec(line);
        if (n) (notes[n[1]] ??= []).push(n[2]);
      }
      const err = /ERROR: (.*)/.exec(text)?.[1];
      resolve({ ok: code === 0, code, err, rows, notes, file });
    });
  });
}

const results = Object.fromEntries(trackers.map((t) => [t, []]));
let failed = 0;
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true; // bench.sh gets the same SIGINT and stops its tracker
});
for (let r = 1; r <= repeat && !interrupted; r++) {
  for (const t of trackers) {
    if (interrupted) break;
    const res = await benchOnce(t, repeat > 1 ? `${t}-run${r}` : t);
    if (!res.ok) {
      failed++;
      log(`${t}: bench.sh failed (exit ${res.code})${res.err ? `: ${res.err}` : ''}`);
    }
    results[t].push(res);
  }
}

// --- the table ---------------------------------------------------------------------------------
const TESTS = ['http-keepalive', 'http-close', 'udp'];
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
const summary = {};
for (const t of trackers) {
  summary[t] = {};
  for (const test of [...TESTS, 'warmup-udp', 'warmup-http']) {
    const rows = results[t].map((r) => r.rows[test]).filter(Boolean);
    if (!rows.length) continue;
    summary[t][test] = {
      runs: rows.length,
      rps: median(rows.map((x) => x.rps)),
      rpsRuns: rows.map((x) => x.rps),
      rpc: median(rows.map((x) => x.rpc)),
      rss: Math.max(...rows.map((x) => x.rss)),
      errors: rows.reduce((a, x) => a + x.errors, 0),
      peers: median(rows.map((x) => x.peers)),
      bound: [...new Set(rows.map((x) => x.bound))].join('/'),
      disturbed: results[t].some((r) => (r.notes[test] ?? []).some((n) => /disturbed/.test(n))),
    };
  }
}

const header = [
  'tracker',
  'test',
  'req/s',
  'req/CPU-s',
  'RSS MB',
  'errors',
  'peers/reply',
  'bound',
];
if (repeat > 1) header.splice(3, 0, 'req/s per run');
const rows = [];
for (const t of trackers) {
  for (const test of TESTS) {
    const s = summary[t][test];
    if (!s) {
      rows.push([t, test, 'failed', ...Array(header.length - 3).fill('')]);
      continue;
    }
    const row = [
      t,
      test,
      int(s.rps) + (s.disturbed ? '*' : ''),
      int(s.rpc),
      s.rss.toFixed(1),
      s.errors,
      s.peers.toFixed(1),
      s.bound,
    ];
    if (repeat > 1) row.splice(3, 0, s.rpsRuns.map(int).join(' / '));
    rows.push(row);
  }
}
const lines = [];
lines.push(
  `Shoal benchmark: ${duration}s per test, tracker on CPU ${process.env.BENCH_TRACKER_CPU ?? 0}, generator on CPU ${process.env.BENCH_GEN_CPU ?? 1}` +
    (repeat > 1 ? `, ${repeat} runs (medians; RSS = max)` : ''),
);
lines.push('');
lines.push(table(header, rows));
if (trackers.some((t) => TESTS.some((test) => summary[t][test]?.disturbed)))
  lines.push('* bench.sh flagged foreign CPU use during this test: rerun on a quiet machine');

const warm = trackers
  .filter((t) => summary[t]['warmup-http'] || summary[t]['warmup-udp'])
  .map((t) => [
    t,
    int(summary[t]['warmup-udp']?.rps),
    summary[t]['warmup-http']?.rss.toFixed(1) ?? '-',
  ]);
if (warm.length) {
  lines.push('');
  lines.push('Memory at equal state (after the UDP warm-up + 3 s of HTTP):');
  lines.push(table(['tracker', 'warm-up UDP req/s', 'peak RSS MB'], warm));
}

const ratioRows = [];
if (trackers.includes('shoal')) {
  for (const other of trackers.filter((t) => t !== 'shoal')) {
    for (const test of TESTS) {
      const a = summary.shoal[test];
      const b = summary[other][test];
      const ratio = (x, y) => (a && b && y > 0 ? `${(x / y).toFixed(2)}x` : '-');
      ratioRows.push([`shoal/${other}`, test, ratio(a?.rps, b?.rps), ratio(a?.rpc, b?.rpc), '']);
    }
    const a = summary.shoal['warmup-http']?.rss;
    const b = summary[other]['warmup-http']?.rss;
    if (a && b)
      ratioRows.push([`shoal/${other}`, 'RSS after warm-up', '', '', `${(a / b).toFixed(2)}x`]);
  }
}
// Metrics on against off (issue 7: on must stay within 5% of off).
if (trackers.includes('shoal-metrics') && trackers.includes('shoal-nometrics')) {
  for (const test of TESTS) {
    const a = summary['shoal-metrics'][test];
    const b = summary['shoal-nometrics'][test];
    const ratio = (x, y) => (a && b && y > 0 ? `${(x / y).toFixed(3)}x` : '-');
    ratioRows.push(['metrics on/off', test, ratio(a?.rps, b?.rps), ratio(a?.rpc, b?.rpc), '']);
  }
}
if (ratioRows.length) {
  lines.push('');
  lines.push('Ratios (req/s, req/CPU-s: higher is better for Shoal; memory: lower is better):');
  lines.push(table(['ratio', 'test', 'req/s', 'req/CPU-s', 'memory'], ratioRows));
}
lines.push('');
lines.push(`raw bench.sh output: ${outDir}`);

const report = lines.join('\n');
fs.writeFileSync(path.join(outDir, 'table.txt'), report + '\n');
fs.writeFileSync(
  path.join(outDir, 'results.json'),
  JSON.stringify({ duration, repeat, trackers, summary, runs: results }, null, 2) + '\n',
);
console.log('\n' + report);
process.exit(failed || interrupted ? 1 : 0);
