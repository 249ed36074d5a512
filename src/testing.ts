/**
 * For driver authors: the conformance suites (node:test) that prove a PeerStore, IPStore or
 * StringStore driver behaves as its interface documents. Import from `shoal/testing`; this
 * entry loads node:test, so the tracker itself never imports it.
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
