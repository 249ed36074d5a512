import { resolve } from 'node:path';
import { z } from 'zod';
import { ChainKvStore } from './chain.js';
import { KvError } from './kv-error.js';
import type { KvStore } from './kv-store.js';
import { LruKvStore } from './managers/lru-kv-store.js';
import { FsKvStore } from './stores/fs-kv-store.js';
import { LmdbKvStore } from './stores/lmdb-kv-store.js';
import { MemoryKvStore } from './stores/memory-kv-store.js';
import { S3KvStore } from './stores/s3-kv-store.js';

const timeoutMs = z.number().int().min(0).optional();
const lru = z.number().int().min(1).optional();

/** One store of a chain as the config file writes it. `lru` bounds it (bytes). */
const storeSpec = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('memory'), lru, timeoutMs }),
  z.strictObject({
    type: z.literal('fs'),
    dir: z.string().min(1),
    fsync: z.boolean().optional(),
    lru,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('lmdb'),
    path: z.string().min(1),
    name: z.string().min(1).optional(),
    sync: z.boolean().optional(),
    lru,
    timeoutMs,
  }),
  z.strictObject({
    type: z.literal('s3'),
    bucket: z.string().min(1),
    prefix: z.string().optional(),
    endpoint: z.string().url().optional(),
    region: z.string().optional(),
    accessKeyId: z.string().optional(),
    secretAccessKey: z.string().optional(),
    forcePathStyle: z.boolean().optional(),
    createBucket: z.boolean().optional(),
    lru,
    timeoutMs,
  }),
]);

/**
 * A chain as the config file writes it (`storage.ips.options`, `storage.strings.options`,
 * `storage.snapshot`): its stores, fastest first, e.g.
 * `{ stores: [{ type: lmdb, path: ./state/lists }, { type: s3, bucket: shoal, prefix: lists/ }] }`.
 * Relative paths are resolved against the working directory.
 */
export const chainSpecSchema = z.strictObject({
  stores: z.array(storeSpec).min(1),
  /** Default per-operation timeout of every store, in milliseconds (default 30000). */
  timeoutMs,
  hashKeys: z.boolean().optional(),
});

/** A parsed chain spec. */
export type ChainSpec = z.output<typeof chainSpecSchema>;

/** Checks `options` as a chain spec; KvError SHOAL_E_KV_OPTIONS naming each bad key. */
export function parseChainSpec(options: unknown): ChainSpec {
  const r = chainSpecSchema.safeParse(options);
  if (r.success) return r.data;
  const msg = r.error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(options)'}: ${i.message}`)
    .join('; ');
  throw new KvError('SHOAL_E_KV_OPTIONS', `chain store options: ${msg}`);
}

/** The stores of a spec made into one (not yet open) ChainKvStore. */
export function createChainFromSpec(spec: ChainSpec): ChainKvStore {
  const stores = spec.stores.map((s): KvStore => {
    const t = { timeoutMs: s.timeoutMs ?? spec.timeoutMs ?? 30_000 };
    let store: KvStore;
    switch (s.type) {
      case 'memory':
        store = new MemoryKvStore(t);
        break;
      case 'fs':
        store = new FsKvStore({ ...t, dir: resolve(s.dir), ...opt('fsync', s.fsync) });
        break;
      case 'lmdb':
        store = new LmdbKvStore({
          ...t,
          path: resolve(s.path),
          ...opt('name', s.name),
          ...opt('sync', s.sync),
        });
        break;
      case 's3':
        store = new S3KvStore({
          ...t,
          bucket: s.bucket,
          ...opt('prefix', s.prefix),
          ...opt('endpoint', s.endpoint),
          ...opt('region', s.region),
          ...opt('accessKeyId', s.accessKeyId),
          ...opt('secretAccessKey', s.secretAccessKey),
          ...opt('forcePathStyle', s.forcePathStyle),
          ...opt('createBucket', s.createBucket),
        });
        break;
    }
    return s.lru === undefined ? store : new LruKvStore({ store, maxBytes: s.lru });
  });
  return new ChainKvStore({ stores, ...opt('hashKeys', spec.hashKeys) });
}

/** `{ [key]: value }`, or nothing for undefined (exactOptionalPropertyTypes). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
