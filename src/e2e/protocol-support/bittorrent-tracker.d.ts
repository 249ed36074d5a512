/**
 * Types for the parts of the npm `bittorrent-tracker` package (11.x, untyped) that the
 * end-to-end tests use: its tracker Client, an implementation independent of Shoal.
 */
declare module 'bittorrent-tracker/client' {
  import { EventEmitter } from 'node:events';

  export interface ClientOptions {
    /** 40 hex digits, or 20 bytes. */
    infoHash: string | Uint8Array;
    /** 40 hex digits, or 20 bytes. */
    peerId: string | Uint8Array;
    announce: string | string[];
    port: number;
    getAnnounceOpts?: () => Record<string, unknown>;
    userAgent?: string;
    /** WebSocket trackers: a WebRTC implementation for Node (e.g. webrtc-polyfill). */
    wrtc?: unknown;
    /** WebSocket trackers: RTCPeerConnection configuration. */
    rtcConfig?: unknown;
  }

  export interface AnnounceOptions {
    uploaded?: number;
    downloaded?: number;
    left?: number;
    numwant?: number;
  }

  export interface ScrapeOptions {
    /** HTTP: hex strings. UDP: 20-byte Buffers (the client concatenates them). */
    infoHash?: string | string[] | Uint8Array | Uint8Array[];
  }

  /** `update` event payload: counts of the swarm (HTTP adds the whole decoded reply). */
  export interface UpdateData {
    announce: string;
    complete: number;
    incomplete: number;
    [key: string]: unknown;
  }

  export interface ScrapeData {
    announce: string;
    infoHash: string;
    complete: number;
    incomplete: number;
    downloaded: number;
  }

  export default class Client extends EventEmitter {
    constructor(opts: ClientOptions);
    readonly destroyed: boolean;
    start(opts?: AnnounceOptions): void;
    stop(opts?: AnnounceOptions): void;
    complete(opts?: AnnounceOptions): void;
    update(opts?: AnnounceOptions): void;
    scrape(opts?: ScrapeOptions): void;
    destroy(cb?: (err: Error | null) => void): void;
    on(event: 'update', listener: (data: UpdateData) => void): this;
    on(event: 'peer', listener: (addr: string) => void): this;
    on(event: 'scrape', listener: (data: ScrapeData) => void): this;
    on(event: 'warning' | 'error', listener: (err: Error) => void): this;
    off(event: string, listener: (...args: never[]) => void): this;
  }
}
