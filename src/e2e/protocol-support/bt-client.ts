import Client from 'bittorrent-tracker/client';
import type { AnnounceOptions, ScrapeData, UpdateData } from 'bittorrent-tracker/client';
import { randomId, within } from './fixtures.js';

/**
 * Promise wrappers around the npm `bittorrent-tracker` Client (11.x): an independent tracker
 * client implementation. Each call waits for the tracker's reply and rejects on the Client's
 * `warning`/`error` events (how it reports tracker failures and timeouts).
 */

const TIMEOUT_MS = 5000;

export interface AnnounceResult {
  update: UpdateData;
  /** Peers the Client reported for this reply, as `ip:port` / `[ip]:port`, sorted. */
  peers: string[];
}

/** One torrent client (one peer id and port) on one announce URL. */
export class TrackerPeer {
  readonly client: Client;
  readonly port: number;
  readonly announceUrl: string;

  constructor(announceUrl: string, infoHash: Uint8Array, port: number) {
    this.announceUrl = announceUrl;
    this.port = port;
    this.client = new Client({
      infoHash: Buffer.from(infoHash).toString('hex'),
      peerId: randomId().toString('hex'),
      announce: [announceUrl],
      port,
    });
    // Unhandled 'error' events would throw; calls below listen for them while they wait.
    this.client.on('error', () => undefined);
    this.client.on('warning', () => undefined);
  }

  /** Runs `send` and resolves with the next `update` and the peers that came with it. */
  private async announce(what: string, send: () => void): Promise<AnnounceResult> {
    const peers: string[] = [];
    const onPeer = (addr: string): void => {
      peers.push(addr);
    };
    let onUpdate: ((d: UpdateData) => void) | undefined;
    let onFail: ((e: Error) => void) | undefined;
    this.client.on('peer', onPeer);
    try {
      const update = await within(
        new Promise<UpdateData>((resolve, reject) => {
          onUpdate = resolve;
          onFail = reject;
          this.client.on('update', onUpdate);
          this.client.on('warning', onFail);
          this.client.on('error', onFail);
          send();
        }),
        TIMEOUT_MS,
        `${what} via ${this.announceUrl}`,
      );
      // The Client emits `peer` events synchronously right after `update`; they are in.
      return { update, peers: peers.sort() };
    } finally {
      this.client.off('peer', onPeer);
      if (onUpdate !== undefined) this.client.off('update', onUpdate);
      if (onFail !== undefined) {
        this.client.off('warning', onFail);
        this.client.off('error', onFail);
      }
    }
  }

  start(opts?: AnnounceOptions): Promise<AnnounceResult> {
    return this.announce('start', () => this.client.start(opts));
  }

  update(opts?: AnnounceOptions): Promise<AnnounceResult> {
    return this.announce('update', () => this.client.update(opts));
  }

  complete(opts?: AnnounceOptions): Promise<AnnounceResult> {
    return this.announce('complete', () => this.client.complete(opts));
  }

  stop(opts?: AnnounceOptions): Promise<AnnounceResult> {
    return this.announce('stop', () => this.client.stop(opts));
  }

  /**
   * Scrapes `hashes` (this peer's own info hash when omitted) and returns the Client's scrape
   * events keyed by hex info hash. The Client wants hex strings over HTTP and Buffers over UDP.
   */
  async scrape(hashes?: readonly Uint8Array[]): Promise<Map<string, ScrapeData>> {
    const expected = hashes === undefined ? 1 : hashes.length;
    const udp = this.announceUrl.startsWith('udp:');
    const out = new Map<string, ScrapeData>();
    let onScrape: ((d: ScrapeData) => void) | undefined;
    let onFail: ((e: Error) => void) | undefined;
    try {
      await within(
        new Promise<void>((resolve, reject) => {
          onScrape = (d): void => {
            out.set(d.infoHash, d);
            if (out.size === expected) resolve();
          };
          onFail = reject;
          this.client.on('scrape', onScrape);
          this.client.on('warning', onFail);
          this.client.on('error', onFail);
          if (hashes === undefined) this.client.scrape();
          else if (udp) this.client.scrape({ infoHash: hashes.map((h) => Buffer.from(h)) });
          else this.client.scrape({ infoHash: hashes.map((h) => Buffer.from(h).toString('hex')) });
        }),
        TIMEOUT_MS,
        `scrape via ${this.announceUrl}`,
      );
      return out;
    } finally {
      if (onScrape !== undefined) this.client.off('scrape', onScrape);
      if (onFail !== undefined) {
        this.client.off('warning', onFail);
        this.client.off('error', onFail);
      }
    }
  }

  destroy(): Promise<void> {
    if (this.client.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.client.destroy(() => resolve()));
  }
}
