import type { AnnounceRequest, AnnounceResponse, ScrapeEntry } from '../bittorrent/announce.js';

/**
 * Swarm storage: per info hash, the seeders and leechers that announced within the peer
 * lifetime, plus the count of completed downloads.
 *
 * Conventions shared by every method:
 * - An info hash is given as its 20 bytes in a latin1 string (`AnnounceRequest.infoHashKey`).
 * - A peer is its compact form: 4-byte IPv4 address + 2-byte port (6 bytes), or 16-byte IPv6
 *   address + port (18 bytes). The length is the family: IPv4 and IPv6 peers of one swarm are
 *   kept apart and only ever returned to peers of their own family, while the counts (complete,
 *   incomplete) cover both. A peer is identified by its endpoint (address and port).
 * - Methods may return a promise; the memory driver never does, and callers keep its path
 *   synchronous by testing the result for `undefined` rather than always awaiting.
 * - A driver gets its clock (`now`, in seconds), the peer lifetime and the largest numWant
 *   from its PeerStoreContext, so tests can drive expiry with a fake clock. Callers never pass
 *   a numWant above that largest one.
 * - Calls may overlap (a shared driver is awaited while others start); each call is atomic:
 *   two announces at the same moment both land, and each sees the other or is seen by it.
 * - A peer of any other length than 6 or 18 bytes is a caller error (the memory driver throws
 *   a RangeError).
 *
 * `peerStoreSuite` (in `shoal/testing`) checks every documented behaviour against a driver.
 */
export interface PeerStore {
  /**
   * One announce in one call (a shared driver does it in one round trip): applies the request
   * to the swarm of `req.infoHashKey`, then fills `res` with the swarm's counts after the write
   * and min(`numWant`, peers it may be given) distinct peers of `req.family` (`res.peers`
   * holds exactly `res.peerCount` compact records, and is empty when there are none):
   * - `stopped`: the peer is removed; no peers are returned.
   * - `left == 0` or event `completed`: the peer is (or becomes) a seeder; `completed` from a
   *   peer that was not already a seeder counts one download.
   * - otherwise the peer is (or becomes) a leecher; a seeder that leeches again moves back.
   * The announcing peer is never returned, and seeders are given only leechers. Which peers are
   * returned, when there are more than `numWant`, is random: every candidate has a fair chance
   * on every announce. `res.peers` may be a view of a buffer the driver reuses: callers read
   * it before the next call on the same store.
   */
  announce(req: AnnounceRequest, numWant: number, res: AnnounceResponse): void | Promise<void>;

  /** Fills `into` with the counts of one swarm; zeros for an unknown info hash. */
  scrape(infoHashKey: string, into: ScrapeEntry): void | Promise<void>;

  /** Adds `peer` as a seeder (refreshing its last-seen time); a leecher of that endpoint moves. */
  putSeeder(infoHashKey: string, peer: Buffer): void | Promise<void>;

  /** Removes a seeder; false (and no change) if `peer` is not a seeder of that swarm. */
  deleteSeeder(infoHashKey: string, peer: Buffer): boolean | Promise<boolean>;

  /** Adds `peer` as a leecher (refreshing its last-seen time); a seeder of that endpoint moves. */
  putLeecher(infoHashKey: string, peer: Buffer): void | Promise<void>;

  /** Removes a leecher; false (and no change) if `peer` is not a leecher of that swarm. */
  deleteLeecher(infoHashKey: string, peer: Buffer): boolean | Promise<boolean>;

  /**
   * A leecher finished: it becomes a seeder and the swarm counts one download. A peer that was
   * not a leecher (unknown, or already a seeder) becomes or stays a seeder and counts nothing.
   */
  graduateLeecher(infoHashKey: string, peer: Buffer): void | Promise<void>;

  /**
   * Expiry, now: drops every peer whose last announce or put is older than the peer lifetime
   * (to the driver's documented resolution, at most lifetime/16), however long it has been since
   * the last sweep. A swarm left with no peers may be forgotten here, its download count with
   * it; `stopped` and deletes keep the count of a swarm they empty. Drivers may also expire in the background; until swept, an expired
   * peer may still be returned.
   */
  sweep(): void | Promise<void>;

  /** Stops background work and releases resources. Further calls are not allowed. */
  close(): Promise<void>;

  // Optional capabilities (operations: metrics, health, stats page, full scrape). Each walks
  // the store or talks to its server, so none is ever called per announce.

  /**
   * Optional: totals over every swarm, computed when asked (memory: one walk of the swarms;
   * redis: not offered, it would SCAN the whole keyspace at every metrics scrape).
   */
  stats?(): PeerStoreStats | Promise<PeerStoreStats>;

  /**
   * Optional: the counts of up to `limit` swarms, in no particular order (full scrape, top
   * torrents). Memory offers it; redis does not (it would SCAN every swarm key).
   */
  listSwarms?(limit: number): SwarmCounts[] | Promise<SwarmCounts[]>;

  /** Optional: rejects when the store's server is unreachable (readiness). Redis offers it. */
  ping?(): void | Promise<void>;
}

/** Totals of a PeerStore (`stats()`). */
export interface PeerStoreStats {
  swarms: number;
  seeders: number;
  leechers: number;
  /** Peers by address family (seeders and leechers together). */
  peers4: number;
  peers6: number;
  /** Expiry sweeps run since start, and the seconds they took in all. */
  sweeps: number;
  sweepSeconds: number;
}

/** One swarm's counts (`listSwarms()`). */
export interface SwarmCounts {
  /** The info hash's 20 bytes as a latin1 string. */
  infoHashKey: string;
  complete: number;
  incomplete: number;
  downloaded: number;
}
