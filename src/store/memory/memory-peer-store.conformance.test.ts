import { peerStoreSuite } from '../suites/peer-store-suite.js';
import { MemoryPeerStore } from './memory-peer-store.js';

peerStoreSuite({
  name: 'MemoryPeerStore conformance',
  create: (ctx) => new MemoryPeerStore({ ...ctx, sweepInterval: 0 }),
});
