/**
 * For driver authors: the conformance suites (node:test) that prove a PeerStore, IPStore or
 * StringStore driver behaves as its interface documents, and the benchmark suites that measure
 * it (ops/s per operation). Import from `shoal/testing`; this entry loads node:test, so the
 * tracker itself never imports it.
 */
export { peerStoreSuite, PEER_STORE_TESTS } from './store/suites/peer-store-suite.js';
export type { PeerStoreSuiteOptions } from './store/suites/peer-store-suite.js';
export { ipStoreSuite } from './store/suites/ip-store-suite.js';
export type { IPStoreSuiteOptions } from './store/suites/ip-store-suite.js';
export { stringStoreSuite } from './store/suites/string-store-suite.js';
export type { StringStoreSuiteOptions } from './store/suites/string-store-suite.js';
export type { StoreSuiteOptions } from './store/suites/suite-support.js';
export {
  announceRequest,
  infoHashKey,
  peerV4,
  peerV6,
  SUITE_MAX_NUM_WANT,
  SUITE_PEER_LIFETIME,
  SUITE_START_TIME,
} from './store/suites/peer-fixtures.js';
export { peerStoreBench, peerStoreBenchmarks } from './store/suites/peer-store-bench.js';
export type { PeerStoreBenchOptions } from './store/suites/peer-store-bench.js';
export { ipStoreBench, ipStoreBenchmarks } from './store/suites/ip-store-bench.js';
export type { IPStoreBenchOptions } from './store/suites/ip-store-bench.js';
export { stringStoreBench, stringStoreBenchmarks } from './store/suites/string-store-bench.js';
export type { StringStoreBenchOptions } from './store/suites/string-store-bench.js';
export type { BenchInfo, BenchOptions, BenchResult } from './store/suites/bench-runner.js';
export { kvStoreSuite } from './chainstore/suites/kv-store-suite.js';
export type { KvStoreSuiteOptions } from './chainstore/suites/kv-store-suite.js';
