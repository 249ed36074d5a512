import type { Logger } from '../log/logger.js';
import type { BackendChange, BackendConnection, TorrentRecord, UserRecord } from './backend.js';

export interface DirectoryOptions {
  /** Seconds between full reloads when the backend cannot push changes (or `subscribe` is off). */
  refreshSeconds: number;
  log: Logger;
  /** Use the backend's `subscribe` when it has one (default true). */
  subscribe?: boolean;
}

/**
 * Every user and torrent of a private tracker, in memory: announces look them up here and never
 * query the database. Loaded in full at start; kept fresh by the backend's change notifications
 * (one row reloaded per change, a full reload after a reconnect) or, without them, by a full
 * reload every `refreshSeconds`. Refreshes run one at a time, in order, so a row reloaded after
 * a full reload is never overwritten by the older snapshot.
 */
export class Directory {
  private readonly backend: BackendConnection;
  private readonly opts: DirectoryOptions;
  private usersByPasskey = new Map<string, UserRecord>();
  /** By `UserRecord.key` as a latin1 string. */
  private usersByKey = new Map<string, UserRecord>();
  private usersById = new Map<number, UserRecord>();
  /** By both info hashes of a torrent, as latin1 strings. */
  private torrentsByHash = new Map<string, TorrentRecord>();
  private torrentsById = new Map<number, TorrentRecord>();
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private closed = false;
  /** A full reload is queued and has not started: another one would add nothing. */
  private fullQueued = false;

  private constructor(backend: BackendConnection, opts: DirectoryOptions) {
    this.backend = backend;
    this.opts = opts;
  }

  /** Loads everything (rejects if the backend cannot), then starts keeping it fresh. */
  static async load(backend: BackendConnection, opts: DirectoryOptions): Promise<Directory> {
    const d = new Directory(backend, opts);
    if (opts.subscribe !== false && backend.subscribe !== undefined) {
      // Subscribe before the first load: a change made during the load is not missed.
      d.unsubscribe = await backend.subscribe(
        (c) => d.enqueue(() => d.reloadRow(c)),
        () => d.enqueueFull(),
      );
    } else {
      d.timer = setInterval(() => d.enqueueFull(), opts.refreshSeconds * 1000);
      d.timer.unref();
    }
    try {
      // Through the queue: a row reload notified meanwhile runs after it, not under it.
      await d.refresh();
    } catch (err) {
      await d.close();
      throw err;
    }
    return d;
  }

  /** Whether changes are pushed by the backend (else polled). */
  get subscribed(): boolean {
    return this.unsubscribe !== null;
  }

  get userCount(): number {
    return this.usersById.size;
  }

  get torrentCount(): number {
    return this.torrentsById.size;
  }

  userByPasskey(passkey: string): UserRecord | undefined {
    return this.usersByPasskey.get(passkey);
  }

  /** `key` is the 16-byte user ID as a latin1 string. */
  userByKey(key: string): UserRecord | undefined {
    return this.usersByKey.get(key);
  }

  userById(id: number): UserRecord | undefined {
    return this.usersById.get(id);
  }

  /** Either hash of a torrent (v1, or the truncated v2 of a hybrid), as a latin1 string. */
  torrentByInfoHash(infoHashKey: string): TorrentRecord | undefined {
    return this.torrentsByHash.get(infoHashKey);
  }

  torrentById(id: number): TorrentRecord | undefined {
    return this.torrentsById.get(id);
  }

  /** Reloads everything now (after pending refreshes); rejects if the backend fails. */
  refresh(): Promise<void> {
    const p = this.queue.then(() => this.reloadAll());
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Reloads one user or torrent now (after pending refreshes), as a change notification
   * would: a change made by the tracker itself (the admin API) is seen by the next announce
   * without waiting for the backend's notification or the next poll. Rejects if the backend
   * fails (the previous row is kept).
   */
  refreshRow(change: BackendChange): Promise<void> {
    const p = this.queue.then(() => this.reloadRow(change));
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Resolves once every refresh queued so far has run (tests). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** Stops refreshing. The backend stays open: its owner closes it. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    if (unsubscribe !== null) await unsubscribe();
    await this.queue;
  }

  /** Runs `task` after the ones before it; a failure is logged and the previous state kept. */
  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.opts.log.error(
        { err, code: 'SHOAL_E_DIRECTORY' },
        'reloading users/torrents failed; keeping the previous ones',
      );
    });
  }

  private enqueueFull(): void {
    if (this.fullQueued) return;
    this.fullQueued = true;
    this.enqueue(() => {
      this.fullQueued = false;
      return this.reloadAll();
    });
  }

  private async reloadAll(): Promise<void> {
    if (this.closed) return;
    const [users, torrents] = await Promise.all([
      this.backend.loadUsers(),
      this.backend.loadTorrents(),
    ]);
    const byPasskey = new Map<string, UserRecord>();
    const byKey = new Map<string, UserRecord>();
    const byId = new Map<number, UserRecord>();
    for (const u of users) {
      byPasskey.set(u.passkey, u);
      byKey.set(u.key.toString('latin1'), u);
      byId.set(u.id, u);
    }
    const byHash = new Map<string, TorrentRecord>();
    const tById = new Map<number, TorrentRecord>();
    for (const t of torrents) {
      byHash.set(t.infoHash.toString('latin1'), t);
      if (t.infoHashV2 !== null) byHash.set(t.infoHashV2.toString('latin1'), t);
      tById.set(t.id, t);
    }
    // Swapped at once: an announce sees the old set or the new one, never half of each.
    this.usersByPasskey = byPasskey;
    this.usersByKey = byKey;
    this.usersById = byId;
    this.torrentsByHash = byHash;
    this.torrentsById = tById;
    this.opts.log.debug({ users: byId.size, torrents: tById.size }, 'users and torrents loaded');
  }

  private async reloadRow(change: BackendChange): Promise<void> {
    if (this.closed) return;
    if (change.kind === 'user') {
      const [u] = await this.backend.loadUsers([change.id]);
      const old = this.usersById.get(change.id);
      if (old !== undefined) {
        this.usersByPasskey.delete(old.passkey);
        this.usersByKey.delete(old.key.toString('latin1'));
        this.usersById.delete(old.id);
      }
      if (u !== undefined) {
        this.usersByPasskey.set(u.passkey, u);
        this.usersByKey.set(u.key.toString('latin1'), u);
        this.usersById.set(u.id, u);
      }
    } else {
      const [t] = await this.backend.loadTorrents([change.id]);
      const old = this.torrentsById.get(change.id);
      if (old !== undefined) {
        this.torrentsByHash.delete(old.infoHash.toString('latin1'));
        if (old.infoHashV2 !== null) this.torrentsByHash.delete(old.infoHashV2.toString('latin1'));
        this.torrentsById.delete(old.id);
      }
      if (t !== undefined) {
        this.torrentsByHash.set(t.infoHash.toString('latin1'), t);
        if (t.infoHashV2 !== null) this.torrentsByHash.set(t.infoHashV2.toString('latin1'), t);
        this.torrentsById.set(t.id, t);
      }
    }
  }
}
