import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import type { AnnounceDelta } from '../../backend/backend.js';
import type { AnnounceRequest, AnnounceResponse } from '../../bittorrent/announce.js';
import { ClientError } from '../../bittorrent/errors.js';
import { EVENT_COMPLETED, EVENT_STOPPED } from '../../bittorrent/event.js';
import { createLogger } from '../../log/logger.js';
import type { Logger } from '../../log/logger.js';
import { deltaKey, mergeDelta } from './announce-delta-codec.js';
import type { DeltaHandler } from './delta-handler.js';
import { DeltaFlusher } from './delta-flusher.js';
import type { BatchSource } from './delta-flusher.js';
import { DeltaSpool } from './delta-spool.js';
import type { SpooledBatch } from './delta-spool.js';
import { PeerCounter, clientOf } from './peer-counter.js';
import { PrivtrakMetrics } from './privtrak-metrics.js';
import type { PrivtrakOptions } from './privtrak-options.js';
import { PrivtrakShard } from './privtrak-shard.js';
import type { TorrentLookup } from './torrent-lookup.js';
import { PasskeyUserIdentifier } from './user-identifier.js';
import type { UserIdentifier } from './user-identifier.js';

/** What privtrak works with besides its options. */
export interface PrivtrakDeps {
  handler: DeltaHandler;
  torrents: TorrentLookup;
  /** Default: MD5 of the passkey (PasskeyUserIdentifier). */
  identifier?: UserIdentifier;
  /** Where the metrics go; default a private registry nobody scrapes. */
  registry?: Registry;
  log?: Logger;
  /** Milliseconds; default Date.now. Tests inject their own. */
  now?: () => number;
  /** Start the flush and sweep timers (default true); tests call flush() and sweep() instead. */
  timers?: boolean;
}

/**
 * Private-tracker accounting: turns announces into per-(user, torrent, peer) deltas, keeps
 * them pending (and spooled) until a batch carrying them is accepted by the handler. See
 * docs/accounting.md for the rules and the guarantees.
 */
export class Privtrak implements BatchSource {
  private readonly o: PrivtrakOptions;
  private readonly torrents: TorrentLookup;
  private readonly identifier: UserIdentifier;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly shards: PrivtrakShard[];
  private readonly spool: DeltaSpool | null;
  private readonly metrics: PrivtrakMetrics;
  private readonly batchPrefix = randomBytes(8).toString('hex');
  private batchSeq = 0;
  private nextShard = 0;
  /** Keys pending in the shards, all together (BatchSource). */
  pendingKeys = 0;
  private readonly flusher: DeltaFlusher;
  private flushScheduled = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  /**
   * Peers whose newest state in the spool at start is inactive (they stopped, or were purged).
   * The backend's row of such a peer can still say active, with older counters: the delta that
   * deletes it was pending or in doubt. restoreCounters() must not bring them back from there.
   */
  private readonly stoppedInSpool = new Set<string>();

  private constructor(o: PrivtrakOptions, deps: PrivtrakDeps, spool: DeltaSpool | null) {
    this.o = o;
    this.torrents = deps.torrents;
    this.identifier = deps.identifier ?? new PasskeyUserIdentifier(o.userCacheSize);
    this.log = deps.log ?? createLogger('silent');
    this.now = deps.now ?? Date.now;
    this.spool = spool;
    this.shards = [];
    for (let i = 0; i < o.shards; i++) this.shards.push(new PrivtrakShard());
    this.metrics = new PrivtrakMetrics(deps.registry ?? new Registry(), {
      users: () => this.userCount,
      counters: () => this.counterCount,
      pending: () => this.pendingCount,
      spoolBytes: () => this.spool?.bytes ?? 0,
    });
    this.flusher = new DeltaFlusher(
      deps.handler,
      this,
      this.metrics,
      this.log,
      this.now,
      o.retryMin,
      o.retryMax,
    );
  }

  /**
   * Starts privtrak: locks and replays the spool (batches in doubt are resent under their ids,
   * pending deltas and their peers' counters are restored), then starts the timers.
   */
  static open(options: PrivtrakOptions, deps: PrivtrakDeps): Privtrak {
    let spool: DeltaSpool | null = null;
    let p: Privtrak;
    if (options.spool !== null) {
      const opened = DeltaSpool.open(options.spool, options.spoolSync);
      spool = opened.spool;
      p = new Privtrak(options, deps, spool);
      p.resume(opened.replay.inDoubt, opened.replay.pending.values());
      p.restoreCounters(opened.replay.latest.values());
      for (const [key, d] of opened.replay.latest) if (!d.active) p.stoppedInSpool.add(key);
      const r = opened.replay;
      if (r.skipped > 0) {
        p.log.warn(
          { code: 'SHOAL_E_SPOOL_DAMAGED', skipped: r.skipped, spool: options.spool },
          'privtrak spool had unreadable lines (a torn last write is expected after a power cut)',
        );
      }
      if (r.inDoubt.length > 0 || r.pending.size > 0) {
        p.log.info(
          { batches: r.inDoubt.length, pending: r.pending.size, spool: options.spool },
          'privtrak resumed from its spool',
        );
      }
    } else {
      p = new Privtrak(options, deps, null);
    }
    if (deps.timers !== false) p.startTimers();
    return p;
  }

  private resume(inDoubt: readonly SpooledBatch[], pending: Iterable<AnnounceDelta>): void {
    for (const b of inDoubt) this.flusher.add(b);
    for (const d of pending) {
      this.shardOf(d.userKey).pending.set(deltaKey(d), d);
      this.pendingKeys++;
    }
  }

  /**
   * Restores peers' counters (baselines) from their last known state, so that their next
   * announce credits only what is new instead of re-baselining. Called with the spool's
   * content at start; the backend may also feed it the `peers` rows it loads (their reported
   * counters are what the last batch wrote). A peer that already has a counter keeps it, as does
   * one whose state is older than `peerLifetime`; an inactive state removes nothing. A peer whose
   * newest state in the spool was inactive stays without a counter: its next announce sets a
   * baseline, as after any `stopped`, instead of being credited from an older backend row.
   */
  restoreCounters(states: Iterable<AnnounceDelta>): void {
    const cutoff = this.now() - this.o.peerLifetime * 1000;
    for (const d of states) {
      if (!d.active || d.lastAnnounce * 1000 < cutoff) continue;
      const shard = this.shardOf(d.userKey);
      const key = deltaKey(d);
      if (shard.counters.has(key) || this.stoppedInSpool.has(key)) continue;
      this.restoreCounter(shard, key, d);
    }
  }

  private restoreCounter(shard: PrivtrakShard, key: string, d: AnnounceDelta): void {
    const userId = d.userKey.toString('latin1');
    const c = new PeerCounter(
      d.userKey,
      d.infoHash,
      d.peerId,
      d.client,
      d.reportedUploaded,
      d.reportedDownloaded,
      d.left,
      d.lastAnnounce * 1000,
      d.snatched,
    );
    shard.addCounter(key, userId, c);
  }

  private startTimers(): void {
    const flush = setInterval(() => void this.flush(), this.o.flushInterval * 1000);
    flush.unref();
    this.timers.push(flush);
    // One sweep timer per shard, staggered so that shards are not all swept at once.
    const every = Math.min(this.o.peerLifetime, 60) * 1000;
    for (let i = 0; i < this.shards.length; i++) {
      const start = setTimeout(
        () => {
          const t = setInterval(() => this.sweep(i), every);
          t.unref();
          this.timers.push(t);
          this.sweep(i);
        },
        Math.floor((every * i) / this.shards.length),
      );
      start.unref();
      this.timers.push(start);
    }
  }

  private shardOf(userKey: Buffer): PrivtrakShard {
    return this.shards[userKey[0]! % this.shards.length]!;
  }

  /**
   * Accounts one announce (the pre-hook). Synchronous: the delta is in the spool (when there is
   * one) before this returns, so before the client is answered. Throws a ClientError when too
   * much is pending; the peer's counter is then untouched, so its next announce credits it all.
   */
  record(req: AnnounceRequest): void {
    const user = this.identifier.identify(req);
    if (user === undefined) return; // no passkey: nothing to account (the passkey hook decides)
    const torrent = this.torrents.torrentByInfoHash(req.infoHashKey);
    if (torrent === undefined) return; // unregistered torrent: private routing rejects it
    // A hybrid torrent announced under its v2 hash is counted under its canonical hash.
    const ihKey =
      torrent.infoHashV2 === null || torrent.infoHash.equals(req.infoHash)
        ? req.infoHashKey
        : torrent.infoHash.toString('latin1');
    const key = user.id + ihKey + req.peerId.toString('latin1');
    const shard = this.shards[user.key[0]! % this.shards.length]!;
    const pending = shard.pending.get(key);
    if (pending === undefined || this.closed) this.checkRoom();
    const counter = shard.counters.get(key);
    const now = this.now();
    let up = 0;
    let down = 0;
    let seed = 0;
    let snatched = req.event === EVENT_COMPLETED;
    if (counter !== undefined) {
      // A counter that went down (the client restarted) credits nothing and re-baselines.
      const du = req.uploaded - counter.uploaded;
      if (du > 0) up = Math.floor(du * torrent.uploadFactor);
      const dd = req.downloaded - counter.downloaded;
      if (dd > 0) down = Math.floor(dd * torrent.downloadFactor);
      if (counter.left === 0) {
        // Whole seconds on both ends, so seed time adds up exactly across announces.
        seed = Math.floor(now / 1000) - Math.floor(counter.lastAnnounce / 1000);
        if (seed < 0) seed = 0;
        else if (seed > this.o.peerLifetime) seed = this.o.peerLifetime;
      }
      if (counter.completed) snatched = false;
    }
    const active = req.event !== EVENT_STOPPED;
    const peerId = counter !== undefined ? counter.peerId : Buffer.from(req.peerId);
    const delta: AnnounceDelta = {
      userKey: user.key,
      infoHash: torrent.infoHash,
      peerId,
      uploaded: up,
      downloaded: down,
      seedTime: seed,
      reportedUploaded: req.uploaded,
      reportedDownloaded: req.downloaded,
      left: req.left,
      lastAnnounce: Math.floor(now / 1000),
      client: counter !== undefined ? counter.client : clientOf(peerId),
      snatched,
      active,
      seeders: -1,
      leechers: -1,
    };
    // Spool first: if it throws, nothing in memory has changed and the client is not answered.
    if (this.spool !== null) this.spool.appendDelta(delta);
    if (!active) {
      if (counter !== undefined) shard.removeCounter(key, user.id);
    } else if (counter !== undefined) {
      counter.uploaded = req.uploaded;
      counter.downloaded = req.downloaded;
      counter.left = req.left;
      counter.lastAnnounce = now;
      if (snatched) counter.completed = true;
    } else {
      shard.addCounter(
        key,
        user.id,
        new PeerCounter(
          user.key,
          torrent.infoHash,
          peerId,
          delta.client,
          req.uploaded,
          req.downloaded,
          req.left,
          now,
          snatched,
        ),
      );
    }
    this.addPending(shard, key, pending, delta);
  }

  private checkRoom(): void {
    if (this.closed) {
      throw new ClientError('tracker is shutting down, retry later', this.o.busyRetryIn);
    }
    if (this.pendingCount < this.o.maxPending) return;
    this.metrics.busyRejections.inc();
    this.scheduleFlush();
    const s = this.o.busyRetryIn;
    throw new ClientError(
      `tracker is busy saving transfer statistics; your announce was not counted, retry in ${s} seconds`,
      s,
    );
  }

  private addPending(
    shard: PrivtrakShard,
    key: string,
    pending: AnnounceDelta | undefined,
    delta: AnnounceDelta,
  ): void {
    if (pending !== undefined) {
      mergeDelta(pending, delta);
      return;
    }
    shard.pending.set(key, delta);
    if (++this.pendingKeys >= this.o.maxBatch) this.scheduleFlush();
  }

  /**
   * The post-hook: swarm counts of the reply, written to the torrent row with the peer's
   * pending delta (best effort: -1 means "unknown", and the backend leaves counts alone).
   */
  noteSwarm(req: AnnounceRequest, res: AnnounceResponse): void {
    const user = this.identifier.identify(req);
    if (user === undefined) return;
    const torrent = this.torrents.torrentByInfoHash(req.infoHashKey);
    if (torrent === undefined) return;
    const key = user.id + torrent.infoHash.toString('latin1') + req.peerId.toString('latin1');
    const d = this.shards[user.key[0]! % this.shards.length]!.pending.get(key);
    if (d === undefined) return;
    d.seeders = res.complete;
    d.leechers = res.incomplete;
  }

  /**
   * Purges the counters of one shard not announced for `peerLifetime`: each leaves an inactive
   * delta (its peer row is deleted) that goes out with the next batch.
   */
  sweep(shardIndex: number): void {
    const shard = this.shards[shardIndex];
    if (shard === undefined || this.closed) return;
    const t0 = performance.now();
    const cutoff = this.now() - this.o.peerLifetime * 1000;
    for (const [key, c] of shard.counters) {
      if (c.lastAnnounce >= cutoff) continue;
      const delta: AnnounceDelta = {
        userKey: c.userKey,
        infoHash: c.infoHash,
        peerId: c.peerId,
        uploaded: 0,
        downloaded: 0,
        seedTime: 0,
        reportedUploaded: c.uploaded,
        reportedDownloaded: c.downloaded,
        left: c.left,
        lastAnnounce: Math.floor(c.lastAnnounce / 1000),
        client: c.client,
        snatched: false,
        active: false,
        seeders: -1,
        leechers: -1,
      };
      try {
        if (this.spool !== null) this.spool.appendDelta(delta);
      } catch (err) {
        // Keep the counter: the next sweep tries again.
        this.log.error({ err, code: 'SHOAL_E_SPOOL' }, 'privtrak sweep cannot write the spool');
        break;
      }
      shard.removeCounter(key, c.userKey.toString('latin1'));
      this.addPending(shard, key, shard.pending.get(key), delta);
    }
    this.metrics.sweepDuration.observe((performance.now() - t0) / 1000);
  }

  /** Sweeps every shard (tests, tools). */
  sweepAll(): void {
    for (let i = 0; i < this.shards.length; i++) this.sweep(i);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flusher.busy || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  /**
   * Sends everything pending, in batches of at most `maxBatch`, one batch in flight at a time;
   * stops at the first failure (the batch is resent after a backoff). Never rejects. Resolves
   * true when nothing is left.
   */
  flush(): Promise<boolean> {
    return this.flusher.flush();
  }

  /**
   * Takes up to maxBatch pending deltas, shards in turn. The batch record is written to the
   * spool before the deltas leave the pending maps: if that write fails, nothing moved.
   */
  takeBatch(): SpooledBatch | undefined {
    if (this.pendingKeys === 0) return undefined;
    const keys: string[] = [];
    const owners: PrivtrakShard[] = [];
    const deltas: AnnounceDelta[] = [];
    const n = this.shards.length;
    for (let s = 0; s < n && deltas.length < this.o.maxBatch; s++) {
      const shard = this.shards[(this.nextShard + s) % n]!;
      for (const [key, d] of shard.pending) {
        keys.push(key);
        owners.push(shard);
        deltas.push(d);
        if (deltas.length >= this.o.maxBatch) break;
      }
    }
    this.nextShard = (this.nextShard + 1) % n;
    const batch: SpooledBatch = { id: `${this.batchPrefix}-${++this.batchSeq}`, deltas };
    try {
      if (this.spool !== null) this.spool.appendBatch(batch);
    } catch (err) {
      this.log.error({ err, code: 'SHOAL_E_SPOOL' }, 'privtrak cannot write a batch to the spool');
      this.flusher.failed();
      return undefined;
    }
    for (let i = 0; i < keys.length; i++) owners[i]!.pending.delete(keys[i]!);
    this.pendingKeys -= keys.length;
    this.flusher.add(batch);
    return batch;
  }

  /** BatchSource: the handler accepted `batch`; record it in the spool. */
  committed(batch: SpooledBatch): void {
    const spool = this.spool;
    if (spool === null) return;
    try {
      if (this.pendingKeys === 0 && this.flusher.inDoubt.length === 0) {
        spool.truncate();
      } else {
        // Without this marker a restart resends the batch under the same id: harmless to an
        // idempotent handler, so a failure here is logged, not fatal.
        spool.appendCommit(batch.id);
        if (spool.bytes > this.o.spoolCompactBytes) {
          spool.rewrite(this.flusher.inDoubt, this.allPending());
        }
      }
    } catch (err) {
      this.log.error({ err, code: 'SHOAL_E_SPOOL' }, 'privtrak cannot update its spool');
    }
  }

  private *allPending(): Generator<AnnounceDelta> {
    for (const shard of this.shards) yield* shard.pending.values();
  }

  /** Deltas not accepted by the handler yet: pending keys plus deltas of batches in doubt. */
  get pendingCount(): number {
    return this.pendingKeys + this.flusher.inDoubtDeltas;
  }

  get counterCount(): number {
    let n = 0;
    for (const s of this.shards) n += s.counters.size;
    return n;
  }

  get userCount(): number {
    let n = 0;
    for (const s of this.shards) n += s.users.size;
    return n;
  }

  /**
   * Stops the timers and sends everything pending, retrying failed batches for up to
   * `closeTimeout` seconds. What is still not accepted then stays in the spool for the next
   * start (or, without a spool, is logged as lost).
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await this.flusher.finish(this.o.closeTimeout);
    const left = this.pendingCount;
    if (left > 0) {
      if (this.spool !== null) {
        this.log.warn(
          { code: 'SHOAL_E_PRIVTRAK_CLOSE', deltas: left, spool: this.spool.path },
          'privtrak could not send every delta; they stay in the spool for the next start',
        );
      } else {
        this.log.error(
          { code: 'SHOAL_E_PRIVTRAK_LOST', deltas: left },
          'privtrak could not send every delta and has no spool: they are lost',
        );
      }
    }
    this.spool?.close();
  }
}
