import type { AnnounceResponse, ScrapeEntry } from './announce.js';
import { formatIP } from './address.js';

/**
 * Bencoded HTTP tracker replies written straight into a byte buffer. Hand-written because this
 * runs once per request: the generic `bencode()` would build an object, sort its keys and
 * allocate per peer. Keys are emitted in sorted byte order by construction (a test decodes the
 * output and checks it), as BEP 3 requires.
 */

/** Writes `n` (a non-negative safe integer) in decimal at `off`; returns the new offset. */
export function writeDecimal(out: Buffer, off: number, n: number): number {
  if (n < 10) {
    out[off] = 48 + n;
    return off + 1;
  }
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  let p = off + digits;
  for (let t = n; p > off; t = Math.floor(t / 10)) out[--p] = 48 + (t % 10);
  return off + digits;
}

/** Encoded constants (keys), cached: `Buffer.write` per key costs more than the whole reply. */
const CONSTANTS = new Map<string, Uint8Array>();

function constant(s: string): Uint8Array {
  let b = CONSTANTS.get(s);
  if (b === undefined) {
    b = Uint8Array.from(Buffer.from(s, 'latin1'));
    CONSTANTS.set(s, b);
  }
  return b;
}

const K_COMPLETE = constant('8:complete');
const K_DOWNLOADED = constant('10:downloaded');
const K_EXTERNAL_IP = constant('11:external ip');
const K_INCOMPLETE = constant('10:incomplete');
const K_INTERVAL = constant('8:interval');
const K_MIN_INTERVAL = constant('12:min interval');
const K_PEERS = constant('5:peers');
const K_PEERS0_PEERS6 = constant('5:peers0:6:peers6');
const K_PEERS_LIST = constant('5:peersl');
const K_DICT_IP = constant('d2:ip');
const K_PORT = constant('4:port');
const K_FAILURE = constant('14:failure reason');
const K_RETRY_IN = constant('8:retry in');
const K_FILES = constant('d5:filesd');

function put(out: Buffer, off: number, c: Uint8Array): number {
  for (let i = 0; i < c.length; i++) out[off + i] = c[i]!;
  return off + c.length;
}

function writeAscii(out: Buffer, off: number, s: string): number {
  return off + out.write(s, off, 'latin1');
}

function writeInt(out: Buffer, off: number, key: Uint8Array, n: number): number {
  off = put(out, off, key);
  out[off++] = 0x69; // i
  off = writeDecimal(out, off, n);
  out[off++] = 0x65; // e
  return off;
}

function writeBytes(out: Buffer, off: number, b: Uint8Array, start: number, end: number): number {
  off = writeDecimal(out, off, end - start);
  out[off++] = 0x3a; // :
  if (b instanceof Buffer) b.copy(out, off, start, end);
  else out.set(b.subarray(start, end), off);
  return off + (end - start);
}

/** Upper bound of the bytes `writeAnnounce` may write for `res`. */
export function announceSizeBound(res: AnnounceResponse, compact: boolean): number {
  const perPeer = compact ? (res.family === 4 ? 6 : 18) : 64;
  return 200 + res.peerCount * perPeer;
}

/**
 * Writes an announce reply. `peers` carries IPv4 peers and `peers6` IPv6 peers (BEP 7); the
 * key of the other family is omitted except `peers`, which some clients require.
 * Non-compact replies list `ip` and `port` only: the store keys peers by endpoint and keeps no
 * peer id (as if `no_peer_id=1`, which BEP 23 permits clients to ask for anyway).
 */
export function writeAnnounce(
  res: AnnounceResponse,
  compact: boolean,
  externalIp: Buffer,
  out: Buffer,
  off: number,
): number {
  out[off++] = 0x64; // d
  off = writeInt(out, off, K_COMPLETE, res.complete);
  off = writeInt(out, off, K_DOWNLOADED, res.downloaded);
  if (externalIp.length > 0) {
    // BEP 24
    off = put(out, off, K_EXTERNAL_IP);
    off = writeBytes(out, off, externalIp, 0, externalIp.length);
  }
  off = writeInt(out, off, K_INCOMPLETE, res.incomplete);
  off = writeInt(out, off, K_INTERVAL, res.interval);
  off = writeInt(out, off, K_MIN_INTERVAL, res.minInterval);
  const peerBytes = res.peerCount * (res.family === 4 ? 6 : 18);
  if (compact) {
    if (res.family === 4) {
      off = put(out, off, K_PEERS);
      off = writeBytes(out, off, res.peers, 0, peerBytes);
    } else {
      off = put(out, off, K_PEERS0_PEERS6);
      off = writeBytes(out, off, res.peers, 0, peerBytes);
    }
  } else {
    off = put(out, off, K_PEERS_LIST);
    const rec = res.family === 4 ? 6 : 18;
    const ipLen = rec - 2;
    for (let p = 0; p < peerBytes; p += rec) {
      off = put(out, off, K_DICT_IP);
      const ip = formatIP(res.peers, p, res.family);
      off = writeDecimal(out, off, ip.length);
      out[off++] = 0x3a;
      off = writeAscii(out, off, ip);
      off = writeInt(out, off, K_PORT, res.peers.readUInt16BE(p + ipLen));
      out[off++] = 0x65;
    }
    out[off++] = 0x65;
  }
  out[off++] = 0x65; // e
  return off;
}

/** Upper bound of a failure reply for a message of `messageBytes` bytes. */
export function failureSizeBound(messageBytes: number): number {
  return 64 + messageBytes;
}

/**
 * Writes a failure reply. `retryIn` is in seconds; BEP 31 sends whole minutes (rounded up).
 */
export function writeFailure(
  message: string,
  retryIn: number | undefined,
  out: Buffer,
  off: number,
): number {
  const len = Buffer.byteLength(message);
  out[off++] = 0x64;
  off = put(out, off, K_FAILURE);
  off = writeDecimal(out, off, len);
  out[off++] = 0x3a;
  off += out.write(message, off, 'utf8');
  if (retryIn !== undefined) off = writeInt(out, off, K_RETRY_IN, Math.ceil(retryIn / 60));
  out[off++] = 0x65;
  return off;
}

/** Upper bound of a scrape reply for `n` info hashes. */
export function scrapeSizeBound(n: number): number {
  return 16 + n * (3 + 20 + 80);
}

/**
 * Writes a scrape reply (BEP 48). `hashes` must be sorted by bytes and unique (dictionary keys
 * are sorted), with `entries[i]` the counts of `hashes[i]`.
 */
export function writeScrape(
  hashes: readonly Buffer[],
  entries: readonly ScrapeEntry[],
  out: Buffer,
  off: number,
): number {
  off = put(out, off, K_FILES);
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i]!;
    const e = entries[i]!;
    off = writeBytes(out, off, h, 0, h.length);
    out[off++] = 0x64;
    off = writeInt(out, off, K_COMPLETE, e.complete);
    off = writeInt(out, off, K_DOWNLOADED, e.downloaded);
    off = writeInt(out, off, K_INCOMPLETE, e.incomplete);
    out[off++] = 0x65;
  }
  out[off++] = 0x65;
  out[off++] = 0x65;
  return off;
}
