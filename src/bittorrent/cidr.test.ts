import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Family } from './address.js';
import { parseIP } from './address.js';
import { NetworkList, networkContains, parseNetwork } from './cidr.js';

/** An address's bytes and family from text (must be valid). */
function ip(s: string): [Buffer, Family] {
  const b = Buffer.alloc(16);
  const fam = parseIP(s, b);
  assert.notEqual(fam, 0, s);
  return [b.subarray(0, fam === 4 ? 4 : 16), fam as Family];
}

function contains(net: string, addr: string): boolean {
  return networkContains(parseNetwork(net), ...ip(addr));
}

/** Reference: the first `prefix` bits of a and b are equal (bit by bit). */
function samePrefix(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  for (let i = 0; i < prefix; i++) {
    const byte = i >> 3;
    const bit = 7 - (i & 7);
    if (((a[byte]! >> bit) & 1) !== ((b[byte]! >> bit) & 1)) return false;
  }
  return true;
}

describe('parseNetwork', () => {
  it('parses IPv4 and IPv6 networks', () => {
    assert.deepEqual(parseNetwork('10.0.0.0/8'), {
      family: 4,
      bytes: Buffer.from([10, 0, 0, 0]),
      prefix: 8,
    });
    assert.deepEqual(parseNetwork('fd00::/8'), {
      family: 6,
      bytes: Buffer.concat([Buffer.from([0xfd]), Buffer.alloc(15)]),
      prefix: 8,
    });
    assert.equal(parseNetwork('0.0.0.0/0').prefix, 0);
    assert.equal(parseNetwork('::/0').prefix, 0);
    assert.equal(parseNetwork('1.2.3.4/32').prefix, 32);
    assert.equal(parseNetwork('::1/128').prefix, 128);
  });

  it('treats a bare address as a host network', () => {
    assert.deepEqual(parseNetwork('192.0.2.1'), {
      family: 4,
      bytes: Buffer.from([192, 0, 2, 1]),
      prefix: 32,
    });
    const n = parseNetwork('2001:db8::1');
    assert.equal(n.family, 6);
    assert.equal(n.prefix, 128);
    assert.equal(n.bytes.length, 16);
  });

  it('keeps host bits (they are masked when matching)', () => {
    assert.deepEqual(parseNetwork('10.1.2.3/8').bytes, Buffer.from([10, 1, 2, 3]));
    assert.equal(contains('10.1.2.3/8', '10.200.0.1'), true);
  });

  it('parses a bare v4-mapped address as IPv4', () => {
    assert.deepEqual(parseNetwork('::ffff:10.0.0.1'), {
      family: 4,
      bytes: Buffer.from([10, 0, 0, 1]),
      prefix: 32,
    });
  });

  it('maps the IPv6 prefix of a v4-mapped network to its IPv4 prefix', () => {
    // ::ffff:10.0.0.0/104 is 10.0.0.0/8 written as IPv6; /128 is one host.
    assert.deepEqual(parseNetwork('::ffff:10.0.0.0/104'), {
      family: 4,
      bytes: Buffer.from([10, 0, 0, 0]),
      prefix: 8,
    });
    assert.equal(parseNetwork('::ffff:1.2.3.4/128').prefix, 32);
    assert.equal(parseNetwork('::ffff:1.2.3.0/120').prefix, 24);
    assert.equal(parseNetwork('::ffff:0.0.0.0/96').prefix, 0);
  });

  it('rejects bad addresses and prefixes with RangeError', () => {
    const bad = [
      '',
      '/8',
      'x/8',
      '10.0.0/8',
      '10.0.0.0/',
      '10.0.0.0/33',
      '10.0.0.0/-1',
      '10.0.0.0/+8',
      '10.0.0.0/8/8',
      '10.0.0.0/ 8',
      '10.0.0.0/8 ',
      '10.0.0.0/0x8',
      '10.0.0.0/1000',
      '::/129',
      '::/1000',
      'fd00::/8.0',
      '[::1]/128',
      'fe80::1%eth0/64',
      'localhost',
    ];
    for (const s of bad) assert.throws(() => parseNetwork(s), RangeError, JSON.stringify(s));
  });
});

describe('networkContains', () => {
  it('prefix 0 contains every address of its family only', () => {
    assert.equal(contains('0.0.0.0/0', '1.2.3.4'), true);
    assert.equal(contains('0.0.0.0/0', '255.255.255.255'), true);
    assert.equal(contains('0.0.0.0/0', '::1'), false);
    assert.equal(contains('::/0', '2001:db8::1'), true);
    assert.equal(contains('::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), true);
    assert.equal(contains('::/0', '1.2.3.4'), false);
    // A v4-mapped client is IPv4 after parsing, so an IPv6 /0 does not contain it.
    assert.equal(contains('::/0', '::ffff:1.2.3.4'), false);
    assert.equal(contains('0.0.0.0/0', '::ffff:1.2.3.4'), true);
  });

  it('/32 and /128 match exactly one address', () => {
    assert.equal(contains('192.0.2.1/32', '192.0.2.1'), true);
    assert.equal(contains('192.0.2.1/32', '192.0.2.0'), false);
    assert.equal(contains('192.0.2.1/32', '192.0.2.2'), false);
    assert.equal(contains('192.0.2.1/32', '193.0.2.1'), false);
    assert.equal(contains('2001:db8::1/128', '2001:db8::1'), true);
    assert.equal(contains('2001:db8::1/128', '2001:db8::'), false);
    assert.equal(contains('2001:db8::1/128', '2001:db8::3'), false);
    assert.equal(contains('2001:db8::1/128', '3001:db8::1'), false);
  });

  it('handles prefixes that end inside a byte', () => {
    // 172.16.0.0/12 = 172.16.0.0 - 172.31.255.255
    assert.equal(contains('172.16.0.0/12', '172.16.0.0'), true);
    assert.equal(contains('172.16.0.0/12', '172.31.255.255'), true);
    assert.equal(contains('172.16.0.0/12', '172.15.255.255'), false);
    assert.equal(contains('172.16.0.0/12', '172.32.0.0'), false);
    // /13: 10.8.0.0 - 10.15.255.255
    assert.equal(contains('10.8.0.0/13', '10.8.0.0'), true);
    assert.equal(contains('10.8.0.0/13', '10.15.255.255'), true);
    assert.equal(contains('10.8.0.0/13', '10.7.255.255'), false);
    assert.equal(contains('10.8.0.0/13', '10.16.0.0'), false);
    // /1 and /31
    assert.equal(contains('128.0.0.0/1', '200.1.1.1'), true);
    assert.equal(contains('128.0.0.0/1', '127.255.255.255'), false);
    assert.equal(contains('10.0.0.0/31', '10.0.0.1'), true);
    assert.equal(contains('10.0.0.0/31', '10.0.0.2'), false);
    // IPv6 /13 and /127
    assert.equal(contains('2001:db8::/13', '2007:ffff::1'), true);
    assert.equal(contains('2001:db8::/13', '2008::1'), false);
    assert.equal(contains('fe80::/10', 'febf::1'), true);
    assert.equal(contains('fe80::/10', 'fec0::1'), false);
    assert.equal(contains('::2/127', '::3'), true);
    assert.equal(contains('::2/127', '::4'), false);
  });

  it('never matches across families', () => {
    // ::a00:0/104 has the same leading bytes as 10.0.0.0 only in IPv6 terms.
    assert.equal(contains('10.0.0.0/8', '::a00:1'), false);
    assert.equal(contains('a00::/8', '10.0.0.1'), false);
    const n4 = parseNetwork('1.2.3.4');
    const [b6] = ip('102:304::');
    assert.equal(networkContains(n4, b6, 6), false);
  });

  it('matches the bitwise reference for random networks and addresses', () => {
    const arb = fc.oneof(
      fc.record({
        family: fc.constant<Family>(4),
        net: fc.uint8Array({ minLength: 4, maxLength: 4 }),
        addr: fc.uint8Array({ minLength: 4, maxLength: 4 }),
        prefix: fc.integer({ min: 0, max: 32 }),
      }),
      fc.record({
        family: fc.constant<Family>(6),
        net: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        addr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        prefix: fc.integer({ min: 0, max: 128 }),
      }),
    );
    fc.assert(
      fc.property(arb, fc.nat({ max: 128 }), ({ family, net, addr, prefix }, copyBits) => {
        // Make the address share a random number of leading bits with the network.
        const a = Buffer.from(addr);
        for (let i = 0; i < Math.min(copyBits, a.length * 8); i++) {
          const byte = i >> 3;
          const mask = 0x80 >> (i & 7);
          a[byte] = (a[byte]! & ~mask) | (net[byte]! & mask);
        }
        const n = { family, bytes: Buffer.from(net), prefix };
        assert.equal(networkContains(n, a, family), samePrefix(net, a, prefix));
        assert.equal(networkContains(n, a, family === 4 ? 6 : 4), false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('NetworkList', () => {
  it('is empty without networks', () => {
    const l = new NetworkList([]);
    assert.equal(l.empty, true);
    assert.equal(l.contains(...ip('1.2.3.4')), false);
    assert.equal(l.contains(...ip('::1')), false);
  });

  it('contains an address if any network does', () => {
    const l = new NetworkList(['10.0.0.0/8', '192.168.1.1', 'fd00::/8', '::1']);
    assert.equal(l.empty, false);
    assert.equal(l.networks.length, 4);
    assert.equal(l.contains(...ip('10.9.9.9')), true);
    assert.equal(l.contains(...ip('192.168.1.1')), true);
    assert.equal(l.contains(...ip('192.168.1.2')), false);
    assert.equal(l.contains(...ip('fd12::1')), true);
    assert.equal(l.contains(...ip('::1')), true);
    assert.equal(l.contains(...ip('::2')), false);
    assert.equal(l.contains(...ip('11.0.0.1')), false);
    assert.equal(l.contains(...ip('::ffff:10.1.1.1')), true);
  });

  it('throws RangeError for a bad entry', () => {
    assert.throws(() => new NetworkList(['10.0.0.0/8', 'nope']), RangeError);
  });
});
