import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { PeerStore, SwarmCounts } from '../../store/peer-store.js';

const gzip = promisify(gzipCb);

/** Options of the full scrape (`scrape.full` in the config). */
export interface FullScrapeConfig {
  /** Seconds one computed reply is served before the next is built. */
  cacheSeconds: number;
  /** Seconds one client address must wait between two full scrapes (0: no limit). */
  perIpSeconds: number;
  /** Most swarms listed. */
  maxSwarms: number;
}

/** A reply: the bencoded body, plain and gzip-compressed; or a refusal for the client. */
export type FullScrapeResult = { plain: Buffer; gzip: Buffer } | string;

/** What a client is told when it asks again too soon. */
export const FULL_SCRAPE_TOO_SOON = 'full scrape: try again later';

/**
 * The full scrape (`GET /scrape` without info_hash): every swarm's counts in one bencoded
 * `files` dictionary. Walking every swarm and compressing the result is expensive, so it is
 * built at most once per `cacheSeconds` (concurrent askers share the build) and each client
 * address gets it at most once per `perIpSeconds`.
 */
export class FullScrape {
  private readonly store: PeerStore;
  private readonly cfg: FullScrapeConfig;
  private readonly now: () => number;
  private cached: { plain: Buffer; gzip: Buffer } | null = null;
  private builtAt = 0;
  private building: Promise<{ plain: Buffer; gzip: Buffer }> | null = null;
  /** Client addresses (latin1 of their bytes) served lately; bounded, entries expire. */
  private readonly recent: LRUCache<string, true> | null;

  constructor(store: PeerStore, cfg: FullScrapeConfig, now: () => number = Date.now) {
    if (store.listSwarms === undefined) {
      throw new Error('scrape.full needs a peer store that can list its swarms (memory can)');
    }
    this.store = store;
    this.cfg = cfg;
    this.now = now;
    this.recent =
      cfg.perIpSeconds > 0
        ? new LRUCache<string, true>({ max: 100_000, ttl: cfg.perIpSeconds * 1000 })
        : null;
  }

  /** The reply for a client at `ip` (4 or 16 bytes). */
  reply(ip: Buffer): FullScrapeResult | Promise<FullScrapeResult> {
    if (this.recent !== null) {
      const key = ip.toString('latin1');
      if (this.recent.has(key)) return FULL_SCRAPE_TOO_SOON;
      this.recent.set(key, true);
    }
    if (this.cached !== null && this.now() - this.builtAt < this.cfg.cacheSeconds * 1000) {
      return this.cached;
    }
    this.building ??= this.build().finally(() => {
      this.building = null;
    });
    return this.building;
  }

  private async build(): Promise<{ plain: Buffer; gzip: Buffer }> {
    const swarms = await this.store.listSwarms!(this.cfg.maxSwarms);
    const plain = encodeFullScrape(swarms);
    const r = { plain, gzip: await gzip(plain) };
    this.cached = r;
    this.builtAt = this.now();
    return r;
  }
}

/** `d5:filesd<20-byte hash>d8:completei..e10:downloadedi..e10:incompletei..ee...ee`. */
export function encodeFullScrape(swarms: SwarmCounts[]): Buffer {
  // Bencode dictionaries are sorted by key bytes; latin1 strings compare as their bytes.
  swarms.sort((a, b) =>
    a.infoHashKey < b.infoHashKey ? -1 : a.infoHashKey > b.infoHashKey ? 1 : 0,
  );
  const parts: string[] = ['d5:filesd'];
  for (const s of swarms) {
    parts.push(
      `20:${s.infoHashKey}d8:completei${s.complete}e10:downloadedi${s.downloaded}e10:incompletei${s.incomplete}ee`,
    );
  }
  parts.push('ee');
  return Buffer.from(parts.join(''), 'latin1');
}
