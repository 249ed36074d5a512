import type { AnnounceRequest, AnnounceResponse, ScrapeEntry } from '../bittorrent/announce.js';

/**
 * Swarm storage. One call per announce does the write, the counts and the peer selection, so a
 * shared driver (Redis) can do it in one round trip and two peers announcing at the same moment
 * see each other.
 *
 * Methods may return a promise; the memory driver never does, and callers keep its path
 * synchronous.
 */
export interface PeerStore {
  /**
   * Applies the announce to the swarm of `req.infoHash`, then fills `res` with the swarm's
   * counts (after the write) and up to `numWant` peers of `req.family`:
   * - `stopped`: the peer is removed and no peers are returned;
   * - `left == 0` or `completed`: the peer is a seeder; `completed` of a peer that was not
   *   already a seeder counts one download;
   * - otherwise the peer is a leecher.
   * The announcing peer is never returned; seeders are given only leechers.
   */
  announce(req: AnnounceRequest, numWant: number, res: AnnounceResponse): void | Promise<void>;

  /** Fills `into` with the counts of one swarm (zeros if unknown). */
  scrape(infoHashKey: string, into: ScrapeEntry): void | Promise<void>;

  /** Stops background work and releases resources. */
  close(): Promise<void>;
}
