import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createTracker } from '../../index.js';
import type { BoundAddress, ShoalConfigInput, Tracker } from '../../index.js';

/**
 * Shared fixtures of the protocol end-to-end tests: a tracker on every loopback socket, ids,
 * and compact peer decoding. Every socket is on 127.0.0.1 or ::1.
 */

export type Family = 4 | 6;

export const LOOPBACK: Record<Family, string> = { 4: '127.0.0.1', 6: '::1' };
export const FAMILIES: readonly Family[] = [4, 6];

type Sections = Omit<ShoalConfigInput, 'listen' | 'log'>;

/** Starts a tracker listening for HTTP and UDP on 127.0.0.1 and ::1 (ephemeral ports). */
export function startTracker(config: Sections = {}): Promise<Tracker> {
  return createTracker({
    ...config,
    listen: { http: ['127.0.0.1:0', '[::1]:0'], udp: ['127.0.0.1:0', '[::1]:0'] },
    log: { level: 'silent' },
  });
}

/** The tracker's bound socket of one kind and family. */
export function boundAddress(tracker: Tracker, kind: 'http' | 'udp', family: Family): BoundAddress {
  const list = kind === 'http' ? tracker.httpAddresses : tracker.udpAddresses;
  const a = list.find((x) => x.family === family);
  if (a === undefined) throw new Error(`tracker has no ${kind} socket for IPv${family}`);
  return a;
}

/** `host:port` as in a URL authority (IPv6 in brackets). */
export function hostPort(a: { address: string; port: number; family: number }): string {
  return a.family === 6 ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** 20 random bytes (an info hash or peer id). */
export function randomId(): Buffer {
  return randomBytes(20);
}

/**
 * 20 random bytes below 0x80. The bittorrent-tracker Client maps HTTP scrape reply keys back
 * to info hashes by decoding them as UTF-8, which only round-trips for such bytes.
 */
export function asciiId(): Buffer {
  const b = randomBytes(20);
  for (let i = 0; i < b.length; i++) b[i] = b[i]! & 0x7f;
  return b;
}

let nextPort = 20000;
/** A distinct peer port per call (peers are told apart by address and port). */
export function peerPort(): number {
  nextPort = nextPort >= 65000 ? 20000 : nextPort + 1;
  return nextPort;
}

/** Decodes compact peers (6-byte IPv4 or 18-byte IPv6 records) to `ip:port` / `[ip]:port`. */
export function compactPeers(buf: Buffer, family: Family): string[] {
  const rec = family === 4 ? 6 : 18;
  if (buf.length % rec !== 0) {
    throw new Error(`compact peers: ${buf.length} bytes is not a multiple of ${rec}`);
  }
  const out: string[] = [];
  for (let p = 0; p < buf.length; p += rec) out.push(compactPeer(buf.subarray(p, p + rec)));
  return out;
}

/** How a peer on loopback of `family` appears in replies: `127.0.0.1:port` or `[::1]:port`. */
export function ep(family: Family, port: number): string {
  return family === 4 ? `127.0.0.1:${port}` : `[::1]:${port}`;
}

/** One compact record as `ip:port` (IPv4) or `[ip]:port` (IPv6, compressed form). */
export function compactPeer(rec: Buffer): string {
  if (rec.length === 6) {
    return `${rec[0]}.${rec[1]}.${rec[2]}.${rec[3]}:${rec.readUInt16BE(4)}`;
  }
  if (rec.length !== 18) throw new Error(`compact peer of ${rec.length} bytes`);
  return `[${formatIPv6(rec.subarray(0, 16))}]:${rec.readUInt16BE(16)}`;
}

/** An address as 4 or 16 bytes to text (IPv6 compressed, lower case). */
export function ipText(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length === 16) return formatIPv6(b);
  throw new Error(`address of ${b.length} bytes`);
}

function formatIPv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  // The longest run of zero groups (at least two) becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `what` if `p` has not settled within `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port free for both TCP and UDP on 127.0.0.1. */
export async function freePort(): Promise<number> {
  for (;;) {
    const srv = createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as { port: number }).port;
    srv.close();
    await once(srv, 'close');
    const udp = createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, '127.0.0.1', () => resolve());
      });
      return port;
    } catch {
      // taken for UDP: try another
    } finally {
      udp.close();
    }
  }
}
