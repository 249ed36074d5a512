import { after } from 'node:test';
import { Registry } from 'prom-client';
import { ChainKvStore } from './chain.js';
import { LruKvStore } from './managers/lru-kv-store.js';
import { MetricsKvStore } from './managers/metrics-kv-store.js';
import { FsKvStore } from './stores/fs-kv-store.js';
import { LmdbKvStore } from './stores/lmdb-kv-store.js';
import { MemoryKvStore } from './stores/memory-kv-store.js';
import { S3KvStore } from './stores/s3-kv-store.js';
import { startLocalS3 } from './stores/s3rver-test-support.js';
import { TempDirs } from './stores/temp-dirs.js';
import { kvStoreSuite } from './suites/kv-store-suite.js';

// The conformance suite on the chain and on stacks of managers: whatever the stack, it must
// behave as one store. S3 is s3rver (npm, in-process) on 127.0.0.1.
const temp = new TempDirs();
const s3 = await startLocalS3();
after(async () => {
  await s3.close();
  temp.removeAll();
});
let n = 0;
const MiB = 1 << 20;

kvStoreSuite({
  name: 'Chain (memory, memory) conformance',
  create: () => new ChainKvStore({ stores: [new MemoryKvStore(), new MemoryKvStore()] }),
});
kvStoreSuite({
  name: 'Chain with hashed keys conformance',
  create: () =>
    new ChainKvStore({ stores: [new MemoryKvStore(), new MemoryKvStore()], hashKeys: true }),
});
kvStoreSuite({
  name: 'LRU over fs conformance',
  create: () =>
    new LruKvStore({ store: new FsKvStore({ dir: temp.make('lru-fs') }), maxBytes: 16 * MiB }),
});
kvStoreSuite({
  name: 'Metrics over S3 conformance',
  create: () =>
    new MetricsKvStore({
      store: new S3KvStore(s3.storeOptions(`metrics${++n}/`)),
      registry: new Registry(),
      label: 's3',
    }),
});
kvStoreSuite({
  name: 'Full chain (LRU memory, lmdb, S3) conformance',
  create: () =>
    new ChainKvStore({
      stores: [
        new LruKvStore({ store: new MemoryKvStore(), maxBytes: 16 * MiB }),
        new LmdbKvStore({ path: temp.make('chain-lmdb') }),
        new S3KvStore(s3.storeOptions(`chain${++n}/`)),
      ],
    }),
});
