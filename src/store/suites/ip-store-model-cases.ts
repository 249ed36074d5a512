import assert from 'node:assert/strict';
import type { Network } from '../../bittorrent/cidr.js';
import { maskNetwork, networkContains, parseNetwork } from '../../bittorrent/cidr.js';
import type { IPStore } from '../ip-store.js';
import type { SuiteCase } from './suite-support.js';
import { seededRandom } from './suite-support.js';

/*
 * The IPStore suite's cases whose expectations are computed rather than written out: the edges
 * of networks of many prefix lengths, and a large random list checked against a linear scan.
 */

/** `b` plus `delta` (1 or -1) as a big-endian number; null when it wraps around. */
function step(b: Buffer, delta: 1 | -1): Buffer | null {
  const r = Buffer.from(b);
  for (let i = r.length - 1; i >= 0; i--) {
    const v = r[i]! + delta;
    r[i] = v & 0xff;
    if (v >= 0 && v <= 0xff) return r;
  }
  return null;
}

/** The first and last addresses of `n` and its neighbours just outside (null past the ends). */
function bounds(n: Network): {
  first: Buffer;
  last: Buffer;
  before: Buffer | null;
  after: Buffer | null;
} {
  const first = maskNetwork(n).bytes;
  const last = Buffer.from(first);
  for (let bit = n.prefix; bit < last.length * 8; bit++) last[bit >>> 3]! |= 0x80 >>> (bit & 7);
  return { first, last, before: step(first, -1), after: step(last, 1) };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Networks whose edges the `prefix-boundaries` case probes: every word and byte edge of IPv6. */
const BOUNDARY_NETWORKS = [
  '128.0.0.0/1',
  '10.0.0.0/7',
  '10.128.0.0/9',
  '172.16.0.0/12',
  '10.2.0.0/15',
  '10.3.128.0/17',
  '192.168.2.0/23',
  '192.0.2.0/24',
  '192.0.2.128/25',
  '198.51.100.64/26',
  '203.0.113.4/30',
  '203.0.113.6/31',
  '8000::/1',
  '2001::/16',
  '2001:db8::/31',
  '2001:db8::/32',
  '2001:db8:8000::/33',
  '2001:db8:0:2::/63',
  '2001:db8:0:1::/64',
  '2001:db8:0:1:8000::/65',
  '2001:db8::1:0:0/96',
  '2001:db8::1:8000:0/97',
  '2001:db8::ff00/120',
  '2001:db8::4/126',
  '2001:db8::6/127',
];

/** Cases of `ipStoreSuite` checked against computed edges and a linear-scan model. */
export const IP_STORE_MODEL_CASES: SuiteCase<IPStore>[] = [
  {
    key: 'prefix-boundaries',
    title: 'a network holds its first and last address and not its neighbours',
    async run(s) {
      for (const text of BOUNDARY_NETWORKS) {
        const n = parseNetwork(text);
        const { first, last, before, after } = bounds(n);
        await s.addNetwork(n);
        assert.equal(await s.contains(first), true, `${text} first ${hex(first)}`);
        assert.equal(await s.contains(last), true, `${text} last ${hex(last)}`);
        if (before) assert.equal(await s.contains(before), false, `${text} before ${hex(before)}`);
        if (after) assert.equal(await s.contains(after), false, `${text} after ${hex(after)}`);
        assert.equal(await s.removeNetwork(n), true, text);
        assert.equal(await s.contains(first), false, `${text} removed`);
      }
    },
  },
  {
    key: 'many-networks',
    title: '10,000 random networks and 1,000 addresses agree with a linear scan',
    async run(s) {
      const next = seededRandom(0x5eed);
      const nets = new Map<string, Network>();
      const ips = new Set<string>();
      const randomBytes = (n: number): Buffer => {
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i += 4) b.writeUInt32BE(next(), i);
        return b;
      };
      const key = (n: Network): string => `${n.family}/${hex(maskNetwork(n).bytes)}/${n.prefix}`;
      const added: Network[] = [];
      for (let i = 0; i < 10_000; i++) {
        const v6 = (next() & 1) === 1;
        // Mostly long prefixes, as in real ban lists, and some short ones that cover many.
        const prefix = v6 ? 16 + (next() % 113) : 8 + (next() % 25);
        const n: Network = { family: v6 ? 6 : 4, bytes: randomBytes(v6 ? 16 : 4), prefix };
        await s.addNetwork(n);
        nets.set(key(n), n);
        added.push(n);
      }
      for (let i = 0; i < 1000; i++) {
        const a = randomBytes((next() & 1) === 1 ? 16 : 4);
        await s.addIP(a);
        ips.add(hex(a));
      }
      const model = (a: Buffer): boolean => {
        if (ips.has(hex(a))) return true;
        const family = a.length === 4 ? 4 : 6;
        for (const n of nets.values()) if (networkContains(n, a, family)) return true;
        return false;
      };
      const probes = (): Buffer[] => {
        const out: Buffer[] = [];
        for (let i = 0; i < 300; i++) out.push(randomBytes((next() & 1) === 1 ? 16 : 4));
        for (let i = 0; i < 300; i++) {
          // An address inside (or, with the last bit flipped, next to) a stored network.
          const n = added[next() % added.length]!;
          const a = randomBytes(n.bytes.length);
          for (let bit = 0; bit < n.prefix; bit++) {
            const m = 0x80 >>> (bit & 7);
            a[bit >>> 3] = (a[bit >>> 3]! & ~m) | (n.bytes[bit >>> 3]! & m);
          }
          if ((next() & 1) === 1) a[(n.prefix - 1) >>> 3]! ^= 0x80 >>> ((n.prefix - 1) & 7);
          out.push(a);
        }
        return out;
      };
      for (const a of probes()) assert.equal(await s.contains(a), model(a), hex(a));
      for (let i = 0; i < added.length; i += 2) {
        const n = added[i]!;
        assert.equal(await s.removeNetwork(n), nets.delete(key(n)), key(n));
      }
      for (const a of probes()) assert.equal(await s.contains(a), model(a), hex(a));
    },
  },
];
