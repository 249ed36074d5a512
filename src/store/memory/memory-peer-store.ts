import type { AnnounceRequest, AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import { EVENT_COMPLETED, EVENT_STOPPED } from '../../bittorrent/event.js';
import { peerFamily } from '../peer-family.js';
import type { PeerStore, PeerStoreStats, SwarmCounts } from '../peer-store.js';
import { PeerList } from './peer-list.js';
import type { PeerListSnapshot, SwarmSnapshot } from './peer-snapshot.js';
import { Slab } from './slab.js';

/** One torrent's peers, IPv4 and IPv6 kept apart (allocated when first used). */
class Swarm {
  v4: PeerList | null = null;
  v6: PeerList | null = null;
  downloaded = 0;
  /** Unwrapped tick of this swarm's last expiry (or creation): where its tick window starts. */
  checked: number;

  constructor(tick: number) {
    this.checked = tick;
  }

  get complete(): number {
    return (this.v4 === null ? 0 : this.v4.seeders) + (this.v6 === null ? 0 : this.v6.seeders);
  }

  get incomplete(): number {
    return (this.v4 === null ? 0 : this.v4.leechers) + (this.v6 === null ? 0 : this.v6.leechers);
  }

  get empty(): boolean {
    return (this.v4 === null || this.v4.count === 0) && (this.v6 === null || this.v6.count === 0);
  }
}

export interface MemoryPeerStoreConfig {
  /**
   * Seconds without an announce after which a peer is dropped (at most 6 hours). Last-seen
   * times are kept in ticks of lifetime/64 seconds, so expiry is exact to that resolution.
   */
  peerLifetime: number;
  /** Largest numWant a caller will pass; sizes the reply buffer. */
  maxNumWant: number;
  /** Clock in seconds; injectable for tests. */
  now?: () => number;
  /** Seconds between sweep slices; 0 disables the background sweep (call `sweep()` yourself). */
  sweepInterval?: number;
}

/** Longest peer lifetime accepted. */
export const MAX_PEER_LIFETIME = 6 * 3600;

const NO_PEERS = Buffer.alloc(0);

/**
 * A write to a swarm not expired for this many ticks expires it first. With at most 64 ticks
 * of lifetime, a swarm's ticks then span fewer than 256, so one byte places each exactly.
 */
const WRAP_GUARD = 128;

const defaultNow = (): number => Math.floor(Date.now() / 1000);

/**
 * The embedded default PeerStore: swarms in a Map keyed by the info hash's latin1 string,
 * peers in sorted compact arrays (see PeerList). Expiry is one incremental sweep over the
 * swarms, never a timer per peer: each slice visits a share of the swarms so that all of them
 * are visited about every lifetime/4 seconds.
 */
export class MemoryPeerStore implements PeerStore {
  private readonly swarms = new Map<string, Swarm>();
  private readonly slab = new Slab();
  private readonly lifetime: number;
  /** Seconds per last-seen tick, and the lifetime in ticks (at most 64 of 256). */
  private readonly tickSeconds: number;
  private readonly lifetimeTicks: number;
  private readonly now: () => number;
  private readonly out: Buffer;
  private sweepIter: Iterator<[string, Swarm]> | null = null;
  private readonly timer: NodeJS.Timeout | null = null;
  private readonly sweepInterval: number;
  /** Peers removed by expiry since start. */
  expired = 0;

  constructor(config: MemoryPeerStoreConfig) {
    if (!(config.peerLifetime > 0 && config.peerLifetime <= MAX_PEER_LIFETIME)) {
      throw new RangeError(`peerLifetime must be in (0, ${MAX_PEER_LIFETIME}] seconds`);
    }
    this.lifetime = config.peerLifetime;
    this.tickSeconds = Math.max(1, Math.ceil(this.lifetime / 64));
    this.lifetimeTicks = Math.ceil(this.lifetime / this.tickSeconds);
    this.now = config.now ?? defaultNow;
    this.out = Buffer.alloc(Math.max(1, config.maxNumWant) * 18);
    this.sweepInterval = config.sweepInterval ?? 1;
    if (this.sweepInterval > 0) {
      this.timer = setInterval(() => this.sweepSlice(), this.sweepInterval * 1000);
      this.timer.unref();
    }
  }

  /** Number of swarms held. */
  get swarmCount(): number {
    return this.swarms.size;
  }

  /** Sweep slices run since start and the seconds they took (metrics). */
  private sweeps = 0;
  private sweepSeconds = 0;

  /** Totals over every swarm (one walk of the swarms: for metrics, not the hot path). */
  stats(): PeerStoreStats {
    let seeders = 0;
    let leechers = 0;
    let peers4 = 0;
    let peers6 = 0;
    for (const s of this.swarms.values()) {
      if (s.v4 !== null) {
        seeders += s.v4.seeders;
        leechers += s.v4.leechers;
        peers4 += s.v4.count;
      }
      if (s.v6 !== null) {
        seeders += s.v6.seeders;
        leechers += s.v6.leechers;
        peers6 += s.v6.count;
      }
    }
    return {
      swarms: this.swarms.size,
      seeders,
      leechers,
      peers4,
      peers6,
      sweeps: this.sweeps,
      sweepSeconds: this.sweepSeconds,
    };
  }

  /** The counts of up to `limit` swarms, in the Map's order (full scrape, top torrents). */
  listSwarms(limit: number): SwarmCounts[] {
    const out: SwarmCounts[] = [];
    for (const [infoHashKey, s] of this.swarms) {
      if (out.length >= limit) break;
      out.push({
        infoHashKey,
        complete: s.complete,
        incomplete: s.incomplete,
        downloaded: s.downloaded,
      });
    }
    return out;
  }

  /** Total peers held (walks every swarm: for stats and tests, not the hot path). */
  peerCount(): number {
    let n = 0;
    for (const s of this.swarms.values()) n += (s.v4?.count ?? 0) + (s.v6?.count ?? 0);
    return n;
  }

  announce(req: AnnounceRequest, numWant: number, res: AnnounceResponse): void {
    const stopped = req.event === EVENT_STOPPED;
    const now = this.fullTick();
    let swarm = this.swarms.get(req.infoHashKey);
    if (swarm === undefined) {
      if (stopped) {
        res.complete = res.incomplete = res.downloaded = res.peerCount = 0;
        res.family = req.family;
        res.peers = NO_PEERS;
        return;
      }
      swarm = new Swarm(now);
      this.swarms.set(req.infoHashKey, swarm);
    } else if (now - swarm.checked >= WRAP_GUARD) {
      this.expireSwarm(swarm, now);
    }
    let list: PeerList;
    if (req.family === 4) list = swarm.v4 ??= new PeerList(this.slab, 6);
    else list = swarm.v6 ??= new PeerList(this.slab, 18);

    const key = req.peer;
    const tick = now & 0xff;
    const si = list.search(key, 0, list.seeders);
    const li = si >= 0 ? -1 : list.search(key, list.seeders, list.count);
    res.family = req.family;
    res.peers = NO_PEERS;
    res.peerCount = 0;

    if (stopped) {
      if (si >= 0) list.removeAt(si);
      else if (li >= 0) list.removeAt(li);
      res.complete = swarm.complete;
      res.incomplete = swarm.incomplete;
      res.downloaded = swarm.downloaded;
      // An emptied swarm stays until the sweep frees it: a peer that stops and starts again
      // (or the next peer of a one-peer swarm) does not pay for a new swarm each time.
      return;
    }

    const completed = req.event === EVENT_COMPLETED;
    const seeder = req.left === 0 || completed;
    let self: number;
    if (seeder) {
      if (si >= 0) {
        list.buf[list.tickAt(si)] = tick;
        self = si;
      } else {
        if (li >= 0) list.removeAt(li);
        if (completed) swarm.downloaded++;
        self = list.insertSeeder(key, tick);
      }
    } else {
      if (li >= 0) {
        list.buf[list.tickAt(li)] = tick;
        self = li;
      } else {
        if (si >= 0) list.removeAt(si); // a seeder that lost data and leeches again
        self = list.insertLeecher(key, tick);
      }
    }

    res.complete = swarm.complete;
    res.incomplete = swarm.incomplete;
    res.downloaded = swarm.downloaded;
    if (numWant <= 0) return;
    const out = this.out;
    if (seeder) {
      // Seeders are given only leechers; the seeder itself is not in that region.
      res.peerCount = list.copyRandomRun(list.seeders, list.count, -1, numWant, out, 0);
    } else {
      res.peerCount = list.copyRandomRun(0, list.count, self, numWant, out, 0);
    }
    res.peers = out.subarray(0, res.peerCount * list.recSize);
  }

  putSeeder(infoHashKey: string, peer: Buffer): void {
    this.put(infoHashKey, peer, true, false);
  }

  putLeecher(infoHashKey: string, peer: Buffer): void {
    this.put(infoHashKey, peer, false, false);
  }

  graduateLeecher(infoHashKey: string, peer: Buffer): void {
    this.put(infoHashKey, peer, true, true);
  }

  deleteSeeder(infoHashKey: string, peer: Buffer): boolean {
    return this.remove(infoHashKey, peer, true);
  }

  deleteLeecher(infoHashKey: string, peer: Buffer): boolean {
    return this.remove(infoHashKey, peer, false);
  }

  private listOf(swarm: Swarm, peer: Buffer): PeerList {
    const family = peerFamily(peer);
    if (family === 4) return (swarm.v4 ??= new PeerList(this.slab, 6));
    return (swarm.v6 ??= new PeerList(this.slab, 18));
  }

  /** Puts a peer in the seeder or leecher region; `graduate` counts a leecher that finishes. */
  private put(infoHashKey: string, peer: Buffer, seeder: boolean, graduate: boolean): void {
    const now = this.fullTick();
    let swarm = this.swarms.get(infoHashKey);
    if (swarm === undefined) {
      peerFamily(peer);
      swarm = new Swarm(now);
      this.swarms.set(infoHashKey, swarm);
    } else if (now - swarm.checked >= WRAP_GUARD) {
      this.expireSwarm(swarm, now);
    }
    const list = this.listOf(swarm, peer);
    const tick = now & 0xff;
    const si = list.search(peer, 0, list.seeders);
    const li = si >= 0 ? -1 : list.search(peer, list.seeders, list.count);
    if (seeder) {
      if (si >= 0) {
        list.buf[list.tickAt(si)] = tick;
        return;
      }
      if (li >= 0) {
        list.removeAt(li);
        if (graduate) swarm.downloaded++;
      }
      list.insertSeeder(peer, tick);
    } else {
      if (li >= 0) {
        list.buf[list.tickAt(li)] = tick;
        return;
      }
      if (si >= 0) list.removeAt(si);
      list.insertLeecher(peer, tick);
    }
  }

  private remove(infoHashKey: string, peer: Buffer, seeder: boolean): boolean {
    const swarm = this.swarms.get(infoHashKey);
    if (swarm === undefined) return false;
    const family = peerFamily(peer);
    const list = family === 4 ? swarm.v4 : swarm.v6;
    if (list === null) return false;
    const i = seeder
      ? list.search(peer, 0, list.seeders)
      : list.search(peer, list.seeders, list.count);
    if (i < 0) return false;
    list.removeAt(i);
    return true;
  }

  /** Current tick, unwrapped; a peer's last-seen tick is stored as its low byte. */
  private fullTick(): number {
    return Math.floor(this.now() / this.tickSeconds);
  }

  /** Bytes the peer arrays hold from the OS (slab pages). */
  get bytesReserved(): number {
    return this.slab.bytesReserved;
  }

  scrape(infoHashKey: string, into: ScrapeEntry): void {
    const swarm = this.swarms.get(infoHashKey);
    if (swarm === undefined) {
      into.complete = into.incomplete = into.downloaded = 0;
      return;
    }
    into.complete = swarm.complete;
    into.incomplete = swarm.incomplete;
    into.downloaded = swarm.downloaded;
  }

  /**
   * Visits a share of the swarms, dropping expired peers and freeing empty swarms. The share is
   * sized so a full pass takes about lifetime/4 seconds of slices.
   */
  sweepSlice(): void {
    const size = this.swarms.size;
    if (size === 0) return;
    const passSeconds = Math.max(1, this.lifetime / 4);
    const budget = Math.max(64, Math.ceil((size * Math.max(1, this.sweepInterval)) / passSeconds));
    this.sweepSome(budget);
  }

  /** Sweeps every swarm once, now (tests, shutdown snapshots). */
  sweep(): void {
    this.sweepIter = null;
    this.sweepSome(this.swarms.size);
    this.sweepIter = null;
  }

  private sweepSome(budget: number): void {
    const t0 = performance.now();
    try {
      this.sweepSomeTimed(budget);
    } finally {
      this.sweeps++;
      this.sweepSeconds += (performance.now() - t0) / 1000;
    }
  }

  private sweepSomeTimed(budget: number): void {
    const now = this.fullTick();
    let iter = this.sweepIter ?? this.swarms.entries();
    for (let n = 0; n < budget; n++) {
      const next = iter.next();
      if (next.done === true) {
        iter = this.swarms.entries();
        this.sweepIter = null;
        return;
      }
      const [key, swarm] = next.value;
      this.expireSwarm(swarm, now);
      // Deleting the current entry is safe for a Map iterator.
      if (swarm.v4 === null && swarm.v6 === null) this.swarms.delete(key);
    }
    this.sweepIter = iter;
  }

  /**
   * Drops the swarm's peers last seen `lifetimeTicks` or more before `now`, and frees a list
   * left empty. Ticks are one byte, read relative to the swarm's window: every peer was last
   * seen after `checked - lifetimeTicks` (older ones went at that expiry) and before
   * `checked + WRAP_GUARD` (a later write expires first), so the low byte is exact however
   * long the swarm went unswept.
   */
  private expireSwarm(swarm: Swarm, now: number): void {
    const start = swarm.checked - this.lifetimeTicks + 1;
    // A peer at window offset o was last seen at start + o: expired iff now - (start + o) is
    // at least lifetimeTicks, i.e. o <= now - checked - 1.
    const cutoff = now - swarm.checked - 1;
    if (swarm.v4 !== null) {
      this.expired += swarm.v4.expire(start & 0xff, cutoff);
      if (swarm.v4.count === 0) {
        swarm.v4.release();
        swarm.v4 = null;
      }
    }
    if (swarm.v6 !== null) {
      this.expired += swarm.v6.expire(start & 0xff, cutoff);
      if (swarm.v6.count === 0) {
        swarm.v6.release();
        swarm.v6 = null;
      }
    }
    // A clock stepped back keeps the window where it was rather than moving it backwards.
    if (now > swarm.checked) swarm.checked = now;
  }

  /**
   * Every swarm with its peers and their last-seen times in seconds, for a snapshot
   * (peer-snapshot.ts). Sweeps first, so no expired peer is written. Read each swarm before
   * the next store call: the records are copies, but the iteration is live.
   */
  *snapshotSwarms(): Generator<SwarmSnapshot> {
    this.sweep();
    for (const [infoHashKey, swarm] of this.swarms) {
      const lists: PeerListSnapshot[] = [];
      const start = swarm.checked - this.lifetimeTicks + 1;
      for (const list of [swarm.v4, swarm.v6]) {
        if (list === null || list.count === 0) continue;
        const records = Buffer.from(
          list.buf.subarray(list.base, list.base + list.count * list.recSize),
        );
        const lastSeen = new Uint32Array(list.count);
        for (let i = 0; i < list.count; i++) {
          // A tick is the low byte of its full tick, inside the swarm's window (expireSwarm).
          const full = start + ((list.buf[list.tickAt(i)]! - start) & 0xff);
          lastSeen[i] = full * this.tickSeconds;
        }
        lists.push({ recSize: list.recSize, seeders: list.seeders, records, lastSeen });
      }
      if (lists.length > 0 || swarm.downloaded > 0) {
        yield { infoHashKey, downloaded: swarm.downloaded, lists };
      }
    }
  }

  /**
   * Puts back one swarm of a snapshot: its peers last seen within the peer lifetime, with
   * those times, and its download count (the larger of the store's and the snapshot's).
   * Peers already in the swarm are kept as they are. Returns the number of peers restored.
   */
  restoreSwarm(s: SwarmSnapshot): number {
    const now = this.fullTick();
    let swarm = this.swarms.get(s.infoHashKey);
    if (swarm === undefined) {
      swarm = new Swarm(now);
      this.swarms.set(s.infoHashKey, swarm);
    } else if (now - swarm.checked >= WRAP_GUARD) {
      this.expireSwarm(swarm, now);
    }
    if (s.downloaded > swarm.downloaded) swarm.downloaded = s.downloaded;
    let restored = 0;
    for (const l of s.lists) {
      if (l.recSize !== 6 && l.recSize !== 18) continue;
      for (let i = 0; i < l.lastSeen.length; i++) {
        // A time ahead of our clock (a snapshot from a machine whose clock ran fast) is now.
        const tick = Math.min(now, Math.floor(l.lastSeen[i]! / this.tickSeconds));
        // Expired: dropped, as the sweep would.
        if (now - tick >= this.lifetimeTicks) continue;
        const peer = l.records.subarray(i * l.recSize, (i + 1) * l.recSize);
        if (peer.length !== l.recSize) break;
        const list = this.listOf(swarm, peer);
        if (list.search(peer, 0, list.seeders) >= 0) continue;
        if (list.search(peer, list.seeders, list.count) >= 0) continue;
        if (i < l.seeders) list.insertSeeder(peer, tick & 0xff);
        else list.insertLeecher(peer, tick & 0xff);
        restored++;
      }
    }
    if (swarm.v4 !== null && swarm.v4.count === 0) {
      swarm.v4.release();
      swarm.v4 = null;
    }
    if (swarm.v6 !== null && swarm.v6.count === 0) {
      swarm.v6.release();
      swarm.v6 = null;
    }
    if (swarm.v4 === null && swarm.v6 === null && swarm.downloaded === 0) {
      this.swarms.delete(s.infoHashKey);
    }
    return restored;
  }

  close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    return Promise.resolve();
  }
}
