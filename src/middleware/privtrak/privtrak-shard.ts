import type { AnnounceDelta } from '../../backend/backend.js';
import type { PeerCounter } from './peer-counter.js';

/**
 * One slice of privtrak's state, chosen by a byte of the user key, so that a sweep or a batch
 * walks a small map rather than one giant one. Every counter of a user lives in one shard,
 * which makes the per-user reference counts (the "users tracked" metric) local.
 */
export class PrivtrakShard {
  /** Counter key (user key + canonical info hash + peer id, latin1) → counter. */
  readonly counters = new Map<string, PeerCounter>();
  /** Same keys → the deltas not yet in a batch, aggregated. */
  readonly pending = new Map<string, AnnounceDelta>();
  /** User key (latin1) → how many counters it has here. */
  readonly users = new Map<string, number>();

  addCounter(key: string, userId: string, counter: PeerCounter): void {
    this.counters.set(key, counter);
    this.users.set(userId, (this.users.get(userId) ?? 0) + 1);
  }

  removeCounter(key: string, userId: string): void {
    if (!this.counters.delete(key)) return;
    const n = (this.users.get(userId) ?? 1) - 1;
    if (n <= 0) this.users.delete(userId);
    else this.users.set(userId, n);
  }
}
