import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { Family } from './fixtures.js';
import { LOOPBACK } from './fixtures.js';

/**
 * Our own raw BEP 15 client for the tracker tests, on node:dgram: packets are built byte for
 * byte here (the bittorrent-tracker Client cannot do IPv6, malformed packets or BEP 41).
 */

export const PROTOCOL_ID = Buffer.from('0000041727101980', 'hex');
export const CONNECT = 0;
export const ANNOUNCE = 1;
export const SCRAPE = 2;
export const ERROR = 3;

export const EVENT = { none: 0, completed: 1, started: 2, stopped: 3 } as const;

export interface UdpAnnounce {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  port: number;
  downloaded?: number;
  left?: number;
  uploaded?: number;
  event?: keyof typeof EVENT;
  /** -1 (the default) means "the tracker's default". */
  numWant?: number;
  key?: number;
  ip?: number;
  /** Bytes after the 98-byte announce (BEP 41 options). */
  options?: Buffer;
}

export interface AnnounceReply {
  transactionId: number;
  interval: number;
  leechers: number;
  seeders: number;
  /** The raw peer bytes after the 20-byte header. */
  peerBytes: Buffer;
}

export interface ScrapeReplyEntry {
  seeders: number;
  completed: number;
  leechers: number;
}

/** A BEP 41 URL-data option (type 2) carrying `text` (at most 255 bytes). */
export function urlDataOption(text: string): Buffer {
  const b = Buffer.from(text, 'latin1');
  if (b.length > 255) throw new Error('URL data option too long');
  return Buffer.concat([Buffer.from([2, b.length]), b]);
}

/** A fresh random transaction id. */
export function txid(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** Builds a connect request. */
export function connectPacket(transactionId: number): Buffer {
  const b = Buffer.alloc(16);
  PROTOCOL_ID.copy(b, 0);
  b.writeUInt32BE(CONNECT, 8);
  b.writeUInt32BE(transactionId, 12);
  return b;
}

/** Builds an announce request (98 bytes plus options). */
export function announcePacket(connId: Buffer, transactionId: number, a: UdpAnnounce): Buffer {
  const b = Buffer.alloc(98);
  connId.copy(b, 0, 0, 8);
  b.writeUInt32BE(ANNOUNCE, 8);
  b.writeUInt32BE(transactionId, 12);
  Buffer.from(a.infoHash).copy(b, 16, 0, 20);
  Buffer.from(a.peerId).copy(b, 36, 0, 20);
  b.writeBigUInt64BE(BigInt(a.downloaded ?? 0), 56);
  b.writeBigUInt64BE(BigInt(a.left ?? 1000), 64);
  b.writeBigUInt64BE(BigInt(a.uploaded ?? 0), 72);
  b.writeUInt32BE(EVENT[a.event ?? 'none'], 80);
  b.writeUInt32BE(a.ip ?? 0, 84);
  b.writeUInt32BE(a.key ?? 0, 88);
  b.writeInt32BE(a.numWant ?? -1, 92);
  b.writeUInt16BE(a.port, 96);
  return a.options === undefined ? b : Buffer.concat([b, a.options]);
}

/** Builds a scrape request. */
export function scrapePacket(
  connId: Buffer,
  transactionId: number,
  hashes: readonly Uint8Array[],
): Buffer {
  const b = Buffer.alloc(16 + 20 * hashes.length);
  connId.copy(b, 0, 0, 8);
  b.writeUInt32BE(SCRAPE, 8);
  b.writeUInt32BE(transactionId, 12);
  hashes.forEach((h, i) => Buffer.from(h).copy(b, 16 + 20 * i, 0, 20));
  return b;
}

/** A UDP socket of one family talking to one tracker port on loopback. */
export class UdpConn {
  readonly family: Family;
  readonly port: number;
  private readonly sock: dgram.Socket;
  private readonly queue: Buffer[] = [];
  private wake: (() => void) | null = null;

  private constructor(sock: dgram.Socket, family: Family, port: number) {
    this.sock = sock;
    this.family = family;
    this.port = port;
    sock.on('message', (msg) => {
      this.queue.push(msg);
      const w = this.wake;
      this.wake = null;
      w?.();
    });
  }

  static async open(port: number, family: Family): Promise<UdpConn> {
    const sock = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: LOOPBACK[family], port: 0 }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return new UdpConn(sock, family, port);
  }

  send(packet: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock.send(packet, this.port, LOOPBACK[this.family], (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  /** The next datagram, or null if none arrives within `timeoutMs`. */
  async receive(timeoutMs = 2000): Promise<Buffer | null> {
    const queued = this.queue.shift();
    if (queued !== undefined) return queued;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, timeoutMs);
      this.wake = (): void => {
        clearTimeout(t);
        resolve();
      };
    });
    return this.queue.shift() ?? null;
  }

  /** Sends `packet` and returns the reply (throws if none comes within `timeoutMs`). */
  async request(packet: Buffer, timeoutMs = 2000): Promise<Buffer> {
    await this.send(packet);
    const r = await this.receive(timeoutMs);
    if (r === null) throw new Error('no reply from the tracker');
    return r;
  }

  /** Connects (BEP 15) and returns the 8-byte connection id. */
  async connect(): Promise<Buffer> {
    const t = txid();
    const r = await this.request(connectPacket(t));
    if (r.length !== 16) throw new Error(`connect reply of ${r.length} bytes`);
    if (r.readUInt32BE(0) !== CONNECT) throw new Error(`connect reply action ${r.readUInt32BE(0)}`);
    if (r.readUInt32BE(4) !== t) throw new Error('connect reply with a wrong transaction id');
    return Buffer.from(r.subarray(8, 16));
  }

  /** Connects, announces and returns the parsed reply (throws on an error action). */
  async announce(a: UdpAnnounce, connId?: Buffer): Promise<AnnounceReply> {
    const id = connId ?? (await this.connect());
    const t = txid();
    const r = await this.request(announcePacket(id, t, a));
    return parseAnnounceReply(r, t);
  }

  /** Connects, scrapes and returns the entries in request order. */
  async scrape(hashes: readonly Uint8Array[], connId?: Buffer): Promise<ScrapeReplyEntry[]> {
    const id = connId ?? (await this.connect());
    const t = txid();
    const r = await this.request(scrapePacket(id, t, hashes));
    return parseScrapeReply(r, t);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }
}

/** The message of an error reply, or null if `r` is not one. */
export function errorMessage(r: Buffer): string | null {
  if (r.length < 8 || r.readUInt32BE(0) !== ERROR) return null;
  return r.toString('utf8', 8);
}

export function parseAnnounceReply(r: Buffer, transactionId: number): AnnounceReply {
  const err = errorMessage(r);
  if (err !== null) throw new Error(`tracker error: ${err}`);
  if (r.length < 20) throw new Error(`announce reply of ${r.length} bytes`);
  if (r.readUInt32BE(0) !== ANNOUNCE) throw new Error(`announce reply action ${r.readUInt32BE(0)}`);
  const t = r.readUInt32BE(4);
  if (t !== transactionId) throw new Error('announce reply with a wrong transaction id');
  return {
    transactionId: t,
    interval: r.readUInt32BE(8),
    leechers: r.readUInt32BE(12),
    seeders: r.readUInt32BE(16),
    peerBytes: Buffer.from(r.subarray(20)),
  };
}

export function parseScrapeReply(r: Buffer, transactionId: number): ScrapeReplyEntry[] {
  const err = errorMessage(r);
  if (err !== null) throw new Error(`tracker error: ${err}`);
  if (r.length < 8 || (r.length - 8) % 12 !== 0)
    throw new Error(`scrape reply of ${r.length} bytes`);
  if (r.readUInt32BE(0) !== SCRAPE) throw new Error(`scrape reply action ${r.readUInt32BE(0)}`);
  if (r.readUInt32BE(4) !== transactionId)
    throw new Error('scrape reply with a wrong transaction id');
  const out: ScrapeReplyEntry[] = [];
  for (let o = 8; o < r.length; o += 12) {
    out.push({
      seeders: r.readUInt32BE(o),
      completed: r.readUInt32BE(o + 4),
      leechers: r.readUInt32BE(o + 8),
    });
  }
  return out;
}
