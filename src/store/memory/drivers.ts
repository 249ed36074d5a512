import type { IPStoreDriver, PeerStoreDriver, StringStoreDriver } from '../driver.js';
import { MemoryIPStore } from './memory-ip-store.js';
import { MemoryPeerStore } from './memory-peer-store.js';
import { MemoryStringStore } from './memory-string-store.js';

function noOptions(kind: string, options: Readonly<Record<string, unknown>>): void {
  const keys = Object.keys(options);
  if (keys.length > 0)
    throw new Error(`the memory ${kind} driver takes no options (got ${keys.join(', ')})`);
}

/** `storage.peers.driver: memory` (options: `sweepInterval`, seconds between sweep slices). */
export const memoryPeers: PeerStoreDriver = {
  create(options, ctx) {
    const { sweepInterval, ...rest } = options;
    noOptions('peer store', rest);
    if (sweepInterval !== undefined && !(typeof sweepInterval === 'number' && sweepInterval >= 0)) {
      throw new Error('sweepInterval: expected a number of seconds, 0 or more');
    }
    return new MemoryPeerStore({
      peerLifetime: ctx.peerLifetime,
      maxNumWant: ctx.maxNumWant,
      now: ctx.now,
      ...(sweepInterval === undefined ? {} : { sweepInterval }),
    });
  },
};

/** `storage.ips.driver: memory`. */
export const memoryIPs: IPStoreDriver = {
  create(options) {
    noOptions('ip store', options);
    return new MemoryIPStore();
  },
};

/** `storage.strings.driver: memory`. */
export const memoryStrings: StringStoreDriver = {
  create(options) {
    noOptions('string store', options);
    return new MemoryStringStore();
  },
};
