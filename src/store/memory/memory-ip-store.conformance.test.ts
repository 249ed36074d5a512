import { ipStoreSuite } from '../suites/ip-store-suite.js';
import { MemoryIPStore } from './memory-ip-store.js';

ipStoreSuite({ name: 'MemoryIPStore conformance', create: () => new MemoryIPStore() });
