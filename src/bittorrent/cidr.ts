import type { Family } from './address.js';
import { parseIP } from './address.js';

/** One CIDR network: address bytes and prefix length. */
export interface Network {
  family: Family;
  bytes: Buffer;
  prefix: number;
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128). Throws RangeError if bad. */
export function parseNetwork(text: string): Network {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const buf = Buffer.alloc(16);
  const family = parseIP(addr, buf);
  if (family === 0) throw new RangeError(`not an IP address: ${addr}`);
  const writtenAsV6 = addr.includes(':');
  const max = writtenAsV6 ? 128 : 32;
  let prefix = family === 4 ? 32 : 128;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max) throw new RangeError(`bad prefix: ${text}`);
    prefix = Number(p);
    // A mapped IPv4 written as IPv6 (::ffff:a.b.c.d/n) keeps its IPv6 prefix length.
    if (family === 4 && writtenAsV6) prefix = Math.max(0, prefix - 96);
  }
  return { family, bytes: buf.subarray(0, family === 4 ? 4 : 16), prefix };
}

/** True if the first `prefix` bits of `ip` equal the network's. */
export function networkContains(net: Network, ip: Uint8Array, family: Family): boolean {
  if (net.family !== family) return false;
  const full = net.prefix >>> 3;
  for (let i = 0; i < full; i++) if (ip[i] !== net.bytes[i]) return false;
  const bits = net.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (ip[full]! & mask) === (net.bytes[full]! & mask);
}

/** A short list of networks (trusted proxies): a linear scan is the right cost at this size. */
export class NetworkList {
  readonly networks: readonly Network[];

  constructor(texts: readonly string[]) {
    this.networks = texts.map(parseNetwork);
  }

  get empty(): boolean {
    return this.networks.length === 0;
  }

  contains(ip: Uint8Array, family: Family): boolean {
    for (const n of this.networks) if (networkContains(n, ip, family)) return true;
    return false;
  }
}

/** The same network with its host bits (past the prefix) cleared: 10.1.2.3/8 is 10.0.0.0/8. */
export function maskNetwork(net: Network): Network {
  const bytes = Buffer.alloc(net.family === 4 ? 4 : 16);
  const full = net.prefix >>> 3;
  for (let i = 0; i < full; i++) bytes[i] = net.bytes[i]!;
  const bits = net.prefix & 7;
  if (bits !== 0) bytes[full] = net.bytes[full]! & ((0xff << (8 - bits)) & 0xff);
  return { family: net.family, bytes, prefix: net.prefix };
}
