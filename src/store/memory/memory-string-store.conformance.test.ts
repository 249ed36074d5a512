import { stringStoreSuite } from '../suites/string-store-suite.js';
import { MemoryStringStore } from './memory-string-store.js';

stringStoreSuite({ name: 'MemoryStringStore conformance', create: () => new MemoryStringStore() });
