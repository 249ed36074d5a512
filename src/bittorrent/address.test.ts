import assert from 'node:assert/strict';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { codePoint } from '../test-support/arbitraries.js';
import { formatIP, isV4Mapped, parseIP, parseIPv4Into, parseIPv6Into } from './address.js';

/** parseIPv6Into as bytes, or null. */
function v6(s: string): Buffer | null {
  const out = Buffer.alloc(16);
  return parseIPv6Into(s, out, 0) ? out : null;
}

/** parseIPv4Into as bytes, or null. */
function v4(s: string): Buffer | null {
  const out = Buffer.alloc(4);
  return parseIPv4Into(s, out, 0) ? out : null;
}

/** The WHATWG URL parser's canonical form of IPv6 text (RFC 5952), or null if it rejects it. */
function urlCanonical(s: string): string | null {
  try {
    const host = new URL(`http://[${s}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return null;
  }
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');

describe('parseIPv4Into', () => {
  it('parses dotted quads', () => {
    assert.deepEqual(v4('0.0.0.0'), Buffer.from([0, 0, 0, 0]));
    assert.deepEqual(v4('1.2.3.4'), Buffer.from([1, 2, 3, 4]));
    assert.deepEqual(v4('255.255.255.255'), Buffer.from([255, 255, 255, 255]));
    assert.deepEqual(v4('192.168.100.10'), Buffer.from([192, 168, 100, 10]));
    assert.deepEqual(v4('10.0.0.1'), Buffer.from([10, 0, 0, 1]));
  });

  it('writes at the offset and nowhere else', () => {
    const out = Buffer.alloc(10, 0xee);
    assert.equal(parseIPv4Into('9.8.7.6', out, 3), true);
    assert.deepEqual(out, Buffer.from([0xee, 0xee, 0xee, 9, 8, 7, 6, 0xee, 0xee, 0xee]));
  });

  it('rejects everything that is not exactly four canonical decimal octets', () => {
    const bad = [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.',
      '.1.2.3',
      '1..2.3',
      '1.2.3.256',
      '256.1.1.1',
      '1.2.3.1000',
      '01.2.3.4', // leading zero (octal in inet_aton)
      '1.2.3.04',
      '1.2.00.4',
      '00.0.0.0',
      '+1.2.3.4',
      '-1.2.3.4',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1.2.3.4\n',
      '0x1.2.3.4',
      '1.2.3.a',
      '1.2.3.4/8',
      '1234567890',
      '4294967295', // a 32-bit integer is not dotted-quad text
      '1.2.3.4:80',
      '１.２.３.４', // full-width digits
      '::1',
    ];
    for (const s of bad) assert.equal(v4(s), null, JSON.stringify(s));
  });

  it('agrees with net.isIPv4 on random dotted strings', () => {
    const piece = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.integer({ min: 0, max: 99 }).map((n) => '0' + String(n)),
      fc.string({ unit: fc.constantFrom(...'0123456789.'), maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), (parts) => {
        const s = parts.join('.');
        const got = v4(s);
        assert.equal(got !== null, isIPv4(s), s);
        if (got !== null) assert.deepEqual([...got], s.split('.').map(Number), s);
      }),
      { numRuns: 1000 },
    );
  });
});

/** An IPv6 address (biased towards runs of zero groups) and a random valid text form of it. */
const v6Text = fc
  .record({
    groups: fc.array(
      fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
      {
        minLength: 8,
        maxLength: 8,
      },
    ),
    pads: fc.array(fc.nat({ max: 3 }), { minLength: 8, maxLength: 8 }),
    upper: fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }),
    dotted: fc.boolean(),
    compress: fc.nat({ max: 8 }),
  })
  .map(({ groups, pads, upper, dotted, compress }) => {
    const bytes = Buffer.alloc(16);
    groups.forEach((g, i) => bytes.writeUInt16BE(g, 2 * i));
    let k = 0;
    const texts = groups.map((g, i) => {
      let t = g.toString(16);
      t = '0'.repeat(Math.min(pads[i]!, 4 - t.length)) + t;
      return [...t].map((c) => (upper[k++ % 32] ? c.toUpperCase() : c)).join('');
    });
    const last = dotted ? 6 : 8;
    const tail = dotted ? `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}` : '';
    // Compress the run of zero groups starting at `compress`, if there is one before the tail.
    let text: string;
    let end = compress;
    while (end < last && groups[end] === 0) end++;
    if (compress < last && end > compress) {
      const head = texts.slice(0, compress).join(':');
      const rest = texts.slice(end, last);
      if (dotted) rest.push(tail);
      text = `${head}::${rest.join(':')}`;
    } else {
      const parts = texts.slice(0, last);
      if (dotted) parts.push(tail);
      text = parts.join(':');
    }
    return { bytes, text };
  });

describe('parseIPv6Into', () => {
  const cases: [string, string][] = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['1::2', '00010000000000000000000000000002'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:DB8:0:0:0:0:0:1', '20010db8000000000000000000000001'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '20010db8000000000000000000000001'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ff'.repeat(16)],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'], // :: for one group
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['1:2:3::5:6:7:8', '00010002000300000005000600070008'],
    ['0001:02:003:4::', '00010002000300040000000000000000'], // leading zeros within 4 digits
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['::FFFF:1.2.3.4', '00000000000000000000ffff01020304'],
    ['::1.2.3.4', '00000000000000000000000001020304'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['1:2:3:4:5::1.2.3.4', '00010002000300040005000001020304'],
    ['::ffff:255.255.255.255', '00000000000000000000ffffffffffff'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', 'ff'.repeat(16)], // 45 chars, the longest
  ];

  it('parses RFC 4291 forms', () => {
    for (const [s, bytes] of cases) {
      assert.equal(v6(s)?.toString('hex'), bytes, s);
      assert.equal(isIPv6(s), true, s);
    }
  });

  it('writes at the offset and nowhere else', () => {
    const out = Buffer.alloc(20, 0xee);
    assert.equal(parseIPv6Into('2001:db8::ff', out, 2), true);
    assert.deepEqual(out.subarray(0, 2), Buffer.from([0xee, 0xee]));
    assert.deepEqual(out.subarray(2, 18), hex('20010db80000000000000000000000ff'));
    assert.deepEqual(out.subarray(18), Buffer.from([0xee, 0xee]));
    const z = Buffer.alloc(20, 0xee);
    assert.equal(parseIPv6Into('::', z, 4), true);
    assert.deepEqual(z, Buffer.concat([Buffer.alloc(4, 0xee), Buffer.alloc(16)]));
  });

  it('rejects malformed text', () => {
    const bad = [
      '',
      ':',
      ':::',
      '::::',
      '1:::2',
      ':1::',
      '::1:',
      '1:',
      ':1',
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '1:2:3:4::5:6:7:8',
      '12345::',
      '00000::1',
      'g::1',
      '1:2:3:4:5:6:7:1.2.3.4', // the v4 tail takes two groups
      '::1.2.3',
      '::1.2.3.4.5',
      '::01.2.3.4', // leading zero in the v4 tail
      '::1.2.3.256',
      '::1.2.3.4:1',
      '::1.2.3.4::',
      '::ffff:1.2.3.4x',
      '1.2.3.4', // dotted quad alone is not IPv6
      '::1.2.3.4.',
      '::a1.2.3.4',
      'fe80::1%eth0', // zone ids are not accepted
      '[::1]',
      ' ::1',
      '::1 ',
      '::1/128',
      '1:2:3:4:5:6:7:8:', // trailing colon
      '::ffff:1.2.3.4'.padEnd(46, '0'),
      '0000:0000:0000:0000:0000:0000:0000:0000:0', // 41 chars, too many groups
    ];
    for (const s of bad) assert.equal(v6(s), null, JSON.stringify(s));
  });

  it('agrees with the WHATWG URL parser and net.isIPv6 on arbitrary hex/colon/dot text', () => {
    const unit = fc.constantFrom(...'0123456789abcdefABCDEF:.', ':', ':', '0', '1', 'f', '.');
    // Random text, and valid text with one character replaced, inserted or deleted.
    const text = fc.oneof(
      fc.string({ unit, maxLength: 45 }),
      fc
        .tuple(v6Text, fc.nat(), unit, fc.constantFrom('replace', 'insert', 'delete'))
        .map(([{ text: t }, at, c, op]) => {
          const i = at % (t.length + 1);
          if (op === 'insert') return t.slice(0, i) + c + t.slice(i);
          if (op === 'delete') return t.slice(0, i) + t.slice(i + 1);
          return t.slice(0, i) + c + t.slice(i + 1);
        }),
    );
    let valid = 0;
    fc.assert(
      fc.property(text, (s) => {
        const got = v6(s);
        const ref = urlCanonical(s);
        assert.equal(got !== null, ref !== null, `${s}: ours ${String(got !== null)}`);
        assert.equal(got !== null, isIPv6(s), s);
        if (got !== null) {
          valid++;
          assert.equal(formatIP(got, 0, 6), ref, s);
        }
      }),
      { numRuns: 1000 },
    );
    assert.ok(valid > 100, `only ${valid} valid samples`);
  });
});

describe('parseIP', () => {
  it('returns family 4 for dotted quads', () => {
    const out = Buffer.alloc(16);
    assert.equal(parseIP('203.0.113.7', out), 4);
    assert.deepEqual(out.subarray(0, 4), Buffer.from([203, 0, 113, 7]));
  });

  it('returns family 6 for IPv6', () => {
    const out = Buffer.alloc(16);
    assert.equal(parseIP('2001:db8::1', out), 6);
    assert.deepEqual(out, hex('20010db8000000000000000000000001'));
    assert.equal(parseIP('::', out), 6);
    assert.deepEqual(out, Buffer.alloc(16));
  });

  it('returns v4-mapped IPv6 as IPv4', () => {
    const out = Buffer.alloc(16);
    for (const s of [
      '::ffff:1.2.3.4',
      '::FFFF:1.2.3.4',
      '::ffff:102:304',
      '0:0:0:0:0:ffff:0102:0304',
    ]) {
      out.fill(0xaa);
      assert.equal(parseIP(s, out), 4, s);
      assert.deepEqual(out.subarray(0, 4), Buffer.from([1, 2, 3, 4]), s);
    }
    // Not mapped: v4-compatible (::a.b.c.d), v4-translated (::ffff:0:a.b.c.d), NAT64.
    for (const s of ['::1.2.3.4', '::ffff:0:1.2.3.4', '64:ff9b::1.2.3.4', '1::ffff:1.2.3.4']) {
      assert.equal(parseIP(s, out), 6, s);
    }
  });

  it('rejects invalid text with 0', () => {
    const out = Buffer.alloc(16);
    for (const s of [
      '',
      'localhost',
      '1.2.3',
      '01.2.3.4',
      '1.2.3.4.',
      ':::',
      'fe80::1%1',
      '[::1]',
      '1.2.3.4:80',
    ]) {
      assert.equal(parseIP(s, out), 0, s);
    }
  });

  it('agrees with net.isIP on valid forms (except v4-mapped, which becomes 4)', () => {
    fc.assert(
      fc.property(v6Text, ({ bytes, text }) => {
        assert.equal(isIP(text), 6, text);
        const out = Buffer.alloc(16);
        const fam = parseIP(text, out);
        if (isV4Mapped(bytes, 0)) {
          assert.equal(fam, 4, text);
          assert.deepEqual(out.subarray(0, 4), bytes.subarray(12), text);
        } else {
          assert.equal(fam, 6, text);
          assert.deepEqual(out, bytes, text);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('parses any random text form of an address to exactly its bytes', () => {
    fc.assert(
      fc.property(v6Text, ({ bytes, text }) => {
        assert.deepEqual(v6(text), bytes, text);
        assert.equal(formatIP(bytes, 0, 6), urlCanonical(text), text);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary strings and agrees with net.isIP when it accepts', () => {
    const str = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.string({ unit: codePoint, maxLength: 50 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxX:.%[] '), maxLength: 50 }),
    );
    const out = Buffer.alloc(16);
    fc.assert(
      fc.property(str, (s) => {
        const fam = parseIP(s, out);
        assert.ok(fam === 0 || fam === 4 || fam === 6);
        if (fam !== 0) assert.notEqual(isIP(s), 0, s);
        else if (!s.includes('%')) assert.equal(isIP(s), 0, s); // node accepts zone ids
      }),
      { numRuns: 1000 },
    );
  });
});

describe('formatIP', () => {
  it('formats IPv4 at an offset', () => {
    assert.equal(formatIP(Buffer.from([9, 1, 2, 3, 4, 9]), 1, 4), '1.2.3.4');
    assert.equal(formatIP(Buffer.from([0, 0, 0, 0]), 0, 4), '0.0.0.0');
    assert.equal(formatIP(Buffer.from([255, 255, 255, 255]), 0, 4), '255.255.255.255');
  });

  it('formats IPv6 in RFC 5952 canonical form', () => {
    const f = (h: string): string => formatIP(hex(h), 0, 6);
    assert.equal(f('00000000000000000000000000000000'), '::');
    assert.equal(f('00000000000000000000000000000001'), '::1');
    assert.equal(f('00010000000000000000000000000000'), '1::');
    assert.equal(f('20010db8000000000000000000000001'), '2001:db8::1');
    // A single zero group is not compressed.
    assert.equal(f('20010db8000000010001000100010001'), '2001:db8:0:1:1:1:1:1');
    // The longest run wins; on a tie the first run wins.
    assert.equal(f('20010000000000010000000000000001'), '2001:0:0:1::1');
    assert.equal(f('20010db8000000000001000000000001'), '2001:db8::1:0:0:1');
    assert.equal(f('abcd000000000000ffff000000000000'), 'abcd::ffff:0:0:0');
    assert.equal(f('00000000000000000000ffff01020304'), '::ffff:102:304');
    assert.equal(f('ffffffffffffffffffffffffffffffff'), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    assert.equal(f('00010000000300040005000600070008'), '1:0:3:4:5:6:7:8');
  });

  it('formats at an offset within a larger buffer', () => {
    const b = Buffer.concat([
      Buffer.from([1, 2]),
      hex('fe800000000000000000000000000001'),
      Buffer.from([3]),
    ]);
    assert.equal(formatIP(b, 2, 6), 'fe80::1');
  });

  it('round-trips random 4-byte addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        const s = formatIP(b, 0, 4);
        assert.equal(isIP(s), 4);
        const out = Buffer.alloc(16);
        assert.equal(parseIP(s, out), 4);
        assert.deepEqual([...out.subarray(0, 4)], [...b]);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips random 16-byte addresses and matches the URL canonical form', () => {
    const groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    });
    const addr = fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b)),
      groups.map((gs) => {
        const b = Buffer.alloc(16);
        gs.forEach((g, i) => b.writeUInt16BE(g, 2 * i));
        return b;
      }),
    );
    fc.assert(
      fc.property(addr, (b) => {
        const s = formatIP(b, 0, 6);
        assert.equal(urlCanonical(s), s);
        assert.deepEqual(v6(s), b, s);
        const out = Buffer.alloc(16);
        const fam = parseIP(s, out);
        if (isV4Mapped(b, 0)) {
          assert.equal(fam, 4);
          assert.deepEqual(out.subarray(0, 4), b.subarray(12));
        } else {
          assert.equal(fam, 6);
          assert.deepEqual(out, b);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('isV4Mapped', () => {
  it('checks the ::ffff:0:0/96 prefix at an offset', () => {
    assert.equal(isV4Mapped(hex('00000000000000000000ffff01020304'), 0), true);
    assert.equal(isV4Mapped(hex('00000000000000000000fffe01020304'), 0), false);
    assert.equal(isV4Mapped(hex('00000000000000000001ffff01020304'), 0), false);
    assert.equal(isV4Mapped(hex('aa00000000000000000000ffff01020304'), 1), true);
  });
});
