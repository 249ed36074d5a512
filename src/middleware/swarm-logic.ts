import { AnnounceResponse, ScrapeEntry } from '../bittorrent/announce.js';
import type { AnnounceRequest } from '../bittorrent/announce.js';
import { EVENT_STOPPED } from '../bittorrent/event.js';
import type { PeerStore } from '../store/peer-store.js';

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

  constructor(store: PeerStore, cfg: SwarmLogicConfig) {
    this.store = store;
    this.cfg = cfg;
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

  announce(req: AnnounceRequest): AnnounceResponse | Promise<AnnounceResponse> {
    const res = new AnnounceResponse();
    res.interval = this.cfg.interval;
    res.minInterval = this.cfg.minInterval;
    const done = this.store.announce(req, this.numWantFor(req), res);
    if (done === undefined) return res;
    return done.then(() => res);
  }

  /** Counts for each requested swarm, in request order. */
  scrape(infoHashKeys: readonly string[]): ScrapeEntry[] | Promise<ScrapeEntry[]> {
    const out: ScrapeEntry[] = [];
    let pending: Promise<void>[] | null = null;
    for (const key of infoHashKeys) {
      const entry = new ScrapeEntry();
      out.push(entry);
      const r = this.store.scrape(key, entry);
      if (r !== undefined) (pending ??= []).push(r);
    }
    if (pending === null) return out;
    return Promise.all(pending).then(() => out);
  }
}
