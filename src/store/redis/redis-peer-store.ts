/**
 * The Redis PeerStore: swarms in Redis sorted sets, so several tracker processes (and machines)
 * share them. Works on a single Redis and on a Redis Cluster (tested with Redis 7.0; the scripts
 * need no command newer than Redis 4).
 *
 * Key layout, per info hash (hex), `<ns>` being `<prefix><namespace>:` (`shoal:peers:`):
 *
 *   <ns>{<info-hash-hex>}:s4   sorted set: IPv4 seeders, member = 6-byte compact peer,
 *                              score = last-seen seconds (the tracker's clock)
 *   <ns>{<info-hash-hex>}:l4   sorted set: IPv4 leechers
 *   <ns>{<info-hash-hex>}:s6   sorted set: IPv6 seeders, member = 18-byte compact peer
 *   <ns>{<info-hash-hex>}:l6   sorted set: IPv6 leechers
 *   <ns>{<info-hash-hex>}:d    string: completed downloads (INCR)
 *
 * The `{...}` hash tag puts all keys of one swarm in one cluster slot, so one script can touch
 * them all. Every key has a TTL of the peer lifetime (+1 s), a sorted set's refreshed by each
 * write of a peer to it and the download count's by each write of a peer to the swarm, so a
 * swarm nobody announces to vanishes by itself; expired members of a live swarm are trimmed by
 * the scripts that touch it, and by `sweep()` (docs/redis.md).
 */
import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import type { AnnounceRequest, AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import { EVENT_COMPLETED, EVENT_STOPPED } from '../../bittorrent/event.js';
import type { Logger } from '../../log/logger.js';
import { peerFamily } from '../peer-family.js';
import type { PeerStore } from '../peer-store.js';
import type { RedisClient } from './redis-connection.js';
import { ANNOUNCE_LUA, DELETE_LUA, PUT_LUA, SCRAPE_LUA } from './redis-peer-scripts.js';
import { storeUnavailable } from './redis-store-error.js';
import { escapeGlob } from './escape-glob.js';

/** Options of a RedisPeerStore. */
export interface RedisPeerStoreConfig {
  /** A connected client (the store never connects or quits it; see `release`). */
  client: RedisClient;
  /** Called once by `close()`, e.g. a RedisLease's `release`. */
  release?: () => Promise<void>;
  /** Start of every key, e.g. `shoal:peers:`; stores with equal prefixes share swarms. */
  keyPrefix: string;
  /** Seconds without an announce after which a peer is dropped. */
  peerLifetime: number;
  /** Largest numWant a caller passes. */
  maxNumWant: number;
  /** Clock in seconds; also the scores of the sorted sets. */
  now: () => number;
  log: Logger;
  /** Seconds between background sweep passes; 0 turns them off (default 60). */
  sweepInterval?: number;
}

/** Script replies, as ioredis returns them (integers as numbers, the peers as a Buffer). */
type AnnounceReply = [complete: number, incomplete: number, downloaded: number, peers: Buffer];
type ScrapeReply = [complete: number, incomplete: number, downloaded: number];
type Arg = string | number | Buffer;

/** The commands `defineCommand` adds to the client (EVALSHA, falling back to EVAL). */
interface PeerCommands {
  shoalPeerAnnounceBuffer(...args: Arg[]): Promise<AnnounceReply>;
  shoalPeerPut(...args: Arg[]): Promise<number>;
  shoalPeerDelete(...args: Arg[]): Promise<number>;
  shoalPeerScrape(...args: Arg[]): Promise<ScrapeReply>;
}

const SCRIPTS = [
  ['shoalPeerAnnounce', 5, ANNOUNCE_LUA, false],
  ['shoalPeerPut', 3, PUT_LUA, false],
  ['shoalPeerDelete', 1, DELETE_LUA, false],
  ['shoalPeerScrape', 5, SCRAPE_LUA, true],
] as const;

// Actions of the announce script.
const STOP = 'x';
const LEECH = 'l';
const SEED = 's';
const COMPLETE = 'c';

/** SCAN's COUNT hint for sweep and clear: about this many keys a page, one pipeline each. */
const SWEEP_PAGE = 250;

/** Info hashes up to this many bytes are converted to hex without an allocation. */
const SCRATCH_SIZE = 64;

/**
 * PeerStore on Redis: each method is one script call (one round trip, atomic), see
 * `redis-peer-scripts.ts` for what each does. Every method returns a promise that rejects with
 * a ShoalError `SHOAL_E_STORE_UNAVAILABLE` (the Redis error as its cause) when Redis fails or
 * does not answer within the connection's command timeout.
 *
 * Expiry resolution is one second (scores are the clock's seconds).
 */
export class RedisPeerStore implements PeerStore {
  private readonly client: RedisClient;
  private readonly cmd: PeerCommands;
  private readonly release: (() => Promise<void>) | undefined;
  private readonly keyStart: string;
  private readonly lifetime: number;
  private readonly lifetimeArg: string;
  private readonly ttlArg: string;
  private readonly maxNumWant: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly sweepInterval: number;
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
  private timer: NodeJS.Timeout | null = null;
  private background: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(config: RedisPeerStoreConfig) {
    if (!(config.peerLifetime > 0 && Number.isFinite(config.peerLifetime))) {
      throw new RangeError('peerLifetime must be a positive number of seconds');
    }
    const sweepInterval = config.sweepInterval ?? 60;
    if (!(sweepInterval >= 0 && Number.isFinite(sweepInterval))) {
      throw new RangeError('sweepInterval must be a number of seconds, 0 or more');
    }
    this.client = config.client;
    this.release = config.release;
    this.keyStart = `${config.keyPrefix}{`;
    this.lifetime = config.peerLifetime;
    this.lifetimeArg = String(config.peerLifetime);
    // Whole seconds, and one more: a peer written at t (scored floor(t)) expires by score at
    // floor(t) + lifetime + 1 at the latest, so its key never goes before it does.
    this.ttlArg = String(Math.ceil(config.peerLifetime) + 1);
    this.maxNumWant = Math.max(0, config.maxNumWant);
    this.now = config.now;
    this.log = config.log;
    this.sweepInterval = sweepInterval;
    const client = this.client as RedisClient & Record<string, unknown>;
    for (const [name, numberOfKeys, lua, readOnly] of SCRIPTS) {
      // The connection is shared; a second store on it reuses the first one's definition.
      if (typeof client[name] !== 'function') {
        this.client.defineCommand(name, { numberOfKeys, lua, readOnly });
      }
    }
    this.cmd = this.client as unknown as PeerCommands;
    if (sweepInterval > 0) this.schedule();
  }

  /** `<prefix>{<hex>}:` of a swarm: the info hash's bytes as hex, without allocating. */
  private swarmKey(infoHashKey: string): string {
    const n = infoHashKey.length;
    const hex =
      n <= SCRATCH_SIZE
        ? (this.scratch.write(infoHashKey, 0, 'latin1'), this.scratch.toString('hex', 0, n))
        : Buffer.from(infoHashKey, 'latin1').toString('hex');
    return this.keyStart + hex + '}:';
  }

  async announce(req: AnnounceRequest, numWant: number, res: AnnounceResponse): Promise<void> {
    const peer = req.peer;
    const v4 = req.family === 4;
    if (peer.length !== (v4 ? 6 : 18)) {
      throw new RangeError(`an IPv${req.family} compact peer is not ${peer.length} bytes`);
    }
    const event = req.event;
    const action =
      event === EVENT_STOPPED
        ? STOP
        : event === EVENT_COMPLETED
          ? COMPLETE
          : req.left === 0
            ? SEED
            : LEECH;
    const want = numWant > this.maxNumWant ? this.maxNumWant : numWant > 0 ? numWant : 0;
    const k = this.swarmKey(req.infoHashKey);
    const s4 = k + 's4';
    const l4 = k + 'l4';
    const s6 = k + 's6';
    const l6 = k + 'l6';
    let reply: AnnounceReply;
    try {
      reply = await this.cmd.shoalPeerAnnounceBuffer(
        v4 ? s4 : s6,
        v4 ? l4 : l6,
        v4 ? s6 : s4,
        v4 ? l6 : l4,
        k + 'd',
        peer,
        this.now(),
        this.lifetimeArg,
        this.ttlArg,
        action,
        want,
        (Math.random() * 0x7fffffff) | 0,
      );
    } catch (err) {
      throw storeUnavailable('announce', err);
    }
    res.complete = reply[0];
    res.incomplete = reply[1];
    res.downloaded = reply[2];
    res.family = req.family;
    // The reply's own bytes (a slice of the socket data the parser never writes again), so
    // the response owns them even though it is read after an await.
    const peers = reply[3];
    res.peers = peers;
    res.peerCount = peers.length / (v4 ? 6 : 18);
  }

  async scrape(infoHashKey: string, into: ScrapeEntry): Promise<void> {
    const k = this.swarmKey(infoHashKey);
    let reply: ScrapeReply;
    try {
      reply = await this.cmd.shoalPeerScrape(
        k + 's4',
        k + 'l4',
        k + 's6',
        k + 'l6',
        k + 'd',
        this.now() - this.lifetime,
      );
    } catch (err) {
      throw storeUnavailable('scrape', err);
    }
    into.complete = reply[0];
    into.incomplete = reply[1];
    into.downloaded = reply[2];
  }

  putSeeder(infoHashKey: string, peer: Buffer): Promise<void> {
    return this.put(infoHashKey, peer, 's', 'l', '0');
  }

  putLeecher(infoHashKey: string, peer: Buffer): Promise<void> {
    return this.put(infoHashKey, peer, 'l', 's', '0');
  }

  graduateLeecher(infoHashKey: string, peer: Buffer): Promise<void> {
    return this.put(infoHashKey, peer, 's', 'l', '1');
  }

  deleteSeeder(infoHashKey: string, peer: Buffer): Promise<boolean> {
    return this.remove(infoHashKey, peer, 's');
  }

  deleteLeecher(infoHashKey: string, peer: Buffer): Promise<boolean> {
    return this.remove(infoHashKey, peer, 'l');
  }

  private async put(
    infoHashKey: string,
    peer: Buffer,
    to: 's' | 'l',
    from: 's' | 'l',
    graduate: '0' | '1',
  ): Promise<void> {
    const family = peerFamily(peer) === 4 ? '4' : '6';
    const k = this.swarmKey(infoHashKey);
    try {
      await this.cmd.shoalPeerPut(
        k + to + family,
        k + from + family,
        k + 'd',
        peer,
        this.now(),
        this.lifetimeArg,
        this.ttlArg,
        graduate,
      );
    } catch (err) {
      throw storeUnavailable(to === 's' ? 'put seeder' : 'put leecher', err);
    }
  }

  private async remove(infoHashKey: string, peer: Buffer, role: 's' | 'l'): Promise<boolean> {
    const key = this.swarmKey(infoHashKey) + role + (peerFamily(peer) === 4 ? '4' : '6');
    try {
      return (await this.cmd.shoalPeerDelete(key, peer, this.now(), this.lifetimeArg)) === 1;
    } catch (err) {
      throw storeUnavailable('delete', err);
    }
  }

  /**
   * Trims expired peers from every swarm of this prefix: one pass of SCAN over the keyspace
   * (of every master, on a cluster), a page at a time, each page's trims sent as one pipeline.
   * Swarms with no peers left vanish (Redis deletes an empty sorted set); their download
   * counts go with their key TTL.
   */
  async sweep(): Promise<void> {
    try {
      await this.sweepPass(false);
    } catch (err) {
      throw storeUnavailable('sweep', err);
    }
  }

  /**
   * Deletes every key of this store's prefix: all swarms and download counts (benchmarks and
   * tests empty their keyspace with it; trackers sharing the prefix lose their swarms too).
   */
  async clear(): Promise<void> {
    try {
      for (const node of this.masters()) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(
            cursor,
            'MATCH',
            `${escapeGlob(this.keyStart)}*`,
            'COUNT',
            SWEEP_PAGE,
          );
          cursor = next;
          if (keys.length === 0) continue;
          // One key per UNLINK: keys of one node's page may still span cluster slots.
          const pipe = node.pipeline();
          for (const key of keys) pipe.unlink(key);
          checkPipeline(await pipe.exec());
        } while (cursor !== '0');
      }
    } catch (err) {
      throw storeUnavailable('clear', err);
    }
  }

  /** The nodes holding keys: every master of a cluster, or the one server. */
  private masters(): Redis[] {
    return this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
  }

  /** One SCAN pass over every master; `background` passes stop early when the store closes. */
  private async sweepPass(background: boolean): Promise<void> {
    const match = `${escapeGlob(this.keyStart)}*}:[sl][46]`;
    for (const node of this.masters()) {
      let cursor = '0';
      do {
        if (background && this.closing !== null) return;
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SWEEP_PAGE);
        cursor = next;
        if (keys.length === 0) continue;
        const stale = `(${this.now() - this.lifetime}`;
        const pipe = node.pipeline();
        for (const key of keys) pipe.zremrangebyscore(key, '-inf', stale);
        checkPipeline(await pipe.exec());
      } while (cursor !== '0');
    }
  }

  /** Starts the next background pass `sweepInterval` seconds from now. */
  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.background = this.sweepPass(true)
        .catch((err: unknown) => {
          this.log.warn(
            { code: 'SHOAL_W_REDIS_SWEEP', err: (err as Error).message },
            'redis peer store: background sweep failed; retrying at the next interval',
          );
        })
        .finally(() => {
          this.background = null;
          if (this.closing === null) this.schedule();
        });
    }, this.sweepInterval * 1000);
    this.timer.unref();
  }

  /** Readiness: one PING through this store's connection (rejects when Redis is gone). */
  async ping(): Promise<void> {
    await this.client.ping().catch((err: unknown) => {
      throw storeUnavailable('ping', err);
    });
  }

  /**
   * Stops the background sweep (waiting for a running page to finish), then releases the
   * connection. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.background !== null) await this.background;
    if (this.release !== undefined) await this.release();
  }
}

/**
 * Throws the first error of a pipeline's replies, but not MOVED or ASK: a key that resharding
 * moved to another node is that node's to handle (and has a TTL meanwhile).
 */
function checkPipeline(results: [Error | null, unknown][] | null): void {
  if (results === null) return;
  for (const [err] of results) {
    if (err !== null && !/^(MOVED|ASK) /.test(err.message)) throw err;
  }
}
