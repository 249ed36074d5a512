#!/usr/bin/env node
// Builds the optional native addons: UDP batching (native/udp_batch.c -> build/Release/udp_batch.node)
// and native TCP (native/tcp_native.c -> build/Release/tcp_native.node).
// Run at install time by npm ("install" script) and by hand (`npm run build:native`).
// Any failure prints ONE line and exits 0: Shoal then uses node:dgram / node:net, slower but complete.
// `--strict` (or SHOAL_NATIVE_STRICT=1) makes a failure exit 1 instead, for CI.
// SHOAL_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADDON = join(ROOT, 'build', 'Release', 'udp_batch.node');
const TCP_ADDON = join(ROOT, 'build', 'Release', 'tcp_native.node');
const LOG = join(ROOT, 'build', 'build-native.log');
const strict = process.argv.includes('--strict') || process.env.SHOAL_NATIVE_STRICT === '1';

function unavailable(reason) {
  console.log(
    `shoal: native addons (UDP batching, native TCP) unavailable, using node:dgram and node:net: ${reason}`,
  );
  process.exit(strict ? 1 : 0);
}

if (process.env.SHOAL_SKIP_NATIVE === '1') unavailable('SHOAL_SKIP_NATIVE=1');
if (process.platform !== 'linux') unavailable(`not supported on ${process.platform}`);

// node-gyp: the one npm passes to install scripts, else npm's bundled copy next to this node,
// else a node-gyp installed in the project.
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return undefined;
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) unavailable('node-gyp not found (install it or use npm >= 7)');

const args = [nodeGyp, 'rebuild'];
// Outside npm (no npm_config_nodedir), build against this node's installed headers when they
// exist, so no header download is needed.
if (!process.env.npm_config_nodedir) {
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
}

const started = Date.now();
const r = spawnSync(process.execPath, args, {
  cwd: ROOT,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
  timeout: 300_000,
  env: process.env,
});
const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
const seconds = ((Date.now() - started) / 1000).toFixed(1);

function writeLog() {
  try {
    mkdirSync(dirname(LOG), { recursive: true });
    writeFileSync(LOG, `$ ${process.execPath} ${args.join(' ')}\n${output}`);
    return LOG;
  } catch {
    return undefined;
  }
}

if (r.error || r.status !== 0) {
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  const log = writeLog();
  unavailable(`node-gyp rebuild failed (${why})${log ? `; log: ${log}` : ''}`);
}

// Prove it loads here (catches ABI or libc mismatches now rather than at startup).
try {
  const mod = createRequire(import.meta.url)(ADDON);
  if (typeof mod.open !== 'function') throw new Error('unexpected exports');
} catch (err) {
  const log = writeLog();
  unavailable(`built but cannot load: ${err.message}${log ? `; log: ${log}` : ''}`);
}
// The TCP addon is checked the same way; it failing to load leaves UDP batching usable.
try {
  const mod = createRequire(import.meta.url)(TCP_ADDON);
  if (typeof mod.open !== 'function') throw new Error('unexpected exports');
} catch (err) {
  const log = writeLog();
  console.log(
    `shoal: native TCP unavailable, using node:net: built but cannot load: ${err.message}${log ? `; log: ${log}` : ''}`,
  );
  process.exit(strict ? 1 : 0);
}
console.log(
  `shoal: native addons (UDP batching, native TCP) built in ${seconds}s: ${ADDON}, ${TCP_ADDON}`,
);
