/**
 * The chain store: a KvStore interface, its stores (memory, fs, lmdb, s3), managers (LRU,
 * metrics) and the chain that stacks them. See docs/chainstore.md.
 */
export type { KvKey, KvOpOptions, KvStore } from './kv-store.js';
export { KV_MAX_KEY_BYTES } from './kv-store.js';
export { KvError } from './kv-error.js';
export type { KvErrorCode } from './kv-error.js';
export { BaseKvStore } from './base-kv-store.js';
export type { BaseKvStoreOptions } from './base-kv-store.js';
export { MemoryKvStore } from './stores/memory-kv-store.js';
export type { MemoryKvStoreOptions } from './stores/memory-kv-store.js';
export { FsKvStore } from './stores/fs-kv-store.js';
export type { FsKvStoreOptions } from './stores/fs-kv-store.js';
export { LmdbKvStore } from './stores/lmdb-kv-store.js';
export type { LmdbKvStoreOptions } from './stores/lmdb-kv-store.js';
export { S3KvStore } from './stores/s3-kv-store.js';
export type { S3KvStoreOptions } from './stores/s3-kv-store.js';
export { WrappedKvStore } from './managers/wrapped-kv-store.js';
export type { WrappedKvStoreOptions } from './managers/wrapped-kv-store.js';
export { LruKvStore } from './managers/lru-kv-store.js';
export type { LruKvStoreOptions } from './managers/lru-kv-store.js';
export { MetricsKvStore, KV_OPS_METRIC, KV_SECONDS_METRIC } from './managers/metrics-kv-store.js';
export type { MetricsKvStoreOptions } from './managers/metrics-kv-store.js';
export { ChainKvStore } from './chain.js';
export type { ChainKvStoreOptions } from './chain.js';
