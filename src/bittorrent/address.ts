/**
 * IP address text <-> bytes. Hand-written because it runs once per UDP packet (dgram gives the
 * source address as text) and per HTTP request; `net.isIP` plus a generic parser costs more.
 */

/** Family of an address: 4 or 6. */
export type Family = 4 | 6;

/**
 * Parses dotted-quad IPv4 text into `out[off..off+4)`. Returns false if it is not exactly four
 * decimal octets (no leading `+`, no octal, no empty parts).
 */
export function parseIPv4Into(s: string, out: Uint8Array, off: number): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || part === 3) return false;
      out[off + part] = value;
      part++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false; // leading zero: ambiguous (octal) form
      value = value * 10 + (c - 48);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  if (digits === 0 || part !== 3) return false;
  out[off + 3] = value;
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// Scratch space reused by every call: parsing is synchronous, so one copy suffices.
const V6_GROUPS = new Uint16Array(8);
const V4_TAIL = new Uint8Array(4);

/**
 * Parses IPv6 text (RFC 4291 forms, `::` compression, a trailing dotted IPv4, no zone) into
 * `out[off..off+16)`. Returns false on anything else.
 */
export function parseIPv6Into(s: string, out: Uint8Array, off: number): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  const groups = V6_GROUPS;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58 /* : */) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === n) {
      out.fill(0, off, off + 16);
      return true;
    }
  }
  while (i < n) {
    if (count === 8) return false;
    // A dotted IPv4 tail takes the last two groups.
    let j = i;
    let value = 0;
    let digits = 0;
    while (j < n) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = (value << 4) | h;
      digits++;
      j++;
    }
    if (j < n && s.charCodeAt(j) === 46 /* . */) {
      if (count > 6) return false;
      const v4 = V4_TAIL;
      if (!parseIPv4Into(s.slice(i), v4, 0)) return false;
      groups[count++] = (v4[0]! << 8) | v4[1]!;
      groups[count++] = (v4[2]! << 8) | v4[3]!;
      i = n;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups[count++] = value;
    i = j;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === n) {
      return false; // trailing single colon
    }
  }
  if (gap < 0 && count !== 8) return false;
  if (gap >= 0 && count > 7) return false;
  const zeros = gap < 0 ? 0 : 8 - count;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    let v: number;
    if (gap >= 0 && k >= gap && k < gap + zeros) v = 0;
    else v = groups[g++]!;
    out[off + 2 * k] = v >>> 8;
    out[off + 2 * k + 1] = v & 0xff;
  }
  return true;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;

/** True if the 16 bytes at `off` are an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
export function isV4Mapped(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 12; i++) if (b[off + i] !== V4_MAPPED_PREFIX[i]) return false;
  return true;
}

/**
 * Parses any IP text into `out` (at least 16 bytes) and returns its family, or 0 if invalid.
 * IPv4-mapped IPv6 text is returned as IPv4 (4 bytes), so a dual-stack socket's v4 clients
 * join the IPv4 swarm.
 */
export function parseIP(s: string, out: Uint8Array): Family | 0 {
  if (parseIPv4Into(s, out, 0)) return 4;
  if (s.indexOf(':') < 0) return 0;
  if (!parseIPv6Into(s, out, 0)) return 0;
  if (isV4Mapped(out, 0)) {
    out.copyWithin(0, 12, 16);
    return 4;
  }
  return 6;
}

/** Formats 4 or 16 address bytes as text (for logs and non-compact replies). */
export function formatIP(b: Uint8Array, off: number, family: Family): string {
  if (family === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 8; i++)
    parts.push(((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return parts.join(':');
  const head = parts.slice(0, bestStart).join(':');
  const tail = parts.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}
