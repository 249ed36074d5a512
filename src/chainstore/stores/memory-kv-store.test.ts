import { kvStoreSuite } from '../suites/kv-store-suite.js';
import { MemoryKvStore } from './memory-kv-store.js';

kvStoreSuite({ name: 'MemoryKvStore conformance', create: () => new MemoryKvStore() });
