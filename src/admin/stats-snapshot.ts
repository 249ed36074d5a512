import { ACT_ANNOUNCE, ACT_CONNECT, ACT_SCRAPE, PROTOCOLS } from '../metrics/request-metrics.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import type { PeerStore, PeerStoreStats, SwarmCounts } from '../store/peer-store.js';

/** One torrent of the top list (info hash in hex). */
export interface TopTorrent {
  infoHash: string;
  seeders: number;
  leechers: number;
  downloaded: number;
}

/** What /stats.json returns; the stats page charts rates from successive snapshots. */
export interface StatsSnapshot {
  /** Milliseconds since the epoch when taken. */
  time: number;
  uptimeSeconds: number;
  /** Requests answered so far, per protocol and action (null: request metrics are off). */
  requests: Record<string, { announce: number; scrape: number; connect: number }> | null;
  /** Requests answered so far, per address family of the client. */
  families: { ipv4: number; ipv6: number } | null;
  /** Store totals (null: the store cannot count, e.g. redis). */
  store: PeerStoreStats | null;
  /** The fullest swarms among the first `topTorrentsScan` (empty if the store cannot list). */
  top: TopTorrent[];
}

/** How many torrents the top list holds. */
export const TOP_TORRENTS = 10;

/**
 * Builds stats snapshots for the stats page. Store totals and the top list walk the swarms,
 * so a snapshot is cached for a second: many open pages cost one walk a second.
 */
export class StatsSource {
  private readonly store: PeerStore;
  private readonly requests: RequestMetrics | null;
  private readonly topScan: number;
  private last: { at: number; snap: Promise<StatsSnapshot> } | null = null;

  constructor(store: PeerStore, requests: RequestMetrics | null, topScan: number) {
    this.store = store;
    this.requests = requests;
    this.topScan = topScan;
  }

  snapshot(): Promise<StatsSnapshot> {
    const now = Date.now();
    if (this.last !== null && now - this.last.at < 1000) return this.last.snap;
    const snap = this.build(now);
    this.last = { at: now, snap };
    snap.catch(() => {
      this.last = null;
    });
    return snap;
  }

  private async build(now: number): Promise<StatsSnapshot> {
    const m = this.requests;
    let requests: StatsSnapshot['requests'] = null;
    if (m !== null) {
      requests = {};
      PROTOCOLS.forEach((p, i) => {
        requests![p] = {
          announce: m.total(i, ACT_ANNOUNCE),
          scrape: m.total(i, ACT_SCRAPE),
          connect: m.total(i, ACT_CONNECT),
        };
      });
    }
    const store = this.store.stats === undefined ? null : await this.store.stats();
    let top: TopTorrent[] = [];
    if (this.store.listSwarms !== undefined && this.topScan > 0) {
      top = topOf(await this.store.listSwarms(this.topScan), TOP_TORRENTS);
    }
    return {
      time: now,
      uptimeSeconds: Math.round(process.uptime()),
      requests,
      families: m === null ? null : { ipv4: m.familyTotal(4), ipv6: m.familyTotal(6) },
      store,
      top,
    };
  }
}

/** The `n` swarms with the most peers, fullest first. */
export function topOf(swarms: SwarmCounts[], n: number): TopTorrent[] {
  const peers = (s: SwarmCounts): number => s.complete + s.incomplete;
  const top: SwarmCounts[] = [];
  for (const s of swarms) {
    if (top.length < n) {
      top.push(s);
      top.sort((a, b) => peers(b) - peers(a));
    } else if (peers(s) > peers(top[n - 1]!)) {
      top[n - 1] = s;
      top.sort((a, b) => peers(b) - peers(a));
    }
  }
  return top.map((s) => ({
    infoHash: Buffer.from(s.infoHashKey, 'latin1').toString('hex'),
    seeders: s.complete,
    leechers: s.incomplete,
    downloaded: s.downloaded,
  }));
}
