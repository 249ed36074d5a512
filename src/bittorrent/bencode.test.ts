import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { codePoint } from '../test-support/arbitraries.js';
import { BencodeError, bdecode, bencode } from './bencode.js';
import type { BencodeValue, Decoded } from './bencode.js';

const enc = (v: BencodeValue): string => bencode(v).toString('latin1');
const dec = (s: string): Decoded => bdecode(Buffer.from(s, 'latin1'));

function assertBencodeError(s: string | Uint8Array, re?: RegExp): void {
  const data = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  assert.throws(
    () => bdecode(data),
    (err: unknown) => {
      assert.ok(err instanceof BencodeError, `expected BencodeError, got ${String(err)}`);
      assert.equal(err.name, 'BencodeError');
      if (re !== undefined) assert.match(err.message, re);
      return true;
    },
  );
}

/** The raw key byte strings of a top-level bencoded dictionary, in encoded order. */
function rawKeys(buf: Buffer): Buffer[] {
  // Walks the top level only; values are skipped with bdecode of their exact span.
  assert.equal(buf[0], 0x64);
  const keys: Buffer[] = [];
  let pos = 1;
  const skip = (): void => {
    // Find the shortest prefix from pos that decodes as one value.
    for (let end = pos + 1; end <= buf.length; end++) {
      try {
        bdecode(buf.subarray(pos, end));
        pos = end;
        return;
      } catch {
        // keep extending
      }
    }
    throw new Error('no value at ' + pos);
  };
  while (buf[pos] !== 0x65) {
    const colon = buf.indexOf(0x3a, pos);
    const len = Number(buf.toString('latin1', pos, colon));
    keys.push(buf.subarray(colon + 1, colon + 1 + len));
    pos = colon + 1 + len;
    skip();
  }
  assert.equal(pos, buf.length - 1);
  return keys;
}

describe('bencode encoder', () => {
  it('encodes integers, strings, byte strings and lists', () => {
    assert.equal(enc(0), 'i0e');
    assert.equal(enc(-0), 'i0e');
    assert.equal(enc(42), 'i42e');
    assert.equal(enc(-7), 'i-7e');
    assert.equal(enc(Number.MAX_SAFE_INTEGER), `i${Number.MAX_SAFE_INTEGER}e`);
    assert.equal(enc(Number.MIN_SAFE_INTEGER), `i${Number.MIN_SAFE_INTEGER}e`);
    assert.equal(enc(12345678901234567890n), 'i12345678901234567890e');
    assert.equal(enc(-5n), 'i-5e');
    assert.equal(enc(''), '0:');
    assert.equal(enc('spam'), '4:spam');
    assert.equal(enc('é'), '2:\xc3\xa9'); // UTF-8 byte length, not UTF-16 length
    assert.equal(enc(new Uint8Array([0, 255, 10])), '3:\x00\xff\x0a');
    assert.equal(enc([]), 'le');
    assert.equal(enc(['spam', 42, [1]]), 'l4:spami42eli1eee');
    assert.equal(enc({}), 'de');
  });

  it('encodes large values (buffer growth) intact', () => {
    const big = Buffer.alloc(100_000, 0x61);
    const out = bencode([big, big]);
    assert.equal(out.length, 2 * (7 + 100_000) + 2);
    const d = bdecode(out) as Buffer[];
    assert.ok(d[0]!.equals(big));
    assert.ok(d[1]!.equals(big));
  });

  it('sorts object keys as raw bytes, not by insertion or UTF-16 order', () => {
    assert.equal(enc({ b: 1, a: 2, c: 3 }), 'd1:ai2e1:bi1e1:ci3ee');
    // Upper case sorts before lower case; a prefix sorts before its extensions.
    assert.equal(enc({ ab: 1, a: 2, B: 3 }), 'd1:Bi3e1:ai2e2:abi1ee');
    // U+FF61 is UTF-8 ef bd a1; U+10000 is f0 90 80 80 (a UTF-16 surrogate pair d800 dc00).
    // UTF-16 order would put U+10000 first (0xd800 < 0xff61); byte order puts it last.
    const out = bencode({ '\u{10000}': 1, '\uff61': 2, z: 3, é: 4 });
    const keys = rawKeys(out).map((k) => k.toString('hex'));
    assert.deepEqual(keys, ['7a', 'c3a9', 'efbda1', 'f0908080']);
  });

  it('skips undefined object values', () => {
    assert.equal(enc({ a: undefined, b: 1 }), 'd1:bi1ee');
  });

  it('sorts Map keys as raw bytes, mixing string and Buffer keys', () => {
    const m = new Map<string | Uint8Array, BencodeValue>([
      [Buffer.from([0xff]), 1],
      ['b', 2],
      [Buffer.from([0x00, 0x01]), 3],
      ['a', 4],
      [new Uint8Array([0x80]), 5],
      [Buffer.from([0x00]), 6],
    ]);
    const out = bencode(m);
    assert.equal(
      out.toString('hex'),
      Buffer.from('d1:\x00i6e2:\x00\x01i3e1:ai4e1:bi2e1:\x80i5e1:\xffi1ee', 'latin1').toString(
        'hex',
      ),
    );
    assert.deepEqual(
      rawKeys(out).map((k) => k.toString('hex')),
      ['00', '0001', '61', '62', '80', 'ff'],
    );
  });

  it('sorts nested dictionaries too', () => {
    assert.equal(
      enc({ z: { y: 1, x: 2 }, a: [{ d: 1, c: 2 }] }),
      'd1:ald1:ci2e1:di1eee1:zd1:xi2e1:yi1eee',
    );
  });

  it('rejects duplicate keys (same bytes from a string and a Buffer)', () => {
    const m = new Map<string | Uint8Array, BencodeValue>([
      ['abc', 1],
      [Buffer.from('abc'), 2],
    ]);
    assert.throws(() => bencode(m), /duplicate key/);
    const m2 = new Map<string | Uint8Array, BencodeValue>([
      [Buffer.from([1, 2]), 1],
      [Buffer.from([1, 2]), 2], // distinct Buffer objects, equal bytes
    ]);
    assert.throws(() => bencode(m2), /duplicate key/);
    const m3 = new Map<string | Uint8Array, BencodeValue>([
      ['é', 1],
      [Buffer.from([0xc3, 0xa9]), 2],
    ]);
    assert.throws(() => bencode(m3), /duplicate key/);
  });

  it('rejects non-integers', () => {
    for (const v of [1.5, -0.1, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 1e300]) {
      assert.throws(() => bencode(v), TypeError, String(v));
      assert.throws(() => bencode([1, v]), TypeError, String(v));
      assert.throws(() => bencode({ a: v }), TypeError, String(v));
    }
  });
});

describe('bencode decoder', () => {
  it('decodes every type', () => {
    assert.equal(dec('i0e'), 0);
    assert.equal(dec('i-42e'), -42);
    assert.equal(dec(`i${Number.MAX_SAFE_INTEGER}e`), Number.MAX_SAFE_INTEGER);
    assert.equal(dec(`i${Number.MIN_SAFE_INTEGER}e`), Number.MIN_SAFE_INTEGER);
    assert.deepEqual(dec('0:'), Buffer.alloc(0));
    assert.deepEqual(dec('4:spam'), Buffer.from('spam'));
    assert.deepEqual(dec('l4:spami1ee'), [Buffer.from('spam'), 1]);
    const d = dec('d3:cow3:moo4:spaml1:a1:bee') as Record<string, Decoded>;
    assert.deepEqual(Object.keys(d), ['cow', 'spam']);
    assert.deepEqual(d['cow'], Buffer.from('moo'));
    assert.deepEqual(d['spam'], [Buffer.from('a'), Buffer.from('b')]);
  });

  it('keys dictionaries by latin1 and accepts unsorted input', () => {
    const d = dec('d1:\xffi1e1:ai2ee') as Record<string, Decoded>;
    assert.equal(d['\xff'], 1);
    assert.equal(d['a'], 2);
    // __proto__ is a plain key, not a prototype change.
    const p = dec('d9:__proto__i1ee') as Record<string, Decoded>;
    assert.equal(p['__proto__'], 1);
    assert.equal(Object.getPrototypeOf(p), null);
  });

  it('decodes a subarray of a larger buffer by its own bounds', () => {
    const big = Buffer.from('XXi7eYY');
    assert.equal(bdecode(big.subarray(2, 5)), 7);
    const u8 = new Uint8Array(Buffer.from('zz3:abczz')).subarray(2, 7);
    assert.deepEqual(bdecode(u8), Buffer.from('abc'));
  });

  it('rejects non-canonical integers', () => {
    for (const s of [
      'i-0e',
      'i00e',
      'i01e',
      'i-01e',
      'ie',
      'i-e',
      'i+1e',
      'i 1e',
      'i1.0e',
      'i0x1e',
    ]) {
      assertBencodeError(s, /bad integer/);
    }
  });

  it('rejects integers beyond the safe range', () => {
    assertBencodeError(`i${2 ** 53}e`, /out of range/);
    assertBencodeError(`i-${2 ** 53}e`, /out of range/);
    assertBencodeError('i99999999999999999999999e', /out of range/);
  });

  it('rejects bad string lengths', () => {
    assertBencodeError('01:a', /bad string length/);
    assertBencodeError('00:', /bad string length/);
    assertBencodeError('5', /bad string length/);
    assertBencodeError('1a:x', /bad string length/);
  });

  it('rejects strings that run past the end', () => {
    assertBencodeError('5:abcd', /string past end/);
    assertBencodeError('1:', /string past end/);
    assertBencodeError('99999999999999999999:x', /string past end/);
    assertBencodeError('l5:abe', /string past end/);
  });

  it('rejects trailing data', () => {
    assertBencodeError('i1ei2e', /trailing data/);
    assertBencodeError('lee', /trailing data/);
    assertBencodeError('4:spamx', /trailing data/);
    assertBencodeError('de ', /trailing data/);
  });

  it('rejects unterminated values', () => {
    assertBencodeError('', /unexpected end/);
    assertBencodeError('i12', /unterminated integer/);
    assertBencodeError('l', /unterminated list/);
    assertBencodeError('li1e', /unterminated list/);
    assertBencodeError('d', /unterminated dictionary/);
    assertBencodeError('d1:ai1e', /unterminated dictionary/);
    assertBencodeError('d1:a', /unexpected end/); // key without a value
  });

  it('rejects non-string dictionary keys and unknown bytes', () => {
    assertBencodeError('di1ei2ee', /not a string/);
    assertBencodeError('dlei1ee', /not a string/);
    assertBencodeError('x', /unexpected byte/);
    assertBencodeError('e', /unexpected byte/);
    assertBencodeError('l-e', /unexpected byte/);
  });

  it('limits nesting to 64 levels', () => {
    assert.equal((dec('l'.repeat(64) + 'e'.repeat(64)) as unknown[]).length, 1);
    assertBencodeError('l'.repeat(65) + 'e'.repeat(65), /nesting too deep/);
    // Depth counts list and dict levels together, and is released on the way out.
    const mixed = 'ld1:a'.repeat(32) + 'i1e' + 'ee'.repeat(32);
    assert.ok(Array.isArray(dec(mixed)));
    assertBencodeError('ld1:a'.repeat(32) + 'le' + 'ee'.repeat(32), /nesting too deep/);
    const wide = 'l' + ('l'.repeat(63) + 'e'.repeat(63)).repeat(10) + 'e';
    assert.equal((dec(wide) as unknown[]).length, 10);
    // A deep input (far beyond the limit) fails cleanly, not with a stack overflow.
    assertBencodeError('l'.repeat(100_000), /nesting too deep/);
  });
});

/** Arbitrary encodable values (safe integers only: the decoder rejects the rest). */
const { value: arbValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.maxSafeInteger(),
    fc.integer({ min: -1000, max: 1000 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ unit: codePoint, maxLength: 20 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: codePoint, maxLength: 8 }), tie('value'), { maxKeys: 5 }),
    fc
      .uniqueArray(fc.tuple(fc.uint8Array({ maxLength: 6 }), tie('value')), {
        maxLength: 5,
        selector: ([k]) => Buffer.from(k).toString('hex'),
      })
      .map((entries) => new Map<string | Uint8Array, BencodeValue>(entries)),
  ),
})) as { value: fc.Arbitrary<BencodeValue> };

/** What `bdecode(bencode(v))` must give for `v`. */
function expected(v: BencodeValue): Decoded {
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(expected);
  const out: { [key: string]: Decoded } = Object.create(null) as { [key: string]: Decoded };
  const entries: [Buffer, BencodeValue][] =
    v instanceof Map
      ? [...v].map(([k, val]) => [typeof k === 'string' ? Buffer.from(k) : Buffer.from(k), val])
      : Object.entries(v)
          .filter((e): e is [string, BencodeValue] => e[1] !== undefined)
          .map(([k, val]) => [Buffer.from(k), val]);
  for (const [k, val] of entries) out[k.toString('latin1')] = expected(val);
  return out;
}

describe('bencode properties', () => {
  it('decode(encode(x)) round-trips arbitrary values', () => {
    fc.assert(
      fc.property(arbValue, (v) => {
        const encoded = bencode(v);
        assert.deepEqual(bdecode(encoded), expected(v));
      }),
      { numRuns: 500 },
    );
  });

  it('every encoded dictionary has strictly increasing raw keys', () => {
    const dict = fc.dictionary(fc.string({ unit: codePoint, maxLength: 6 }), fc.nat(), {
      maxKeys: 12,
    });
    fc.assert(
      fc.property(dict, (d) => {
        const keys = rawKeys(bencode(d));
        assert.equal(keys.length, Object.keys(d).length);
        for (let i = 1; i < keys.length; i++) {
          assert.ok(Buffer.compare(keys[i - 1]!, keys[i]!) < 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decoding arbitrary bytes throws nothing but BencodeError', () => {
    // Bytes biased towards bencode syntax so the decoder gets deep, not just "unexpected byte".
    const syntaxByte = fc.constantFrom(...Buffer.from('ilde0123456789:-'));
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.oneof(syntaxByte, fc.integer({ min: 0, max: 255 })), { maxLength: 64 }),
      arbValue.chain((v) => {
        const b = bencode(v);
        return fc
          .tuple(
            fc.nat({ max: b.length }),
            fc.nat({ max: b.length }),
            fc.integer({ min: 0, max: 255 }),
          )
          .map(([cut, at, byte]) => {
            const m = Buffer.from(b.subarray(0, Math.max(cut, 1)));
            if (at < m.length) m[at] = byte;
            return m;
          });
      }),
    );
    fc.assert(
      fc.property(bytes, (input) => {
        const data = Uint8Array.from(input);
        try {
          bdecode(data);
        } catch (err) {
          assert.ok(err instanceof BencodeError, `threw ${String(err)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
