import { Command } from 'ioredis';
import type { Network } from '../../bittorrent/cidr.js';

/*
 * How RedisIPStore writes entries as members of its set, and the SMISMEMBER that looks an
 * address up. A member is [kind][prefix length][address bytes]:
 *
 *   kind 0: an address added with addIP; the prefix byte is 32 or 128.
 *   kind 1: a network added with addNetwork; the address has its host bits cleared.
 *
 * An IPv4 member is 6 bytes and an IPv6 member 18, so the two families never meet.
 */

/** Kind byte of a member added with addIP. */
export const IP_MEMBER_SINGLE = 0;
/** Kind byte of a member added with addNetwork. */
export const IP_MEMBER_NETWORK = 1;

/** An address's bytes, checked: RangeError unless it has 4 or 16 (as MemoryIPStore). */
export function checkIP(ip: Uint8Array): Uint8Array {
  if (ip.length !== 4 && ip.length !== 16) {
    throw new RangeError(`an IP address is 4 or 16 bytes, got ${ip.length}`);
  }
  return ip;
}

/** A network, checked: RangeError if its family, byte count or prefix length is bad. */
export function checkNetwork(net: Network): Network {
  const bytes = net.family === 4 ? 4 : net.family === 6 ? 16 : 0;
  if (bytes === 0) throw new RangeError(`bad network family: ${String(net.family)}`);
  if (net.bytes.length !== bytes) {
    throw new RangeError(`an IPv${net.family} network has ${bytes} bytes, got ${net.bytes.length}`);
  }
  if (!Number.isInteger(net.prefix) || net.prefix < 0 || net.prefix > bytes * 8) {
    throw new RangeError(`bad IPv${net.family} prefix length: ${net.prefix}`);
  }
  return net;
}

/** The member of one entry. `bytes` must already be masked to `prefix` for a network. */
export function ipMember(kind: number, prefix: number, bytes: Uint8Array): Buffer {
  const m = Buffer.allocUnsafe(2 + bytes.length);
  m[0] = kind;
  m[1] = prefix;
  m.set(bytes, 2);
  return m;
}

/**
 * Members that would make an address of `bytes` bytes contained: itself as a single entry,
 * and its network for every prefix length 0..32 or 0..128. 34 for IPv4, 130 for IPv6.
 */
export function candidateCount(bytes: number): number {
  return bytes * 8 + 2;
}

/** RESP bulk string headers of a 6-byte and an 18-byte member: `$6\r\n`, `$18\r\n`. */
const BULK4: readonly number[] = [0x24, 0x36, 0x0d, 0x0a];
const BULK6: readonly number[] = [0x24, 0x31, 0x38, 0x0d, 0x0a];

/** Bytes of one candidate of an `n`-byte address in a frame: header, member, CRLF. */
function candidateBytes(n: number): number {
  return n === 4 ? BULK4.length + 6 + 2 : BULK6.length + 18 + 2;
}

/**
 * Writes the candidates of `ip` into `frame` at `off` as RESP bulk strings, in the order of
 * candidateCount: the single entry, then prefix lengths 0, 1, 2, ... Returns the offset after
 * the last one.
 */
function writeCandidates(ip: Uint8Array, frame: Buffer, off: number): number {
  const n = ip.length;
  const bits = n * 8;
  const bulk = n === 4 ? BULK4 : BULK6;
  for (let p = -1; p <= bits; p++) {
    for (let i = 0; i < bulk.length; i++) frame[off++] = bulk[i]!;
    if (p < 0) {
      frame[off++] = IP_MEMBER_SINGLE;
      frame[off++] = bits;
      for (let i = 0; i < n; i++) frame[off++] = ip[i]!;
    } else {
      frame[off++] = IP_MEMBER_NETWORK;
      frame[off++] = p;
      const full = p >>> 3;
      const rest = p & 7;
      let i = 0;
      for (; i < full; i++) frame[off++] = ip[i]!;
      if (rest !== 0) frame[off++] = ip[i++]! & (0xff << (8 - rest));
      for (; i < n; i++) frame[off++] = 0;
    }
    frame[off++] = 0x0d;
    frame[off++] = 0x0a;
  }
  return off;
}

/**
 * The start of an SMISMEMBER frame up to its members:
 * `*<2 + count>\r\n$10\r\nSMISMEMBER\r\n$<key bytes>\r\n<key>\r\n`.
 */
export function smismemberHeader(key: string, count: number): Buffer {
  const k = Buffer.from(key, 'utf8');
  return Buffer.concat([
    Buffer.from(`*${2 + count}\r\n$10\r\nSMISMEMBER\r\n$${k.length}\r\n`, 'latin1'),
    k,
    Buffer.from('\r\n', 'latin1'),
  ]);
}

/**
 * The whole SMISMEMBER frame of the candidates of `ips` (each already checked), after `header`
 * (smismemberHeader with their total candidateCount).
 */
export function candidatesFrame(header: Buffer, ips: readonly Uint8Array[]): Buffer {
  let size = header.length;
  for (const ip of ips) size += candidateCount(ip.length) * candidateBytes(ip.length);
  const frame = Buffer.allocUnsafe(size);
  header.copy(frame, 0);
  let off = header.length;
  for (const ip of ips) off = writeCandidates(ip, frame, off);
  return frame;
}

/**
 * An SMISMEMBER whose RESP frame was written by hand (candidatesFrame).
 *
 * Why not `client.smismember(key, members)`: ioredis encodes each argument on its own (a
 * header string, the Buffer, a CRLF, then a concatenation), which for 130 members costs tens of
 * microseconds of the tracker's CPU per lookup, more than Redis takes to answer it
 * (bench/redis-ip-contains.js). Writing the frame in place takes a few. The Command keeps the
 * key as its only argument, so a Cluster still routes it by the key's slot, and a redirected
 * or retried command sends the same frame again.
 */
export class CandidatesCommand extends Command {
  private readonly frame: Buffer;

  constructor(key: string, frame: Buffer) {
    super('smismember', [key]);
    this.frame = frame;
  }

  override toWritable(): Buffer {
    return this.frame;
  }
}
