#!/usr/bin/env node
// npm run bench:chainstore [-- options]: ops/s of put, get and del with 1 KiB values on each
// chain store (memory, fs, lmdb, S3 on an in-process s3rver), a manager stack and a full chain.
// Build first (npm run build). See docs/chainstore.md.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ChainKvStore,
  FsKvStore,
  LmdbKvStore,
  LruKvStore,
  MemoryKvStore,
  MetricsKvStore,
  S3KvStore,
} from '../dist/chainstore/index.js';
import { startLocalS3 } from '../dist/chainstore/stores/s3rver-test-support.js';
import { die, parseArgs, table } from './lib.js';

const HELP = `usage: npm run bench:chainstore -- [options]

For each store: puts N keys with 1 KiB values (C operations in flight), gets them, deletes
them, and prints operations per second of each phase. Data lives in a temporary directory.

  --stores LIST       comma-separated, from: ${Object.keys(stores()).join(', ')}
                      [all]
  --ops N             keys per store (per phase)                        [5000]
  --concurrency C     operations in flight                              [16]
  --value-bytes B     value size                                        [1024]
  --markdown          print a markdown table
  --help
`;

/** Store factories by name: each gets a fresh temporary directory and the local S3. */
function stores() {
  return {
    memory: () => new MemoryKvStore(),
    fs: ({ dir }) => new FsKvStore({ dir }),
    'fs-nofsync': ({ dir }) => new FsKvStore({ dir, fsync: false }),
    lmdb: ({ dir }) => new LmdbKvStore({ path: dir }),
    'lmdb-nosync': ({ dir }) => new LmdbKvStore({ path: dir, sync: false }),
    s3: ({ s3, n }) => new S3KvStore(s3.storeOptions(`bench${n}/`)),
    'lru(memory)': () => new LruKvStore({ store: new MemoryKvStore(), maxBytes: 1 << 30 }),
    'metrics(lmdb)': ({ dir }) => new MetricsKvStore({ store: new LmdbKvStore({ path: dir }) }),
    'chain(lru(memory),lmdb,s3)': ({ dir, s3, n }) =>
      new ChainKvStore({
        stores: [
          new LruKvStore({ store: new MemoryKvStore(), maxBytes: 1 << 30 }),
          new LmdbKvStore({ path: dir }),
          new S3KvStore(s3.storeOptions(`chain${n}/`)),
        ],
      }),
  };
}

/** Runs `op(i)` for i in [0, n) with `c` in flight; returns ops/s. */
async function phase(n, c, op) {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < n) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(c, n) }, worker));
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  return n / s;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    stores: 'string',
    ops: 'int',
    concurrency: 'int',
    'value-bytes': 'int',
    markdown: 'flag',
    help: 'flag',
  });
  if (opts.help) {
    process.stdout.write(HELP);
    return;
  }
  const all = stores();
  const names = opts.stores === undefined ? Object.keys(all) : opts.stores.split(',');
  for (const n of names) if (!(n in all)) die(`unknown store '${n}' (see --help)`);
  const ops = opts.ops ?? 5000;
  const c = Math.max(1, opts.concurrency ?? 16);
  const value = Buffer.alloc(opts['value-bytes'] ?? 1024, 0x5a);
  const keys = Array.from({ length: ops }, (_, i) => `bench/key/${i}`);

  const s3 = await startLocalS3('shoal-bench');
  const rows = [];
  let n = 0;
  try {
    for (const name of names) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-bench-kv-'));
      const store = all[name]({ dir, s3, n: ++n });
      try {
        await store.open();
        const put = await phase(ops, c, (i) => store.put(keys[i], value));
        if (typeof store.flush === 'function') await store.flush();
        const get = await phase(ops, c, async (i) => {
          if ((await store.get(keys[i])) === undefined) throw new Error(`${name}: lost ${keys[i]}`);
        });
        const del = await phase(ops, c, (i) => store.del(keys[i]));
        rows.push([name, Math.round(put), Math.round(get), Math.round(del)]);
        process.stderr.write(`${name} done\n`);
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await s3.close();
  }
  const header = ['store', 'put/s', 'get/s', 'del/s'];
  console.log(
    `# chain store, ${ops} keys, ${value.length}-byte values, ${c} in flight, ` +
      `node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`,
  );
  if (opts.markdown) {
    console.log(`| ${header.join(' | ')} |`);
    console.log(`| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } else
    console.log(
      table(
        header,
        rows.map((r) => r.map(String)),
      ),
    );
}

await main();
