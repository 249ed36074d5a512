import type { Logger } from '../log/logger.js';
import type { IPStore } from './ip-store.js';
import type { PeerStore } from './peer-store.js';
import type { StringStore } from './string-store.js';

/** What every driver is given besides its own options. */
export interface DriverContext {
  /**
   * Which set this instance holds, unique per tracker (for lists: the hook's name). A shared
   * driver keeps namespaces apart (a Redis key prefix, a file name); the memory driver ignores it.
   */
  readonly namespace: string;
  /** Clock in whole seconds; tests inject a fake one. */
  readonly now: () => number;
  readonly log: Logger;
}

/** What a PeerStore driver is given besides its own options. */
export interface PeerStoreContext extends DriverContext {
  /** Seconds without an announce after which a peer is dropped. */
  readonly peerLifetime: number;
  /** Largest numWant the tracker will pass to announce. */
  readonly maxNumWant: number;
}

/**
 * A storage driver: turns its options (from the config file's `storage.<kind>.options`, not yet
 * validated: the driver checks them and throws an Error naming the bad option) into a store.
 */
export interface StoreDriver<S, C extends DriverContext = DriverContext> {
  /**
   * True when every process that opens a store with the same options sees the same state (a
   * server such as Redis). `shoal --workers N` requires it of the PeerStore driver.
   */
  readonly shared?: boolean;
  create(options: Readonly<Record<string, unknown>>, ctx: C): S | Promise<S>;
}

export type PeerStoreDriver = StoreDriver<PeerStore, PeerStoreContext>;
export type IPStoreDriver = StoreDriver<IPStore>;
export type StringStoreDriver = StoreDriver<StringStore>;
