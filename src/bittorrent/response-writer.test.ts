import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AnnounceResponse, ScrapeEntry } from './announce.js';
import type { Family } from './address.js';
import { bdecode } from './bencode.js';
import type { Decoded } from './bencode.js';
import {
  announceSizeBound,
  failureSizeBound,
  scrapeSizeBound,
  writeAnnounce,
  writeDecimal,
  writeFailure,
  writeScrape,
} from './response-writer.js';

type Dict = { [key: string]: Decoded };

/**
 * Walks one bencoded value at `pos` and returns its end. For every dictionary it meets it checks
 * that the raw keys are strictly increasing (BEP 3) and records them in `seen`.
 */
function walk(buf: Buffer, pos: number, seen: string[][]): number {
  const c = buf[pos]!;
  if (c === 0x69) return buf.indexOf(0x65, pos) + 1;
  if (c >= 0x30 && c <= 0x39) {
    const colon = buf.indexOf(0x3a, pos);
    return colon + 1 + Number(buf.toString('latin1', pos, colon));
  }
  if (c === 0x6c) {
    pos++;
    while (buf[pos] !== 0x65) pos = walk(buf, pos, seen);
    return pos + 1;
  }
  assert.equal(c, 0x64, `unexpected byte ${c} at ${pos}`);
  pos++;
  const keys: Buffer[] = [];
  while (buf[pos] !== 0x65) {
    const colon = buf.indexOf(0x3a, pos);
    const len = Number(buf.toString('latin1', pos, colon));
    const key = buf.subarray(colon + 1, colon + 1 + len);
    const prev = keys[keys.length - 1];
    if (prev !== undefined) {
      assert.ok(
        Buffer.compare(prev, key) < 0,
        `keys out of order: ${prev.toString('latin1')} before ${key.toString('latin1')}`,
      );
    }
    keys.push(key);
    pos = walk(buf, colon + 1 + len, seen);
  }
  seen.push(keys.map((k) => k.toString('latin1')));
  return pos + 1;
}

/** Decodes a reply and checks the key order of every dictionary in it; returns both. */
function decodeChecked(buf: Buffer): { value: Dict; dicts: string[][] } {
  const dicts: string[][] = [];
  assert.equal(walk(buf, 0, dicts), buf.length);
  return { value: bdecode(buf) as Dict, dicts };
}

function response(
  family: Family,
  peers: Buffer[],
  counts: Partial<AnnounceResponse> = {},
): AnnounceResponse {
  const r = new AnnounceResponse();
  r.interval = counts.interval ?? 1800;
  r.minInterval = counts.minInterval ?? 900;
  r.complete = counts.complete ?? 3;
  r.incomplete = counts.incomplete ?? 4;
  r.downloaded = counts.downloaded ?? 5;
  r.family = family;
  r.peers = Buffer.concat(peers);
  r.peerCount = peers.length;
  return r;
}

function announce(res: AnnounceResponse, compact: boolean, externalIp = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(announceSizeBound(res, compact) + 8, 0xee);
  const end = writeAnnounce(res, compact, externalIp, out, 4);
  assert.ok(end - 4 <= announceSizeBound(res, compact), 'size bound exceeded');
  assert.deepEqual(out.subarray(0, 4), Buffer.alloc(4, 0xee), 'wrote before the offset');
  assert.equal(out[end], 0xee, 'wrote past the returned offset');
  return Buffer.from(out.subarray(4, end));
}

const P4A = Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]); // 10.0.0.1:6881
const P4B = Buffer.from([192, 168, 1, 200, 0xff, 0xff]); // 192.168.1.200:65535
const P6A = Buffer.concat([
  Buffer.from('20010db8000000000000000000000001', 'hex'),
  Buffer.from([0, 80]),
]);
const P6B = Buffer.concat([
  Buffer.from('fe800000000000000000000000000abc', 'hex'),
  Buffer.from([0x1a, 0xe2]),
]);

describe('writeAnnounce', () => {
  it('writes a compact IPv4 reply with sorted keys', () => {
    const buf = announce(response(4, [P4A, P4B]), true);
    const { value, dicts } = decodeChecked(buf);
    assert.deepEqual(dicts, [
      ['complete', 'downloaded', 'incomplete', 'interval', 'min interval', 'peers'],
    ]);
    assert.equal(value['complete'], 3);
    assert.equal(value['incomplete'], 4);
    assert.equal(value['downloaded'], 5);
    assert.equal(value['interval'], 1800);
    assert.equal(value['min interval'], 900);
    assert.deepEqual(value['peers'], Buffer.concat([P4A, P4B]));
    assert.equal(
      buf.toString('latin1'),
      'd8:completei3e10:downloadedi5e10:incompletei4e8:intervali1800e12:min intervali900e5:peers12:' +
        Buffer.concat([P4A, P4B]).toString('latin1') +
        'e',
    );
  });

  it('writes a compact IPv6 reply with an empty peers and a peers6', () => {
    const { value, dicts } = decodeChecked(announce(response(6, [P6A, P6B]), true));
    assert.deepEqual(dicts, [
      ['complete', 'downloaded', 'incomplete', 'interval', 'min interval', 'peers', 'peers6'],
    ]);
    assert.deepEqual(value['peers'], Buffer.alloc(0));
    assert.deepEqual(value['peers6'], Buffer.concat([P6A, P6B]));
  });

  it('writes only peerCount records even when the peer buffer is longer', () => {
    const res = response(4, [P4A, P4B]);
    res.peerCount = 1;
    assert.deepEqual(decodeChecked(announce(res, true)).value['peers'], P4A);
    const res6 = response(6, [P6A, P6B]);
    res6.peerCount = 1;
    assert.deepEqual(decodeChecked(announce(res6, true)).value['peers6'], P6A);
    const none = response(4, [P4A]);
    none.peerCount = 0;
    assert.deepEqual(decodeChecked(announce(none, false)).value['peers'], []);
  });

  it('writes an empty compact peer list', () => {
    assert.deepEqual(
      decodeChecked(announce(response(4, []), true)).value['peers'],
      Buffer.alloc(0),
    );
    const v6 = decodeChecked(announce(response(6, []), true)).value;
    assert.deepEqual(v6['peers6'], Buffer.alloc(0));
  });

  it('adds BEP 24 external ip in key order', () => {
    const ext4 = Buffer.from([203, 0, 113, 9]);
    const { value, dicts } = decodeChecked(announce(response(4, [P4A]), true, ext4));
    assert.deepEqual(dicts[0], [
      'complete',
      'downloaded',
      'external ip',
      'incomplete',
      'interval',
      'min interval',
      'peers',
    ]);
    assert.deepEqual(value['external ip'], ext4);
    const ext6 = Buffer.from('20010db8000000000000000000000099', 'hex');
    const v6 = decodeChecked(announce(response(6, [P6A]), true, ext6)).value;
    assert.deepEqual(v6['external ip'], ext6);
  });

  it('writes non-compact IPv4 peers as ip/port dictionaries', () => {
    const { value, dicts } = decodeChecked(announce(response(4, [P4A, P4B]), false));
    assert.deepEqual(dicts, [
      ['ip', 'port'],
      ['ip', 'port'],
      ['complete', 'downloaded', 'incomplete', 'interval', 'min interval', 'peers'],
    ]);
    assert.deepEqual(
      value['peers'],
      [
        { ip: Buffer.from('10.0.0.1'), port: 6881 },
        { ip: Buffer.from('192.168.1.200'), port: 65535 },
      ].map((p) => Object.assign(Object.create(null) as Dict, p)),
    );
  });

  it('writes non-compact IPv6 peers with canonical text', () => {
    const { value } = decodeChecked(announce(response(6, [P6A, P6B]), false));
    const peers = value['peers'] as Dict[];
    assert.equal(peers.length, 2);
    assert.equal((peers[0]!['ip'] as Buffer).toString(), '2001:db8::1');
    assert.equal(peers[0]!['port'], 80);
    assert.equal((peers[1]!['ip'] as Buffer).toString(), 'fe80::abc');
    assert.equal(peers[1]!['port'], 6882);
    assert.equal(value['peers6'], undefined);
  });

  it('writes large counts and stays within the size bound (property)', () => {
    const arb = fc.record({
      family: fc.constantFrom(4 as Family, 6 as Family),
      n: fc.nat({ max: 60 }),
      seed: fc.uint8Array({ minLength: 18, maxLength: 18 }),
      complete: fc.maxSafeNat(),
      incomplete: fc.maxSafeNat(),
      downloaded: fc.maxSafeNat(),
      interval: fc.nat({ max: 86400 }),
      minInterval: fc.nat({ max: 86400 }),
      compact: fc.boolean(),
      ext: fc.constantFrom(0, 4, 16),
    });
    fc.assert(
      fc.property(arb, (a) => {
        const rec = a.family === 4 ? 6 : 18;
        const peers: Buffer[] = [];
        for (let i = 0; i < a.n; i++) {
          const p = Buffer.from(a.seed.subarray(0, rec));
          p[0] = i; // distinct peers; port and address bytes vary with the seed
          peers.push(p);
        }
        const res = response(a.family, peers, a);
        const ext = Buffer.from(a.seed.subarray(0, a.ext));
        const { value } = decodeChecked(announce(res, a.compact, ext));
        assert.equal(value['complete'], a.complete);
        assert.equal(value['incomplete'], a.incomplete);
        assert.equal(value['downloaded'], a.downloaded);
        assert.equal(value['interval'], a.interval);
        assert.equal(value['min interval'], a.minInterval);
        if (a.ext > 0) assert.deepEqual(value['external ip'], ext);
        else assert.equal(value['external ip'], undefined);
        if (a.compact) {
          assert.deepEqual(value[a.family === 4 ? 'peers' : 'peers6'], Buffer.concat(peers));
        } else {
          const list = value['peers'] as Dict[];
          assert.equal(list.length, a.n);
          list.forEach((d, i) => assert.equal(d['port'], peers[i]!.readUInt16BE(rec - 2)));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('writeFailure', () => {
  function failure(message: string, retryIn?: number): Buffer {
    const out = Buffer.alloc(failureSizeBound(Buffer.byteLength(message)) + 4, 0xee);
    const end = writeFailure(message, retryIn, out, 2);
    assert.ok(end - 2 <= failureSizeBound(Buffer.byteLength(message)));
    assert.equal(out[end], 0xee);
    return Buffer.from(out.subarray(2, end));
  }

  it('writes a failure reason', () => {
    const buf = failure('invalid info_hash');
    assert.equal(buf.toString(), 'd14:failure reason17:invalid info_hashe');
    assert.deepEqual(decodeChecked(buf).value['failure reason'], Buffer.from('invalid info_hash'));
  });

  it('counts the message length in UTF-8 bytes', () => {
    const msg = 'débit trop élevé ✓';
    const { value } = decodeChecked(failure(msg));
    assert.equal((value['failure reason'] as Buffer).toString('utf8'), msg);
    assert.deepEqual(decodeChecked(failure('')).value['failure reason'], Buffer.alloc(0));
  });

  it('adds BEP 31 retry in, in minutes rounded up, after the reason', () => {
    const cases: [number, number][] = [
      [0, 0],
      [1, 1],
      [59, 1],
      [60, 1],
      [61, 2],
      [119, 2],
      [120, 2],
      [121, 3],
      [3600, 60],
      [0.5, 1],
    ];
    for (const [seconds, minutes] of cases) {
      const { value, dicts } = decodeChecked(failure('busy', seconds));
      assert.deepEqual(dicts, [['failure reason', 'retry in']]);
      assert.equal(value['retry in'], minutes, `${seconds} s`);
    }
    assert.equal(failure('x', 300).toString(), 'd14:failure reason1:x8:retry ini5ee');
  });
});

describe('writeScrape', () => {
  function scrape(hashes: Buffer[], entries: ScrapeEntry[]): Buffer {
    const out = Buffer.alloc(scrapeSizeBound(hashes.length) + 4, 0xee);
    const end = writeScrape(hashes, entries, out, 1);
    assert.ok(end - 1 <= scrapeSizeBound(hashes.length));
    assert.equal(out[end], 0xee);
    return Buffer.from(out.subarray(1, end));
  }

  function entry(complete: number, incomplete: number, downloaded: number): ScrapeEntry {
    const e = new ScrapeEntry();
    e.complete = complete;
    e.incomplete = incomplete;
    e.downloaded = downloaded;
    return e;
  }

  it('writes an empty files dictionary', () => {
    const buf = scrape([], []);
    assert.equal(buf.toString(), 'd5:filesdee');
    assert.deepEqual(decodeChecked(buf).dicts, [[], ['files']]);
  });

  it('writes binary info hashes with their counts', () => {
    const h1 = Buffer.alloc(20, 0x00);
    const h2 = Buffer.from([...Array(20).keys()].map((i) => 0x65 + i)); // contains 'e' bytes
    const h3 = Buffer.alloc(20, 0xff);
    const { value, dicts } = decodeChecked(
      scrape([h1, h2, h3], [entry(1, 2, 3), entry(0, 0, 0), entry(2 ** 40, 7, 9)]),
    );
    assert.deepEqual(dicts, [
      ['complete', 'downloaded', 'incomplete'],
      ['complete', 'downloaded', 'incomplete'],
      ['complete', 'downloaded', 'incomplete'],
      [h1, h2, h3].map((h) => h.toString('latin1')),
      ['files'],
    ]);
    const files = value['files'] as Dict;
    const f1 = files[h1.toString('latin1')] as Dict;
    assert.equal(f1['complete'], 1);
    assert.equal(f1['incomplete'], 2);
    assert.equal(f1['downloaded'], 3);
    const f3 = files[h3.toString('latin1')] as Dict;
    assert.equal(f3['complete'], 2 ** 40);
    assert.equal(f3['incomplete'], 7);
    assert.equal(f3['downloaded'], 9);
  });
});

describe('writeDecimal', () => {
  it('writes boundary values', () => {
    for (const n of [
      0,
      1,
      9,
      10,
      11,
      99,
      100,
      101,
      999,
      1000,
      65535,
      2 ** 32,
      Number.MAX_SAFE_INTEGER,
    ]) {
      const out = Buffer.alloc(20, 0xee);
      const end = writeDecimal(out, 3, n);
      assert.equal(out.toString('latin1', 3, end), String(n));
      assert.equal(out[end], 0xee);
      assert.deepEqual(out.subarray(0, 3), Buffer.alloc(3, 0xee));
    }
  });

  it('matches String(n) for every safe non-negative integer (property)', () => {
    const n = fc.oneof(
      fc.maxSafeNat(),
      fc.nat({ max: 100_000 }),
      fc.integer({ min: 1, max: 15 }).map((k) => 10 ** k - 1),
    );
    fc.assert(
      fc.property(n, fc.nat({ max: 8 }), (v, off) => {
        const out = Buffer.alloc(32, 0xee);
        const end = writeDecimal(out, off, v);
        assert.equal(end - off, String(v).length);
        assert.equal(out.toString('latin1', off, end), String(v));
        assert.equal(out[end], 0xee);
      }),
      { numRuns: 1000 },
    );
  });
});
