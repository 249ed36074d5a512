import { MemoryPeerStore } from '../store/memory/memory-peer-store.js';

/**
 * A memory PeerStore without the optional `listSwarms` capability (as the redis driver is), for
 * tests of what needs it (full scrape) being refused at start. `close()` closes the whole store.
 */
export function unlistedPeerStore(): MemoryPeerStore {
  const inner = new MemoryPeerStore({ peerLifetime: 2700, maxNumWant: 200 });
  return Object.assign(Object.create(inner) as MemoryPeerStore, {
    listSwarms: undefined,
    close: () => inner.close(), // closes the store itself, not a view of it
  });
}
