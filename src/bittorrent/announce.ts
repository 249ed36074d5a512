import type { Family } from './address.js';
import type { AnnounceEvent } from './event.js';
import { EVENT_NONE } from './event.js';

const EMPTY = Buffer.alloc(0);

/** Which frontend a request came through. */
export type Protocol = 'http' | 'udp' | 'ws';

/**
 * One announce, as every frontend produces it. Every field gets its initial value here so all
 * requests share one hidden class (monomorphic access on the hot path).
 */
export class AnnounceRequest {
  protocol: Protocol = 'http';
  /** 20 bytes (BEP 3 SHA-1, or a BEP 52 SHA-256 truncated to 20 bytes). */
  infoHash: Buffer = EMPTY;
  /** `infoHash` as a latin1 string: the map key for swarms. */
  infoHashKey = '';
  /** 20 bytes. */
  peerId: Buffer = EMPTY;
  port = 0;
  uploaded = 0;
  downloaded = 0;
  left = 0;
  event: AnnounceEvent = EVENT_NONE;
  /** Peers the client asked for; -1 when it did not say. */
  numWant = -1;
  /** Most peers the transport can carry in one reply (UDP: one unfragmented datagram). */
  maxPeers = Number.MAX_SAFE_INTEGER;
  compact = true;
  noPeerId = false;
  /** BEP 7 / BEP 15 `key`: text over HTTP, a 32-bit number over UDP. */
  key: string | number = '';
  /** Family of the peer's address (the address swarms store, not always the socket's). */
  family: Family = 4;
  /** The peer's compact form: 4-byte IPv4 + port (6 bytes) or 16-byte IPv6 + port (18 bytes). */
  peer: Buffer = EMPTY;
  /** The address the request came from, as 4 or 16 bytes (BEP 24 `external ip`). */
  clientIp: Buffer = EMPTY;
  /** Private trackers: the passkey from the path or from BEP 41 URL data; '' when absent. */
  passkey = '';
}

/** The tracker's answer to an announce. The store fills counts and peers. */
export class AnnounceResponse {
  interval = 0;
  minInterval = 0;
  /** Seeders in the swarm (both families). */
  complete = 0;
  /** Leechers in the swarm (both families). */
  incomplete = 0;
  /** Completed downloads ("snatches") counted by this tracker. */
  downloaded = 0;
  /**
   * Compact peers of the request's family, `peerCount` records of 6 or 18 bytes. May be a view
   * of a buffer the store reuses: read it before the next announce on the same store.
   */
  peers: Buffer = EMPTY;
  peerCount = 0;
  /** Family of `peers`. */
  family: Family = 4;

  /** Copies `peers` out of a shared buffer, for responses delivered after an `await`. */
  detach(): void {
    if (this.peers.length > 0) this.peers = Buffer.from(this.peers);
  }
}

/** Counts for one info hash. */
export class ScrapeEntry {
  complete = 0;
  incomplete = 0;
  downloaded = 0;
}
