/**
 * What privtrak remembers of one (user, torrent, peer) between announces: the cumulative
 * counters it last reported, when, and whether it was seeding. The buffers are owned copies
 * (a request's buffers may be views of a frontend's reused memory).
 */
export class PeerCounter {
  uploaded: number;
  downloaded: number;
  left: number;
  /** Milliseconds (the privtrak clock) of the last announce. */
  lastAnnounce: number;
  /** A `completed` was already credited for this peer: later ones are not snatches again. */
  completed: boolean;
  readonly userKey: Buffer;
  readonly infoHash: Buffer;
  readonly peerId: Buffer;
  readonly client: string;

  constructor(
    userKey: Buffer,
    infoHash: Buffer,
    peerId: Buffer,
    client: string,
    uploaded: number,
    downloaded: number,
    left: number,
    lastAnnounce: number,
    completed: boolean,
  ) {
    this.userKey = userKey;
    this.infoHash = infoHash;
    this.peerId = peerId;
    this.client = client;
    this.uploaded = uploaded;
    this.downloaded = downloaded;
    this.left = left;
    this.lastAnnounce = lastAnnounce;
    this.completed = completed;
  }
}

/**
 * The client prefix of a peer id (Azureus style "-qB4650-", or the first 8 bytes otherwise),
 * printable ASCII only (and no quote or backslash) so it can be stored as text.
 */
export function clientOf(peerId: Buffer): string {
  let s = '';
  const n = Math.min(8, peerId.length);
  for (let i = 0; i < n; i++) {
    const b = peerId[i]!;
    // No '"' or '\\' either, so the spool can write it into JSON without escaping.
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : '?';
  }
  return s;
}
