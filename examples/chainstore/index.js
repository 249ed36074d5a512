#!/usr/bin/env node
// A chain of three stores: memory (bounded by an LRU) over a directory on disk over S3.
// S3 here is s3rver (npm, a devDependency), an S3-compatible server started on 127.0.0.1 by
// this script; point S3KvStore at a real endpoint and bucket instead in production.
// Run: npm run build && node examples/chainstore/index.js
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import {
  ChainKvStore,
  FsKvStore,
  LruKvStore,
  MemoryKvStore,
  S3KvStore,
} from '../../dist/chainstore/index.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'shoal-chainstore-example-'));
const s3server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: path.join(work, 's3'),
  configureBuckets: [{ name: 'shoal-example' }],
});
const { port } = await s3server.run();

const memory = new LruKvStore({ store: new MemoryKvStore(), maxBytes: 64 * 1024 });
const disk = new FsKvStore({ dir: path.join(work, 'disk') });
const s3 = new S3KvStore({
  endpoint: `http://127.0.0.1:${port}`,
  bucket: 'shoal-example',
  prefix: 'example/',
  accessKeyId: 'S3RVER', // s3rver's fixed credentials
  secretAccessKey: 'S3RVER',
});
const chain = new ChainKvStore({ stores: [memory, disk, s3] });
chain.on('error', (err) => console.error('background write failed:', err.code, err.message));
const text = (v) => (v === undefined ? '(absent)' : Buffer.from(v).toString());

try {
  await chain.open();

  // put: resolves once memory has it; disk and S3 are written in the background.
  await chain.put('greeting', Buffer.from('hello from the chain'));
  await chain.flush(); // wait for the background writes (close() does it too)
  console.log('put      greeting ->', text(await chain.get('greeting')));
  console.log('on disk  greeting ->', text(await disk.get('greeting')));
  console.log('in S3    greeting ->', text(await s3.get('greeting')));

  // back-fill: a value only S3 has (as after a restart on a new machine) is found by get and
  // copied into the stores above it.
  await s3.put('only-in-s3', Buffer.from('fetched from S3'));
  console.log('memory   only-in-s3 before get ->', text(await memory.get('only-in-s3')));
  console.log('get      only-in-s3 ->', text(await chain.get('only-in-s3')));
  await chain.flush();
  console.log('memory   only-in-s3 after get  ->', text(await memory.get('only-in-s3')));
  console.log('disk     only-in-s3 after get  ->', text(await disk.get('only-in-s3')));

  // LRU: memory holds at most 64 KiB; older values leave memory but stay on disk and in S3.
  for (let i = 0; i < 100; i++) await chain.put(`bulk/${i}`, Buffer.alloc(1024, i));
  await chain.flush();
  console.log(
    `memory   holds ${memory.bytes} bytes (max ${memory.maxBytes});`,
    'bulk/0 in memory:',
    (await memory.get('bulk/0')) !== undefined,
    '- through the chain:',
    (await chain.get('bulk/0'))?.length,
    'bytes',
  );

  // del: removed from every store.
  await chain.del('greeting');
  console.log(
    'del      greeting -> memory',
    text(await memory.get('greeting')),
    '| disk',
    text(await disk.get('greeting')),
    '| S3',
    text(await s3.get('greeting')),
  );
} finally {
  await chain.close();
  await s3server.close();
  rmSync(work, { recursive: true, force: true });
}
