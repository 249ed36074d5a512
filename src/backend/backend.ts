import type { Logger } from '../log/logger.js';

/**
 * A user of a private tracker as the tracker keeps it in memory. `key` is the 16-byte user ID
 * privtrak accounts under: by default MD5 of the passkey's UTF-8 bytes (an identifier, not a secret), which the
 * PostgreSQL schema computes as `users.user_key` so a batch can be joined on it.
 */
export interface UserRecord {
  id: number;
  passkey: string;
  key: Buffer;
  /** Credited totals in bytes (after factors). */
  uploaded: number;
  downloaded: number;
  canLeech: boolean;
  enabled: boolean;
}

/**
 * A registered torrent. `infoHash` is the v1 SHA-1 (or, for a v2-only torrent, the truncated
 * SHA-256); `infoHashV2` is the truncated v2 hash of a hybrid torrent. Both map to one torrent.
 * Factors apply to deltas when they are credited: 0 download = freeleech, 0 both = neutral,
 * 2 upload = double upload.
 */
export interface TorrentRecord {
  id: number;
  infoHash: Buffer;
  infoHashV2: Buffer | null;
  downloadFactor: number;
  uploadFactor: number;
  seeders: number;
  leechers: number;
  snatches: number;
}

export interface NewUser {
  passkey: string;
  canLeech?: boolean;
  enabled?: boolean;
}

export interface NewTorrent {
  infoHash: Buffer;
  infoHashV2?: Buffer | null;
  downloadFactor?: number;
  uploadFactor?: number;
}

/** Fields of a user to change (`updateUser`); absent fields are left as they are. */
export interface UserChanges {
  /** A new passkey (rotation): the old one stops working. */
  passkey?: string;
  canLeech?: boolean;
  enabled?: boolean;
}

/** Fields of a torrent to change (`updateTorrent`); absent fields are left as they are. */
export interface TorrentChanges {
  /** The truncated v2 hash of a hybrid torrent; null removes it. */
  infoHashV2?: Buffer | null;
  downloadFactor?: number;
  uploadFactor?: number;
}

/**
 * What one (user, torrent, peer) did since the last batch, aggregated. `uploaded`/`downloaded`
 * are the bytes to credit (already multiplied by the torrent's factors); the `reported*` and
 * `left` fields are the peer's latest cumulative values, written to its peer row.
 */
export interface AnnounceDelta {
  /** 16-byte user ID (UserRecord.key). */
  userKey: Buffer;
  /** The torrent's canonical info hash (TorrentRecord.infoHash), also for v2 announces. */
  infoHash: Buffer;
  /** 20 bytes. */
  peerId: Buffer;
  uploaded: number;
  downloaded: number;
  /** Seconds spent seeding in this delta. */
  seedTime: number;
  reportedUploaded: number;
  reportedDownloaded: number;
  left: number;
  /** Unix seconds of the latest announce folded into this delta. */
  lastAnnounce: number;
  /** The peer_id's client prefix (e.g. "-qB4650-"), printable. */
  client: string;
  /** A `completed` event was folded in: one snatch for (user, torrent). */
  snatched: boolean;
  /** False once the peer stopped or was purged: its peer row is deleted. */
  active: boolean;
  /** Swarm counts seen by the latest announce, written to the torrent row. */
  seeders: number;
  leechers: number;
}

/** A change seen in the database (LISTEN/NOTIFY): reload that row. */
export interface BackendChange {
  kind: 'user' | 'torrent';
  id: number;
}

/**
 * An open backend: safe to call concurrently. `recordAnnounce` applies one batch atomically
 * (all of it or none of it); a rejected batch may be retried, merged with newer deltas.
 */
export interface BackendConnection {
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * `batchId` (optional) makes a retried batch idempotent: a backend that records it in the
   * batch's transaction and skips an id it already applied counts every batch exactly once.
   */
  recordAnnounce(batch: readonly AnnounceDelta[], batchId?: string): Promise<void>;
  /** The users with these ids, or every user when `ids` is undefined. */
  loadUsers(ids?: readonly number[]): Promise<UserRecord[]>;
  /** The torrents with these ids, or every torrent when `ids` is undefined. */
  loadTorrents(ids?: readonly number[]): Promise<TorrentRecord[]>;
  getUserByPasskey(passkey: string): Promise<UserRecord | null>;
  /** Matches either hash of a hybrid torrent. */
  getTorrentByInfoHash(infoHash: Buffer): Promise<TorrentRecord | null>;
  addUser(user: NewUser): Promise<UserRecord>;
  deleteUser(id: number): Promise<boolean>;
  addTorrent(torrent: NewTorrent): Promise<TorrentRecord>;
  deleteTorrent(id: number): Promise<boolean>;
  /**
   * Capability: calls `onChange` for every user or torrent changed in the database, until the
   * returned function is called. Backends without it are polled. `onResync` (optional) runs
   * when the subscription was re-established after a gap in which changes may have been lost:
   * the caller reloads everything.
   */
  subscribe?(
    onChange: (change: BackendChange) => void,
    onResync?: () => void,
  ): Promise<() => Promise<void>>;
  /**
   * Capability: the peers (per-peer rows) that announced within the last `maxAgeSeconds`, as
   * deltas crediting nothing (their reported totals, `left`, last announce, whether the user
   * already snatched the torrent). Accounting restores its per-peer baselines from them at
   * start, so a peer's first announce after a restart is credited from its last recorded one.
   */
  loadPeerStates?(maxAgeSeconds: number): Promise<AnnounceDelta[]>;
  /**
   * Capability: changes a user (enable/disable, leeching, passkey rotation). Resolves with the
   * changed user, or null when no user has that id. A passkey another user has rejects with
   * code SHOAL_E_BACKEND_CONFLICT (as `addUser` does).
   */
  updateUser?(id: number, changes: UserChanges): Promise<UserRecord | null>;
  /**
   * Capability: changes a torrent's factors or v2 hash. Resolves with the changed torrent, or
   * null when no torrent has that id. A v2 hash another torrent has rejects with code
   * SHOAL_E_BACKEND_CONFLICT (as `addTorrent` does).
   */
  updateTorrent?(id: number, changes: TorrentChanges): Promise<TorrentRecord | null>;
}

export interface BackendContext {
  readonly log: Logger;
}

/** A backend driver: checks its options (throwing an Error naming the bad one) and connects. */
export interface BackendDriver {
  open(options: Readonly<Record<string, unknown>>, ctx: BackendContext): Promise<BackendConnection>;
}
