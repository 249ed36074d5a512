import type { AnnounceRequest } from '../../bittorrent/announce.js';
import { parseIP } from '../../bittorrent/address.js';
import { parseEventName } from '../../bittorrent/event.js';

/**
 * Query-string parsing for `/announce` and `/scrape`, straight from the request bytes.
 * Hand-written because it is the HTTP hot path: URLSearchParams decodes every value to a UTF-8
 * string, which destroys binary info hashes and allocates per parameter.
 * Percent-decoding follows RFC 3986: `%XX` is a byte and every other byte stands for itself
 * (`+` is a plus: BitTorrent clients percent-encode every reserved byte of a binary value).
 */

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Percent-decodes `src[start..end)` into `out` (from 0). Returns the decoded length, or -1 if
 * the input is malformed or the result would not fit in `out`.
 */
export function percentDecode(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    if (n === out.length) return -1;
    const c = src[i]!;
    if (c === 0x25 /* % */) {
      if (i + 2 >= end) return -1;
      const hi = hexNibble(src[i + 1]!);
      const lo = hexNibble(src[i + 2]!);
      if (hi < 0 || lo < 0) return -1;
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return n;
}

/** Parses a decimal integer in `src[start..end)`: -1 if empty, not digits, or above 2^53. */
export function parseDecimal(src: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 16) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = src[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : -1;
}

function nameIs(src: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (src[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** Trust settings for client-supplied addresses. */
export interface QueryOptions {
  /** Accept `ip`, `ipv4` and `ipv6` parameters as the peer's address. */
  trustIpParam: boolean;
}

const SCRATCH = Buffer.alloc(64);
const IP_SCRATCH = Buffer.alloc(16);
const ID_LEN = 20;

function decodeId(src: Uint8Array, vs: number, ve: number): Buffer | null {
  // At most 60 input bytes can decode to 20; decoding into the final buffer saves a copy.
  if (ve - vs < ID_LEN || ve - vs > 3 * ID_LEN) return null;
  const id = Buffer.allocUnsafe(ID_LEN);
  return percentDecode(src, vs, ve, id) === ID_LEN ? id : null;
}

/**
 * Fills `req` from the query `src[start..end)` (the bytes after `?`). The caller has already set
 * `req.clientIp` and `req.family` from the connection. Returns an error message for the client,
 * or null on success. On success `req.peer` holds the compact endpoint.
 */
export function parseAnnounceQuery(
  src: Uint8Array,
  start: number,
  end: number,
  req: AnnounceRequest,
  opts: QueryOptions,
): string | null {
  let haveHash = false;
  let havePeerId = false;
  let port = -1;
  let ipStart = -1;
  let ipEnd = -1;
  let ip4Start = -1;
  let ip4End = -1;
  let ip6Start = -1;
  let ip6End = -1;
  let p = start;
  while (p < end) {
    let amp = p;
    while (amp < end && src[amp] !== 0x26 /* & */) amp++;
    let eq = p;
    while (eq < amp && src[eq] !== 0x3d /* = */) eq++;
    const ns = p;
    const ne = eq;
    const vs = eq < amp ? eq + 1 : amp;
    const ve = amp;
    p = amp + 1;
    switch (ne - ns) {
      case 9:
        if (nameIs(src, ns, ne, 'info_hash')) {
          const h = decodeId(src, vs, ve);
          if (h === null) return 'invalid info_hash';
          req.infoHash = h;
          req.infoHashKey = h.toString('latin1', 0, ID_LEN);
          haveHash = true;
        }
        break;
      case 7:
        if (nameIs(src, ns, ne, 'peer_id')) {
          const id = decodeId(src, vs, ve);
          if (id === null) return 'invalid peer_id';
          req.peerId = id;
          havePeerId = true;
        } else if (nameIs(src, ns, ne, 'numwant')) {
          const n = parseDecimal(src, vs, ve);
          // A negative or garbled numwant means "the default", as most trackers treat it.
          req.numWant = n;
        } else if (nameIs(src, ns, ne, 'compact')) {
          req.compact = !(ve - vs === 1 && src[vs] === 0x30);
        } else if (nameIs(src, ns, ne, 'passkey')) {
          const len = percentDecode(src, vs, ve, SCRATCH);
          if (len < 0) return 'invalid passkey';
          req.passkey = SCRATCH.toString('utf8', 0, len);
        }
        break;
      case 4:
        if (nameIs(src, ns, ne, 'port')) {
          port = parseDecimal(src, vs, ve);
          if (port < 1 || port > 65535) return 'invalid port';
        } else if (nameIs(src, ns, ne, 'left')) {
          const n = parseDecimal(src, vs, ve);
          if (n < 0) return 'invalid left';
          req.left = n;
        } else if (nameIs(src, ns, ne, 'ipv4')) {
          ip4Start = vs;
          ip4End = ve;
        } else if (nameIs(src, ns, ne, 'ipv6')) {
          ip6Start = vs;
          ip6End = ve;
        }
        break;
      case 8:
        if (nameIs(src, ns, ne, 'uploaded')) {
          const n = parseDecimal(src, vs, ve);
          if (n < 0) return 'invalid uploaded';
          req.uploaded = n;
        }
        break;
      case 10:
        if (nameIs(src, ns, ne, 'downloaded')) {
          const n = parseDecimal(src, vs, ve);
          if (n < 0) return 'invalid downloaded';
          req.downloaded = n;
        } else if (nameIs(src, ns, ne, 'no_peer_id')) {
          req.noPeerId = ve - vs === 1 && src[vs] === 0x31;
        }
        break;
      case 5:
        if (nameIs(src, ns, ne, 'event')) {
          const len = percentDecode(src, vs, ve, SCRATCH);
          const ev = len < 0 ? -1 : parseEventName(SCRATCH.toString('latin1', 0, len));
          if (ev < 0) return 'invalid event';
          req.event = ev as AnnounceRequest['event'];
        }
        break;
      case 3:
        if (nameIs(src, ns, ne, 'key')) {
          const len = percentDecode(src, vs, ve, SCRATCH);
          if (len < 0) return 'invalid key';
          req.key = SCRATCH.toString('latin1', 0, len);
        }
        break;
      case 2:
        if (nameIs(src, ns, ne, 'ip')) {
          ipStart = vs;
          ipEnd = ve;
        }
        break;
      default:
        break;
    }
  }
  if (!haveHash) return 'missing info_hash';
  if (!havePeerId) return 'missing peer_id';
  if (port < 0) return 'missing port';
  req.port = port;

  // The peer's address: the connection's, unless the operator trusts client-given addresses.
  // Then `ip` wins, else the parameter of the connection's own family (BEP 7).
  let ipBytes: Buffer = req.clientIp;
  let family = req.family;
  if (opts.trustIpParam) {
    const [s, e] =
      ipStart >= 0 ? [ipStart, ipEnd] : req.family === 4 ? [ip4Start, ip4End] : [ip6Start, ip6End];
    if (s >= 0) {
      const len = percentDecode(src, s, e, SCRATCH);
      const fam = len < 0 ? 0 : parseIP(SCRATCH.toString('latin1', 0, len), IP_SCRATCH);
      if (fam === 0) return 'invalid ip';
      family = fam;
      ipBytes = IP_SCRATCH.subarray(0, fam === 4 ? 4 : 16);
    }
  }
  req.family = family;
  const ipLen = family === 4 ? 4 : 16;
  const peer = Buffer.allocUnsafe(ipLen + 2);
  ipBytes.copy(peer, 0, 0, ipLen);
  peer.writeUInt16BE(port, ipLen);
  req.peer = peer;
  return null;
}

/**
 * Collects the `info_hash` values of a scrape query as 20-byte Buffers, in request order.
 * Returns an error message, or the list (possibly empty: a full scrape request).
 */
export function parseScrapeQuery(
  src: Uint8Array,
  start: number,
  end: number,
  max: number,
): Buffer[] | string {
  const hashes: Buffer[] = [];
  let p = start;
  while (p < end) {
    let amp = p;
    while (amp < end && src[amp] !== 0x26) amp++;
    let eq = p;
    while (eq < amp && src[eq] !== 0x3d) eq++;
    if (nameIs(src, p, eq, 'info_hash')) {
      const h = decodeId(src, eq < amp ? eq + 1 : amp, amp);
      if (h === null) return 'invalid info_hash';
      if (hashes.length === max) return `too many info_hash values (at most ${max})`;
      hashes.push(h);
    }
    p = amp + 1;
  }
  return hashes;
}
