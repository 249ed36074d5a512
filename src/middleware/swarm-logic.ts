import { AnnounceResponse, ScrapeEntry } from '../bittorrent/announce.js';
import type { AnnounceRequest } from '../bittorrent/announce.js';
import { EVENT_STOPPED } from '../bittorrent/event.js';
import type { PeerStore } from '../store/peer-store.js';
import type { HookChain } from './hook-chain.js';

/**
 * Peers counted outside the PeerStore (WebSocket peers live in their frontend, with their
 * socket): their seeders and leechers are added to the store's counts in every announce reply
 * and scrape, whatever the protocol.
 */
export interface ExtraSwarmCounts {
  /** Adds this source's seeders to `out.complete` and leechers to `out.incomplete`. */
  addCounts(infoHashKey: string, out: { complete: number; incomplete: number }): void;
}

export interface SwarmLogicConfig {
  /** Seconds between regular announces (sent as `interval`). */
  interval: number;
  /** Seconds a client must wait between announces (sent as `min interval`). */
  minInterval: number;
  /** Peers returned when the client does not say how many. */
  defaultNumWant: number;
  /** Most peers returned whatever the client asks. */
  maxNumWant: number;
}

/**
 * The tracker's rules between the frontends and the PeerStore: intervals, numwant bounds, and
 * one store call per announce that writes the swarm before the reply is built.
 *
 * The result is synchronous when the store is (the memory store always is): frontends test
 * for a promise and keep the common path free of microtask hops.
 */
export class SwarmLogic {
  readonly store: PeerStore;
  private readonly cfg: SwarmLogicConfig;

  private readonly hooks: HookChain | null;
  /** null until a frontend registers one: the HTTP/UDP path then pays one null check. */
  private extra: ExtraSwarmCounts | null = null;
  /**
   * Private mode: checks a scrape's passkey (throws a ClientError). Scrapes do not run the
   * announce hooks, so this is their one gate.
   */
  scrapeGuard: ((passkey: string) => void) | null = null;

  constructor(store: PeerStore, cfg: SwarmLogicConfig, hooks: HookChain | null = null) {
    this.store = store;
    this.cfg = cfg;
    this.hooks = hooks;
  }

  /** Registers the counts of peers kept outside the PeerStore (the WebSocket frontend). */
  setExtraCounts(extra: ExtraSwarmCounts | null): void {
    this.extra = extra;
  }

  /**
   * Only the pre-hooks, for a frontend whose peers do not live in the PeerStore (WebSocket):
   * undefined when they all ran synchronously, else a promise; a rejection is a ClientError
   * (or an internal failure) to report to the client.
   */
  runPreHooks(req: AnnounceRequest): void | Promise<void> {
    const hooks = this.hooks;
    return hooks !== null && hooks.hasPre ? hooks.runPre(req) : undefined;
  }

  /** Whether any post-hook is configured (frontends skip building requests for none). */
  get hasPostHooks(): boolean {
    return this.hooks !== null && this.hooks.hasPost;
  }

  /** Schedules the post-hooks after a reply a frontend built itself (see runPreHooks). */
  schedulePostHooks(req: AnnounceRequest, res: AnnounceResponse): void {
    const hooks = this.hooks;
    if (hooks !== null && hooks.hasPost) hooks.schedulePost(req, res);
  }

  /**
   * Peers to return for a request: the default when unsaid, capped by the configuration and by
   * what the transport carries, none on `stopped`.
   */
  numWantFor(req: AnnounceRequest): number {
    if (req.event === EVENT_STOPPED) return 0;
    const max = Math.min(this.cfg.maxNumWant, req.maxPeers);
    const n = req.numWant < 0 ? this.cfg.defaultNumWant : req.numWant;
    return n < max ? n : max;
  }

  /**
   * Pre-hooks, then the swarm write and peer selection, then post-hooks (scheduled after the
   * reply). Synchronous end to end unless a hook or the store returns a promise.
   */
  announce(req: AnnounceRequest): AnnounceResponse | Promise<AnnounceResponse> {
    const hooks = this.hooks;
    if (hooks === null) return this.write(req);
    const pre = hooks.hasPre ? hooks.runPre(req) : undefined;
    const result =
      pre === undefined
        ? this.write(req)
        : pre.then(() => {
            const r = this.write(req);
            // Delivered after an await: copy the peers out of the store's reused buffer.
            if (r instanceof AnnounceResponse) r.detach();
            return r;
          });
    if (!hooks.hasPost) return result;
    if (result instanceof AnnounceResponse) {
      hooks.schedulePost(req, result);
      return result;
    }
    return result.then((res) => {
      hooks.schedulePost(req, res);
      return res;
    });
  }

  private write(req: AnnounceRequest): AnnounceResponse | Promise<AnnounceResponse> {
    const res = new AnnounceResponse();
    res.interval = this.cfg.interval;
    res.minInterval = this.cfg.minInterval;
    const done = this.store.announce(req, this.numWantFor(req), res);
    const extra = this.extra;
    if (done === undefined) {
      if (extra !== null) extra.addCounts(req.infoHashKey, res);
      return res;
    }
    return done.then(() => {
      if (extra !== null) extra.addCounts(req.infoHashKey, res);
      return res;
    });
  }

  /** Counts for each requested swarm, in request order. */
  scrape(infoHashKeys: readonly string[], passkey = ''): ScrapeEntry[] | Promise<ScrapeEntry[]> {
    if (this.scrapeGuard !== null) this.scrapeGuard(passkey);
    const out: ScrapeEntry[] = [];
    let pending: Promise<void>[] | null = null;
    for (const key of infoHashKeys) {
      const entry = new ScrapeEntry();
      out.push(entry);
      const r = this.store.scrape(key, entry);
      if (r !== undefined) (pending ??= []).push(r);
    }
    const extra = this.extra;
    if (pending === null) {
      if (extra !== null) addAll(extra, infoHashKeys, out);
      return out;
    }
    return Promise.all(pending).then(() => {
      if (extra !== null) addAll(extra, infoHashKeys, out);
      return out;
    });
  }
}

function addAll(extra: ExtraSwarmCounts, keys: readonly string[], out: ScrapeEntry[]): void {
  for (let i = 0; i < keys.length; i++) extra.addCounts(keys[i]!, out[i]!);
}
