import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatIP } from '../../bittorrent/address.js';
import { NetworkList } from '../../bittorrent/cidr.js';
import type { ClientAddress } from './client-address.js';
import { forwardedAddress, socketAddress } from './client-address.js';

const TRUSTED = new NetworkList(['10.0.0.0/8', '2001:db8:ffff::/48', '127.0.0.1']);
const NONE = new NetworkList([]);

/** The address as text (or null), to compare results readably. */
function text(a: ClientAddress | null): string | null {
  if (a === null) return null;
  assert.equal(a.ip.length, a.family === 4 ? 4 : 16);
  return formatIP(a.ip, 0, a.family);
}

const fwd = (header: string, trusted = TRUSTED): string | null =>
  text(forwardedAddress(header, trusted));

describe('socketAddress', () => {
  it('parses IPv4, IPv6 and v4-mapped socket addresses', () => {
    assert.deepEqual(socketAddress('203.0.113.5'), {
      ip: Buffer.from([203, 0, 113, 5]),
      family: 4,
    });
    assert.deepEqual(socketAddress('::ffff:203.0.113.5'), {
      ip: Buffer.from([203, 0, 113, 5]),
      family: 4,
    });
    const a6 = socketAddress('2001:db8::1');
    assert.equal(a6?.family, 6);
    assert.equal(text(a6), '2001:db8::1');
  });

  it('returns null for missing or invalid text', () => {
    assert.equal(socketAddress(undefined), null);
    assert.equal(socketAddress(''), null);
    assert.equal(socketAddress('nope'), null);
    assert.equal(socketAddress('fe80::1%eth0'), null);
  });
});

describe('forwardedAddress', () => {
  it('takes a single hop', () => {
    assert.equal(fwd('203.0.113.5'), '203.0.113.5');
    assert.equal(fwd('2001:db8::5'), '2001:db8::5');
    assert.equal(fwd('  203.0.113.5  '), '203.0.113.5');
  });

  it('takes the rightmost untrusted hop, skipping trusted proxies', () => {
    assert.equal(fwd('198.51.100.1, 203.0.113.5'), '203.0.113.5');
    assert.equal(fwd('198.51.100.1, 203.0.113.5, 10.1.1.1'), '203.0.113.5');
    assert.equal(fwd('198.51.100.1, 203.0.113.5, 10.1.1.1, 127.0.0.1'), '203.0.113.5');
    assert.equal(fwd('198.51.100.1,203.0.113.5,10.1.1.1'), '203.0.113.5');
    assert.equal(fwd('2001:db8:1::9, 2001:db8:ffff::1'), '2001:db8:1::9');
    // A client-written spoof to the left of the real client is ignored.
    assert.equal(fwd('10.9.9.9, 203.0.113.5, 10.1.1.1'), '203.0.113.5');
  });

  it('uses the leftmost hop when every hop is trusted', () => {
    assert.equal(fwd('10.1.1.1'), '10.1.1.1');
    assert.equal(fwd('10.2.2.2, 10.1.1.1, 127.0.0.1'), '10.2.2.2');
  });

  it('treats every hop as untrusted with an empty list', () => {
    assert.equal(fwd('10.2.2.2, 10.1.1.1', NONE), '10.1.1.1');
  });

  it('strips ports and brackets', () => {
    assert.equal(fwd('203.0.113.5:51413'), '203.0.113.5');
    assert.equal(fwd('[2001:db8::5]'), '2001:db8::5');
    assert.equal(fwd('[2001:db8::5]:51413'), '2001:db8::5');
    assert.equal(fwd('[2001:db8::5]:51413, 10.1.1.1:80'), '2001:db8::5');
    assert.equal(fwd('198.51.100.1:1, [2001:db8:ffff::2]:443'), '198.51.100.1');
    // A bare IPv6 address is not mistaken for host:port.
    assert.equal(fwd('2001:db8::5'), '2001:db8::5');
    assert.equal(fwd('::1'), '::1');
  });

  it('maps v4-mapped hops to IPv4, and matches them against IPv4 networks', () => {
    assert.equal(forwardedAddress('::ffff:203.0.113.5', TRUSTED)?.family, 4);
    assert.equal(fwd('203.0.113.5, ::ffff:10.1.1.1'), '203.0.113.5');
  });

  it('returns null when the header holds no valid address', () => {
    for (const h of [
      '',
      ' ',
      ',',
      ', ,',
      'unknown',
      'garbage, more',
      '[::1',
      '1.2.3',
      'example.com:80',
    ]) {
      assert.equal(fwd(h), null, JSON.stringify(h));
    }
  });

  it('stops at the first invalid hop from the right', () => {
    // The rightmost hop is garbage: nothing to its left can be believed.
    assert.equal(fwd('203.0.113.5, garbage'), null);
    assert.equal(fwd('203.0.113.5, '), null);
    // Garbage left of a trusted hop: the last valid (trusted) hop is the best known address.
    assert.equal(fwd('garbage, 10.1.1.1'), '10.1.1.1');
    assert.equal(fwd('203.0.113.9, garbage, 10.1.1.1'), '10.1.1.1');
    // Garbage left of an untrusted hop is never reached.
    assert.equal(fwd('garbage, 203.0.113.5'), '203.0.113.5');
  });

  it('matches a reference right-to-left reading on random headers (property)', () => {
    const hop = fc.oneof(
      fc.constantFrom(
        '10.1.1.1',
        '127.0.0.1',
        '2001:db8:ffff::1',
        '[2001:db8:ffff::7]:80',
        '10.0.0.1:8080',
      ),
      fc.constantFrom(
        '203.0.113.5',
        '198.51.100.1:99',
        '[2001:db8::1]',
        '::ffff:192.0.2.1',
        '2001:db8::2',
      ),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(
        fc.array(hop, { maxLength: 6 }),
        fc.constantFrom(',', ', ', ' ,'),
        (hops, sep) => {
          const header = hops.join(sep);
          const got = forwardedAddress(header, TRUSTED);
          // Reference: right to left, skip trusted hops, stop at the first untrusted or invalid one.
          let expected: ClientAddress | null = null;
          const parts = header.split(',');
          for (let i = parts.length - 1; i >= 0; i--) {
            const a = socketAddressOfHop(parts[i]!.trim());
            if (a === null) break;
            expected = a;
            if (!TRUSTED.contains(a.ip, a.family)) break;
          }
          if (header === '') expected = null;
          assert.deepEqual(got, expected, header);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** Reference hop parser: `[v6]`, `[v6]:port`, `v4:port`, or a bare address. */
function socketAddressOfHop(hop: string): ClientAddress | null {
  const m = /^\[([^\]]*)\](?::\d*)?/.exec(hop);
  if (m !== null) return socketAddress(m[1]);
  const colons = hop.split(':').length - 1;
  return socketAddress(colons === 1 ? hop.slice(0, hop.indexOf(':')) : hop);
}
