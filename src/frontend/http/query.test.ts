import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AnnounceRequest } from '../../bittorrent/announce.js';
import type { Family } from '../../bittorrent/address.js';
import {
  EVENT_COMPLETED,
  EVENT_NONE,
  EVENT_STARTED,
  EVENT_STOPPED,
} from '../../bittorrent/event.js';
import { parseAnnounceQuery, parseDecimal, parseScrapeQuery, percentDecode } from './query.js';

const HASH = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
const PEER_ID = Buffer.from('-qB4650-abcdefghijkl');
const CLIENT4 = Buffer.from([198, 51, 100, 7]);
const CLIENT6 = Buffer.from('20010db8000000000000000000000077', 'hex');

/** Percent-encodes every byte (upper-case hex). */
function pct(b: Uint8Array): string {
  return [...b].map((x) => '%' + x.toString(16).toUpperCase().padStart(2, '0')).join('');
}

const BASE = `info_hash=${pct(HASH)}&peer_id=${pct(PEER_ID)}&port=6881`;

function newReq(family: Family = 4): AnnounceRequest {
  const r = new AnnounceRequest();
  r.family = family;
  r.clientIp = family === 4 ? CLIENT4 : CLIENT6;
  return r;
}

interface Parsed {
  err: string | null;
  req: AnnounceRequest;
}

/** Parses `query` (latin1 text) placed inside a larger buffer, to check the bounds are honoured. */
function announce(query: string | Buffer, opts: { trust?: boolean; family?: Family } = {}): Parsed {
  const q = typeof query === 'string' ? Buffer.from(query, 'latin1') : query;
  const src = Buffer.concat([Buffer.from('GET /announce?'), q, Buffer.from('&port=1 HTTP/1.1')]);
  const req = newReq(opts.family ?? 4);
  const err = parseAnnounceQuery(src, 14, 14 + q.length, req, {
    trustIpParam: opts.trust ?? false,
  });
  return { err, req };
}

function ok(
  query: string | Buffer,
  opts: { trust?: boolean; family?: Family } = {},
): AnnounceRequest {
  const { err, req } = announce(query, opts);
  assert.equal(err, null, `unexpected error for ${String(query)}`);
  return req;
}

function fails(
  query: string,
  message: string,
  opts: { trust?: boolean; family?: Family } = {},
): void {
  assert.equal(announce(query, opts).err, message, query);
}

describe('percentDecode', () => {
  const dec = (s: string, size = 64): Buffer | number => {
    const src = Buffer.from('xx' + s + 'yy', 'latin1');
    const out = Buffer.alloc(size);
    const n = percentDecode(src, 2, 2 + s.length, out);
    return n < 0 ? n : out.subarray(0, n);
  };

  it('decodes %XX in either case and keeps every other byte', () => {
    assert.deepEqual(dec(''), Buffer.alloc(0));
    assert.deepEqual(dec('abc'), Buffer.from('abc'));
    assert.deepEqual(dec('%41%4a%4A%ff%FF%00'), Buffer.from([0x41, 0x4a, 0x4a, 0xff, 0xff, 0x00]));
    assert.deepEqual(dec('a+b'), Buffer.from('a+b')); // + is a plus, not a space
    assert.deepEqual(dec('%2B%2b'), Buffer.from('++'));
    assert.deepEqual(dec('=?/\x00\xff'), Buffer.from([0x3d, 0x3f, 0x2f, 0x00, 0xff]));
    assert.deepEqual(dec('%25'), Buffer.from('%'));
    assert.deepEqual(dec('%2525'), Buffer.from('%25'));
  });

  it('rejects truncated or non-hex escapes', () => {
    for (const s of ['%', '%4', 'a%', 'ab%4', '%g0', '%0g', '%%41', '% 41', '%-1', '%+1']) {
      assert.equal(dec(s), -1, s);
    }
  });

  it('rejects output that would not fit', () => {
    assert.deepEqual(dec('abcd', 4), Buffer.from('abcd'));
    assert.equal(dec('abcde', 4), -1);
    assert.deepEqual(dec('%41%42', 2), Buffer.from('AB'));
    assert.equal(dec('%41%42%43', 2), -1);
    assert.equal(dec('a', 0), -1);
    assert.deepEqual(dec('', 0), Buffer.alloc(0));
  });
});

describe('parseDecimal', () => {
  const num = (s: string): number => {
    const src = Buffer.from('9' + s + '9', 'latin1');
    return parseDecimal(src, 1, 1 + s.length);
  };

  it('parses non-negative decimal integers', () => {
    assert.equal(num('0'), 0);
    assert.equal(num('7'), 7);
    assert.equal(num('6881'), 6881);
    assert.equal(num('007'), 7);
    assert.equal(num('9007199254740991'), Number.MAX_SAFE_INTEGER);
  });

  it('returns -1 for empty, non-digits, and values above 2^53', () => {
    for (const s of ['', '-1', '+1', '1a', 'a1', ' 1', '1 ', '1.5', '1e3', '0x10', '９']) {
      assert.equal(num(s), -1, s);
    }
    assert.equal(num('9007199254740992'), -1);
    assert.equal(num('9999999999999999'), -1);
    assert.equal(num('99999999999999999'), -1);
    assert.equal(num('00000000000000001'), -1); // more than 16 digits
  });

  it('matches Number() for random digit strings', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 18 }),
        (s) => {
          const expected = s.length <= 16 && Number(s) <= Number.MAX_SAFE_INTEGER ? Number(s) : -1;
          assert.equal(num(s), expected, s);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseAnnounceQuery', () => {
  it('parses the required parameters with defaults for the rest', () => {
    const r = ok(BASE);
    assert.deepEqual(r.infoHash, HASH);
    assert.equal(r.infoHashKey, HASH.toString('latin1'));
    assert.deepEqual(r.peerId, PEER_ID);
    assert.equal(r.port, 6881);
    assert.equal(r.uploaded, 0);
    assert.equal(r.downloaded, 0);
    assert.equal(r.left, 0);
    assert.equal(r.event, EVENT_NONE);
    assert.equal(r.numWant, -1);
    assert.equal(r.compact, true);
    assert.equal(r.noPeerId, false);
    assert.equal(r.key, '');
    assert.equal(r.passkey, '');
    assert.equal(r.family, 4);
    assert.deepEqual(r.peer, Buffer.concat([CLIENT4, Buffer.from([0x1a, 0xe1])]));
  });

  it('parses every parameter', () => {
    const r = ok(
      BASE +
        '&uploaded=100&downloaded=200&left=300&event=started&numwant=25&compact=0' +
        '&no_peer_id=1&key=A%2Bb+c&passkey=s3cr3t',
    );
    assert.equal(r.uploaded, 100);
    assert.equal(r.downloaded, 200);
    assert.equal(r.left, 300);
    assert.equal(r.event, EVENT_STARTED);
    assert.equal(r.numWant, 25);
    assert.equal(r.compact, false);
    assert.equal(r.noPeerId, true);
    assert.equal(r.key, 'A+b+c');
    assert.equal(r.passkey, 's3cr3t');
  });

  it('does not copy the hash and id as views of the request buffer or a shared scratch', () => {
    const a = ok(BASE);
    const b = ok(
      `info_hash=${pct(Buffer.alloc(20, 1))}&peer_id=${pct(Buffer.alloc(20, 2))}&port=1`,
    );
    assert.deepEqual(a.infoHash, HASH);
    assert.deepEqual(a.peerId, PEER_ID);
    assert.deepEqual(b.infoHash, Buffer.alloc(20, 1));
    assert.deepEqual(b.peerId, Buffer.alloc(20, 2));
  });

  it('accepts parameters in any order, with unknown ones and empty pairs', () => {
    const r = ok(
      `&&foo=bar&port=80&x&peer_id=${pct(PEER_ID)}&=&info_hash=${pct(HASH)}&supportcrypto=1&`,
    );
    assert.deepEqual(r.infoHash, HASH);
    assert.deepEqual(r.peerId, PEER_ID);
    assert.equal(r.port, 80);
  });

  it('reads only inside the given bounds', () => {
    // The surrounding bytes hold "&port=1"; a query without a port must still be missing it.
    fails(`info_hash=${pct(HASH)}&peer_id=${pct(PEER_ID)}`, 'missing port');
  });

  it('names the missing required parameter', () => {
    fails('', 'missing info_hash');
    fails(`peer_id=${pct(PEER_ID)}&port=1`, 'missing info_hash');
    fails(`info_hash=${pct(HASH)}&port=1`, 'missing peer_id');
    fails(`info_hash=${pct(HASH)}&peer_id=${pct(PEER_ID)}`, 'missing port');
    fails('INFO_HASH=' + pct(HASH) + `&peer_id=${pct(PEER_ID)}&port=1`, 'missing info_hash');
  });

  it('rejects info_hash and peer_id that are not exactly 20 bytes', () => {
    fails(
      `info_hash=${pct(HASH.subarray(0, 19))}&peer_id=${pct(PEER_ID)}&port=1`,
      'invalid info_hash',
    );
    fails(`info_hash=${pct(HASH)}00&peer_id=${pct(PEER_ID)}&port=1`, 'invalid info_hash');
    fails(`info_hash=&peer_id=${pct(PEER_ID)}&port=1`, 'invalid info_hash');
    fails(`info_hash&peer_id=${pct(PEER_ID)}&port=1`, 'invalid info_hash');
    fails(`info_hash=${'%41'.repeat(100)}&peer_id=${pct(PEER_ID)}&port=1`, 'invalid info_hash');
    fails(
      `info_hash=${pct(HASH).slice(0, -1)}&peer_id=${pct(PEER_ID)}&port=1`,
      'invalid info_hash',
    );
    fails(
      `info_hash=${pct(HASH).slice(0, -2)}%zz&peer_id=${pct(PEER_ID)}&port=1`,
      'invalid info_hash',
    );
    fails(`info_hash=${pct(HASH)}&peer_id=${pct(PEER_ID.subarray(1))}&port=1`, 'invalid peer_id');
    fails(`info_hash=${pct(HASH)}&peer_id=${pct(PEER_ID)}x&port=1`, 'invalid peer_id');
  });

  it('decodes a binary info_hash covering every byte value, escaped or raw', () => {
    const all = Buffer.from([...Array(256).keys()]);
    for (let off = 0; off < 256; off += 20) {
      const h = Buffer.alloc(20);
      for (let i = 0; i < 20; i++) h[i] = all[(off + i) % 256]!;
      // Every byte escaped (upper and lower case hex).
      assert.deepEqual(ok(`info_hash=${pct(h)}&peer_id=${pct(PEER_ID)}&port=1`).infoHash, h);
      assert.deepEqual(
        ok(`info_hash=${pct(h).toLowerCase()}&peer_id=${pct(PEER_ID)}&port=1`).infoHash,
        h,
      );
      // Every byte raw, except the two that cannot stand for themselves: '%' and '&'.
      const raw = Buffer.concat(
        [...h].map((b) =>
          b === 0x25 || b === 0x26 ? Buffer.from(pct(Buffer.from([b]))) : Buffer.from([b]),
        ),
      );
      const q = Buffer.concat([
        Buffer.from('info_hash='),
        raw,
        Buffer.from(`&peer_id=${pct(PEER_ID)}&port=1`),
      ]);
      assert.deepEqual(ok(q).infoHash, h, `raw bytes ${off}`);
    }
  });

  it('keeps + as a plus (0x2b), not a space', () => {
    const h = Buffer.alloc(20, 0x2b);
    const r = ok(`info_hash=${'+'.repeat(20)}&peer_id=${'+'.repeat(20)}&port=1`);
    assert.deepEqual(r.infoHash, h);
    assert.deepEqual(r.peerId, h);
  });

  it('validates port', () => {
    const q = (port: string): string =>
      `info_hash=${pct(HASH)}&peer_id=${pct(PEER_ID)}&port=${port}`;
    assert.equal(ok(q('1')).port, 1);
    assert.equal(ok(q('65535')).port, 65535);
    assert.deepEqual(ok(q('65535')).peer.subarray(4), Buffer.from([0xff, 0xff]));
    for (const p of ['0', '65536', '99999', '-1', '', 'abc', '80a', '%38%30', '1e3', ' 80']) {
      fails(q(p), 'invalid port');
    }
    fails(`info_hash=${pct(HASH)}&peer_id=${pct(PEER_ID)}&port`, 'invalid port');
  });

  it('validates left, uploaded and downloaded', () => {
    assert.equal(ok(BASE + '&left=0').left, 0);
    assert.equal(ok(BASE + '&left=9007199254740991').left, Number.MAX_SAFE_INTEGER);
    for (const v of ['', '-1', 'x', '1.5', '9007199254740992']) {
      fails(BASE + '&left=' + v, 'invalid left');
      fails(BASE + '&uploaded=' + v, 'invalid uploaded');
      fails(BASE + '&downloaded=' + v, 'invalid downloaded');
    }
  });

  it('parses events and rejects unknown ones', () => {
    assert.equal(ok(BASE + '&event=started').event, EVENT_STARTED);
    assert.equal(ok(BASE + '&event=completed').event, EVENT_COMPLETED);
    assert.equal(ok(BASE + '&event=stopped').event, EVENT_STOPPED);
    assert.equal(ok(BASE + '&event=').event, EVENT_NONE);
    assert.equal(ok(BASE + '&event=empty').event, EVENT_NONE);
    assert.equal(ok(BASE + '&event=paused').event, EVENT_NONE);
    assert.equal(ok(BASE + '&event=%73tarted').event, EVENT_STARTED);
    for (const e of ['start', 'STARTED', 'stopped2', 'x', '%', '%zz'])
      fails(BASE + '&event=' + e, 'invalid event');
  });

  it('treats a bad numwant as the default', () => {
    assert.equal(ok(BASE + '&numwant=0').numWant, 0);
    assert.equal(ok(BASE + '&numwant=200').numWant, 200);
    assert.equal(ok(BASE + '&numwant=-1').numWant, -1);
    assert.equal(ok(BASE + '&numwant=abc').numWant, -1);
    assert.equal(ok(BASE + '&numwant=').numWant, -1);
  });

  it('reads compact and no_peer_id flags', () => {
    assert.equal(ok(BASE + '&compact=1').compact, true);
    assert.equal(ok(BASE + '&compact=0').compact, false);
    assert.equal(ok(BASE + '&compact=').compact, true);
    assert.equal(ok(BASE + '&compact=00').compact, true);
    assert.equal(ok(BASE + '&no_peer_id=1').noPeerId, true);
    assert.equal(ok(BASE + '&no_peer_id=0').noPeerId, false);
    assert.equal(ok(BASE + '&no_peer_id=').noPeerId, false);
  });

  it('rejects a malformed key', () => {
    assert.equal(ok(BASE + '&key=abcd1234').key, 'abcd1234');
    assert.equal(ok(BASE + '&key=%ff').key, '\xff');
    fails(BASE + '&key=%', 'invalid key');
    fails(BASE + '&key=' + 'a'.repeat(65), 'invalid key');
  });

  it('ignores ip, ipv4 and ipv6 unless trusted', () => {
    const q = BASE + '&ip=1.2.3.4&ipv4=5.6.7.8&ipv6=2001:db8::5';
    const r = ok(q);
    assert.equal(r.family, 4);
    assert.deepEqual(r.peer, Buffer.concat([CLIENT4, Buffer.from([0x1a, 0xe1])]));
    // Even invalid values are ignored when not trusted.
    assert.deepEqual(ok(BASE + '&ip=garbage&ipv4=x&ipv6=y').peer.subarray(0, 4), CLIENT4);
    const r6 = ok(q, { family: 6 });
    assert.equal(r6.family, 6);
    assert.deepEqual(r6.peer, Buffer.concat([CLIENT6, Buffer.from([0x1a, 0xe1])]));
  });

  it('uses ip when trusted, over ipv4/ipv6', () => {
    const r = ok(BASE + '&ipv4=5.6.7.8&ip=1.2.3.4', { trust: true });
    assert.equal(r.family, 4);
    assert.deepEqual(r.peer, Buffer.from([1, 2, 3, 4, 0x1a, 0xe1]));
    // An IPv6 ip on an IPv4 connection switches the family.
    const r6 = ok(BASE + '&ip=2001:db8::5', { trust: true });
    assert.equal(r6.family, 6);
    assert.deepEqual(
      r6.peer,
      Buffer.concat([
        Buffer.from('20010db8000000000000000000000005', 'hex'),
        Buffer.from([0x1a, 0xe1]),
      ]),
    );
    // Percent-encoded and v4-mapped forms.
    const rm = ok(BASE + '&ip=%3A%3Affff%3A9.9.9.9', { trust: true, family: 6 });
    assert.equal(rm.family, 4);
    assert.deepEqual(rm.peer, Buffer.from([9, 9, 9, 9, 0x1a, 0xe1]));
    // The socket address is kept as the client's address (BEP 24 external ip).
    assert.deepEqual(r.clientIp, CLIENT4);
  });

  it('uses the parameter of the connection family when trusted and ip is absent', () => {
    const q = BASE + '&ipv4=5.6.7.8&ipv6=2001:db8::5';
    const r4 = ok(q, { trust: true, family: 4 });
    assert.equal(r4.family, 4);
    assert.deepEqual(r4.peer, Buffer.from([5, 6, 7, 8, 0x1a, 0xe1]));
    const r6 = ok(q, { trust: true, family: 6 });
    assert.equal(r6.family, 6);
    assert.deepEqual(
      r6.peer.subarray(0, 16),
      Buffer.from('20010db8000000000000000000000005', 'hex'),
    );
    // Only the other family's parameter: the socket address stays.
    assert.deepEqual(
      ok(BASE + '&ipv6=2001:db8::5', { trust: true, family: 4 }).peer.subarray(0, 4),
      CLIENT4,
    );
    assert.deepEqual(
      ok(BASE + '&ipv4=5.6.7.8', { trust: true, family: 6 }).peer.subarray(0, 16),
      CLIENT6,
    );
  });

  it('rejects an invalid trusted address', () => {
    for (const v of ['', 'garbage', 'example.com', '1.2.3', '01.2.3.4', '%', '1.2.3.4:80']) {
      fails(BASE + '&ip=' + v, 'invalid ip', { trust: true });
    }
    fails(BASE + '&ipv4=300.1.1.1', 'invalid ip', { trust: true, family: 4 });
    fails(BASE + '&ipv6=1:::2', 'invalid ip', { trust: true, family: 6 });
  });

  it('recovers random binary info_hash and peer_id however they are percent-encoded (property)', () => {
    const unreserved = new Set(
      Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'),
    );
    const encodeByte = (b: number, mode: number): string => {
      // mode 0: upper-case hex, 1: lower-case hex, 2: mixed case, 3: raw when unreserved
      if (mode === 3 && unreserved.has(b)) return String.fromCharCode(b);
      const h = b.toString(16).padStart(2, '0');
      if (mode === 0) return '%' + h.toUpperCase();
      if (mode === 1) return '%' + h;
      return '%' + h[0]!.toUpperCase() + h[1]!;
    };
    const encoded = fc
      .tuple(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 20, maxLength: 20 }),
      )
      .map(([bytes, modes]) => ({
        bytes: Buffer.from(bytes),
        text: [...bytes].map((b, i) => encodeByte(b, modes[i]!)).join(''),
      }));
    // Bias some ids to be all unreserved text (as many clients' peer ids are).
    const textual = fc
      .string({ unit: fc.constantFrom(...'abcXYZ019-._~'), minLength: 20, maxLength: 20 })
      .map((s) => ({ bytes: Buffer.from(s), text: s }));
    const extra = fc.array(
      fc.constantFrom('compact=1', 'left=0', 'event=started', 'foo=bar', 'key=x', 'numwant=5'),
      {
        maxLength: 4,
      },
    );
    fc.assert(
      fc.property(
        encoded,
        fc.oneof(encoded, textual),
        fc.integer({ min: 1, max: 65535 }),
        extra,
        fc.boolean(),
        (h, id, port, more, shuffle) => {
          const pairs = [`info_hash=${h.text}`, `peer_id=${id.text}`, `port=${port}`, ...more];
          if (shuffle) pairs.reverse();
          const r = ok(pairs.join('&'));
          assert.deepEqual(r.infoHash, h.bytes);
          assert.equal(r.infoHashKey, h.bytes.toString('latin1'));
          assert.deepEqual(r.peerId, id.bytes);
          assert.equal(r.port, port);
          const sq = Buffer.from(`info_hash=${h.text}&info_hash=${id.text}`);
          const s = parseScrapeQuery(sq, 0, sq.length, 10);
          assert.ok(Array.isArray(s));
          assert.deepEqual(s, [h.bytes, id.bytes]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary query bytes (property)', () => {
    const tokens = fc.constantFrom(
      'info_hash=',
      'peer_id=',
      'port=',
      'left=',
      'ip=',
      'ipv4=',
      'ipv6=',
      'event=',
      'key=',
      'numwant=',
      'compact=',
      '&',
      '=',
      '%',
      '%4',
      '%41',
      '%zz',
      '1',
      '::1',
      '1.2.3.4',
      pct(HASH),
      pct(PEER_ID),
    );
    const query = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc
        .array(fc.oneof(tokens, fc.string({ maxLength: 4 })), { maxLength: 30 })
        .map((t) => Buffer.from(t.join(''), 'latin1')),
      fc
        .array(fc.oneof(tokens, fc.string({ maxLength: 4 })), { maxLength: 30 })
        .map((t) => Buffer.from(BASE + '&' + t.join(''), 'latin1')),
    );
    fc.assert(
      fc.property(
        query,
        fc.boolean(),
        fc.constantFrom(4 as Family, 6 as Family),
        (q, trust, family) => {
          const req = newReq(family);
          const err = parseAnnounceQuery(q, 0, q.length, req, { trustIpParam: trust });
          if (err === null) {
            assert.equal(req.infoHash.length, 20);
            assert.equal(req.peerId.length, 20);
            assert.ok(req.port >= 1 && req.port <= 65535);
            assert.equal(req.peer.length, req.family === 4 ? 6 : 18);
            assert.equal(req.peer.readUInt16BE(req.peer.length - 2), req.port);
          } else {
            assert.equal(typeof err, 'string');
          }
          const s = parseScrapeQuery(q, 0, q.length, 74);
          if (Array.isArray(s)) for (const h of s) assert.equal(h.length, 20);
          else assert.equal(typeof s, 'string');
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('parseScrapeQuery', () => {
  const scrape = (q: string, max = 74): Buffer[] | string => {
    const src = Buffer.from('/scrape?' + q + '&info_hash=' + pct(HASH), 'latin1');
    return parseScrapeQuery(src, 8, 8 + q.length, max);
  };
  const h = (i: number): Buffer => Buffer.alloc(20, i);

  it('returns an empty list for a full scrape', () => {
    assert.deepEqual(scrape(''), []);
    assert.deepEqual(scrape('foo=bar&x'), []);
  });

  it('collects info hashes in request order, duplicates included', () => {
    const q = `info_hash=${pct(h(3))}&foo=1&info_hash=${pct(h(1))}&info_hash=${pct(h(3))}`;
    assert.deepEqual(scrape(q), [h(3), h(1), h(3)]);
  });

  it('rejects a bad info_hash', () => {
    assert.equal(scrape(`info_hash=${pct(h(1))}&info_hash=abc`), 'invalid info_hash');
    assert.equal(scrape('info_hash='), 'invalid info_hash');
    assert.equal(scrape('info_hash'), 'invalid info_hash');
    assert.equal(scrape(`info_hash=${pct(h(1))}%`), 'invalid info_hash');
  });

  it('caps the number of info hashes', () => {
    const q = (n: number): string =>
      Array.from({ length: n }, (_, i) => `info_hash=${pct(h(i))}`).join('&');
    assert.equal((scrape(q(3), 3) as Buffer[]).length, 3);
    assert.equal(scrape(q(4), 3), 'too many info_hash values (at most 3)');
    assert.equal((scrape(q(74)) as Buffer[]).length, 74);
    assert.equal(scrape(q(75)), 'too many info_hash values (at most 74)');
    assert.equal(scrape(q(1), 0), 'too many info_hash values (at most 0)');
  });
});
