/**
 * What a private tracker's accounting must add up to, computed from the announces a tracker
 * acknowledged, written from the rules of docs/accounting.md and nothing of Shoal's code (the
 * load test compares the database with it):
 *
 * - a peer is one (user, torrent, peer id); a hybrid torrent is one torrent whichever of its two
 *   hashes is announced, so one client announcing under both is credited once;
 * - its first announce (or the first after a `stopped`) credits nothing and sets the baseline;
 * - after that, each of `uploaded` and `downloaded` that grew credits its increase times the
 *   torrent's factor, floored, per announce; one that went down (a client restart) credits
 *   nothing and becomes the new baseline;
 * - a `completed` announce makes one snatch per (user, torrent), however often it comes;
 * - `stopped` credits its increase and drops the peer: no peer row remains.
 */
export class AccountingModel {
  /** Credited bytes per user index. */
  readonly uploaded: number[];
  readonly downloaded: number[];
  /** `${user}:${torrent}` of every acknowledged `completed`. */
  readonly snatches = new Set<string>();
  /** The last acknowledged state of every peer that has not stopped, by `peerKey`. */
  readonly peers = new Map<string, ModelPeerState>();
  /** Announces acknowledged. */
  acknowledged = 0;

  constructor(
    users: number,
    private readonly factors: ReadonlyArray<{ upload: number; download: number }>,
  ) {
    this.uploaded = new Array<number>(users).fill(0);
    this.downloaded = new Array<number>(users).fill(0);
  }

  /** The tracker acknowledged this announce with a non-failure reply. */
  acknowledge(a: ModelAnnounce): void {
    this.acknowledged++;
    const f = this.factors[a.torrent];
    if (f === undefined) throw new Error(`no torrent ${a.torrent}`);
    const key = peerKey(a.user, a.torrent, a.peerId);
    const last = this.peers.get(key);
    if (last !== undefined) {
      if (a.uploaded > last.uploaded) {
        this.uploaded[a.user]! += Math.floor((a.uploaded - last.uploaded) * f.upload);
      }
      if (a.downloaded > last.downloaded) {
        this.downloaded[a.user]! += Math.floor((a.downloaded - last.downloaded) * f.download);
      }
    }
    if (a.event === 'completed') this.snatches.add(`${a.user}:${a.torrent}`);
    if (a.event === 'stopped') this.peers.delete(key);
    else {
      this.peers.set(key, { uploaded: a.uploaded, downloaded: a.downloaded, left: a.left });
    }
  }

  /** Snatches of one torrent (distinct users). */
  snatchesOf(torrent: number): number {
    let n = 0;
    for (const s of this.snatches) if (s.endsWith(`:${torrent}`)) n++;
    return n;
  }
}

/** One announce as the model sees it (the torrent by index, whichever hash carried it). */
export interface ModelAnnounce {
  user: number;
  torrent: number;
  peerId: Buffer;
  uploaded: number;
  downloaded: number;
  left: number;
  event: 'started' | 'completed' | 'stopped' | '';
}

export interface ModelPeerState {
  uploaded: number;
  downloaded: number;
  left: number;
}

/** The model's key of a peer. */
export function peerKey(user: number, torrent: number, peerId: Buffer): string {
  return `${user}:${torrent}:${peerId.toString('hex')}`;
}
