#!/usr/bin/env node
// npm run bench:store [-- options]: in-process benchmarks of a storage driver's PeerStore,
// IPStore and StringStore (src/store/suites/*-bench.ts), one ops/s figure per operation.
// See bench/README.md.
import os from 'node:os';
import { ipStoreDrivers, peerStoreDrivers, stringStoreDrivers } from '../dist/store/registry.js';
import { ipStoreBench, ipStoreBenchmarks } from '../dist/store/suites/ip-store-bench.js';
import { peerStoreBench, peerStoreBenchmarks } from '../dist/store/suites/peer-store-bench.js';
import {
  stringStoreBench,
  stringStoreBenchmarks,
} from '../dist/store/suites/string-store-bench.js';
import { die, parseArgs } from './lib.js';

const HELP = `usage: npm run bench:store -- [options]

Runs the store benchmark suites against one storage driver, each benchmark on a fresh store,
and prints operations per second and nanoseconds per operation.

  --driver NAME     driver name, the same for every kind; a kind without a driver of
                    that name is reported and skipped                [memory]
  --kind KIND       peers, ips, strings or all                        [all]
  --only REGEX      run only the benchmarks whose name matches (e.g. '^Announce', '/v6$')
  --duration S      timed seconds per benchmark, after a warm-up of a tenth of that   [1]
  --options JSON    driver options, passed to the driver's create()   [{}]
  --markdown        print markdown tables (for a README)
  --list            list the benchmarks with one line each, run nothing
  --help
`;

const KINDS = {
  peers: {
    title: 'PeerStore',
    registry: peerStoreDrivers,
    run: peerStoreBench,
    list: peerStoreBenchmarks,
  },
  ips: { title: 'IPStore', registry: ipStoreDrivers, run: ipStoreBench, list: ipStoreBenchmarks },
  strings: {
    title: 'StringStore',
    registry: stringStoreDrivers,
    run: stringStoreBench,
    list: stringStoreBenchmarks,
  },
};

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(HELP);
  process.exit(0);
}
const opts = parseArgs(argv, {
  driver: 'string',
  kind: 'string',
  only: 'string',
  duration: 'string',
  options: 'string',
  markdown: 'flag',
  list: 'flag',
});

const driverName = opts.driver ?? 'memory';
const kind = opts.kind ?? 'all';
if (kind !== 'all' && !(kind in KINDS))
  die(`--kind: expected peers, ips, strings or all, not '${kind}'`);
const kinds = kind === 'all' ? Object.keys(KINDS) : [kind];

let only;
if (opts.only !== undefined) {
  try {
    only = new RegExp(opts.only);
  } catch (err) {
    die(`--only: ${err.message}`);
  }
}

const seconds = opts.duration === undefined ? 1 : Number(opts.duration);
if (!(seconds > 0 && Number.isFinite(seconds)))
  die(`--duration: '${opts.duration}' is not a positive number`);

let driverOptions = {};
if (opts.options !== undefined) {
  try {
    driverOptions = JSON.parse(opts.options);
  } catch (err) {
    die(`--options: not JSON: ${err.message}`);
  }
  if (driverOptions === null || typeof driverOptions !== 'object' || Array.isArray(driverOptions))
    die('--options: expected a JSON object');
}

if (opts.list) {
  for (const k of kinds) {
    const { title, list } = KINDS[k];
    console.log(`${title} (--kind ${k})`);
    const w = Math.max(...list.map((b) => b.name.length));
    for (const b of list)
      if (!only || b.name.search(only) >= 0) console.log(`  ${b.name.padEnd(w)}  ${b.doc}`);
  }
  process.exit(0);
}

const fmtOps = (n) => Math.round(n).toLocaleString('en-US');
const fmtNs = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

/** Prints rows as they come: a plain table with fixed columns, or markdown. */
function printer(names) {
  const w = Math.max('operation'.length, ...names.map((n) => n.length));
  if (opts.markdown) {
    console.log('| operation | ops/s | ns/op |');
    console.log('| --- | --: | --: |');
    return (r) => console.log(`| ${r.name} | ${fmtOps(r.opsPerSec)} | ${fmtNs(r.nsPerOp)} |`);
  }
  console.log(`${'operation'.padEnd(w)}  ${'ops/s'.padStart(14)}  ${'ns/op'.padStart(10)}`);
  console.log(`${'-'.repeat(w)}  ${'-'.repeat(14)}  ${'-'.repeat(10)}`);
  return (r) =>
    console.log(
      `${r.name.padEnd(w)}  ${fmtOps(r.opsPerSec).padStart(14)}  ${fmtNs(r.nsPerOp).padStart(10)}`,
    );
}

/**
 * After each benchmark: a store that can empty itself (`clear()`, e.g. the Redis drivers) does,
 * so a run against a shared server leaves none of its million-peer swarms behind.
 */
async function emptyAndClose(store) {
  if (typeof store.clear === 'function') await store.clear();
  await store.close();
}

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const gc = typeof globalThis.gc === 'function' ? '' : ', no --expose-gc';
const about = `driver ${driverName}, ${seconds} s per benchmark, node ${process.version}, ${cpu}${gc}`;
console.log(opts.markdown ? `_${about}_` : `# ${about}`);

let failed = false;
let found = false;
for (const k of kinds) {
  const { title, registry, run, list } = KINDS[k];
  const heading = opts.markdown ? `**${title}**` : title;
  console.log();
  if (!registry.has(driverName)) {
    const known = registry.names().join(', ') || 'none';
    console.log(`${heading}: no driver named '${driverName}' (registered: ${known}); skipped`);
    continue;
  }
  found = true;
  const names = list.map((b) => b.name).filter((n) => !only || n.search(only) >= 0);
  console.log(`${heading} (driver ${driverName})${opts.markdown ? '\n' : ''}`);
  if (names.length === 0) {
    console.log('no benchmark matches --only');
    continue;
  }
  try {
    const driver = await registry.get(driverName);
    await run({
      create: (ctx) => driver.create(driverOptions, ctx),
      dispose: emptyAndClose,
      durationMs: seconds * 1000,
      ...(only ? { only } : {}),
      onResult: printer(names),
    });
  } catch (err) {
    failed = true;
    console.error(`${title}: ${err.message}`);
  }
}
if (!found) console.error(`no store kind has a driver named '${driverName}'`);
process.exitCode = failed || !found ? 1 : 0;
