import { MemoryKvStore } from './memory-kv-store.js';

/**
 * A memory store for tests whose writes can be made to fail or hang, and that counts its
 * operations: a real store with a switch, to test what a chain does when a store misbehaves.
 */
export class ControlledKvStore extends MemoryKvStore {
  /** Puts reject with this error while set. */
  failPuts: Error | null = null;
  /** Gets never settle while true. */
  hangGets = false;
  puts = 0;
  gets = 0;
  dels = 0;

  protected override doPut(key: Buffer, value: Buffer): Promise<void> {
    this.puts++;
    if (this.failPuts !== null) return Promise.reject(this.failPuts);
    return super.doPut(key, value);
  }

  protected override doGet(key: Buffer): Promise<Uint8Array | undefined> {
    this.gets++;
    if (this.hangGets) return new Promise(() => {});
    return super.doGet(key);
  }

  protected override doDel(key: Buffer): Promise<void> {
    this.dels++;
    return super.doDel(key);
  }
}
