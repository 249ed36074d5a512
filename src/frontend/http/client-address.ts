import type { Family } from '../../bittorrent/address.js';
import { parseIP } from '../../bittorrent/address.js';
import type { NetworkList } from '../../bittorrent/cidr.js';

/** An address as bytes (4 or 16) and its family. */
export interface ClientAddress {
  ip: Buffer;
  family: Family;
}

/** Parses a socket's remote address; IPv4-mapped IPv6 becomes IPv4. */
export function socketAddress(text: string | undefined): ClientAddress | null {
  if (text === undefined) return null;
  const buf = Buffer.alloc(16);
  const family = parseIP(text, buf);
  if (family === 0) return null;
  return { ip: buf.subarray(0, family === 4 ? 4 : 16), family };
}

/**
 * The client's address behind trusted reverse proxies. `header` is the proxy header's value
 * (X-Forwarded-For style: `client, proxy1, proxy2`). Read right to left, every hop that is a
 * trusted proxy is skipped; the first untrusted one is the client, since anything to its left
 * was written by the client itself and cannot be believed. If every hop is trusted, the leftmost
 * is used. Returns null when the header holds no valid address.
 */
export function forwardedAddress(header: string, trusted: NetworkList): ClientAddress | null {
  let end = header.length;
  let last: ClientAddress | null = null;
  while (end > 0) {
    let start = header.lastIndexOf(',', end - 1);
    const part = header.slice(start + 1, end).trim();
    end = start < 0 ? 0 : start;
    start = 0;
    const addr = socketAddress(stripPort(part));
    if (addr === null) return last;
    last = addr;
    if (!trusted.contains(addr.ip, addr.family)) return addr;
  }
  return last;
}

/** Accepts `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]` and `[::1]:5678`. */
function stripPort(s: string): string {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    return close < 0 ? s : s.slice(1, close);
  }
  const colon = s.indexOf(':');
  if (colon >= 0 && s.indexOf(':', colon + 1) < 0) return s.slice(0, colon);
  return s;
}
