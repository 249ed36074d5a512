import assert from 'node:assert/strict';
import type { StringStore } from '../string-store.js';
import type { StoreSuiteOptions, SuiteCase } from './suite-support.js';
import { runCases } from './suite-support.js';

/** Options of `stringStoreSuite`. */
export type StringStoreSuiteOptions = StoreSuiteOptions<StringStore>;

/** Asserts `has` for each value: those in `present` true, those in `absent` false. */
async function expect(
  s: StringStore,
  present: readonly string[],
  absent: readonly string[],
): Promise<void> {
  for (const v of present) assert.equal(await s.has(v), true, `${JSON.stringify(v)} is there`);
  for (const v of absent) assert.equal(await s.has(v), false, `${JSON.stringify(v)} is not`);
}

/** A 20-byte info hash as the tracker keys it: a latin1 string. */
function infoHash(fill: number, last: number): string {
  const b = Buffer.alloc(20, fill);
  b[19] = last;
  return b.toString('latin1');
}

/** Every code unit from 0 to 0xFFFF once, in order: 64 Ki units, lone surrogates included. */
function everyCodeUnit(): string {
  const units = new Uint16Array(0x10000);
  for (let i = 0; i < units.length; i++) units[i] = i;
  return Buffer.from(units.buffer).toString('utf16le');
}

/** `s` with the code unit at `i` replaced by `unit`. */
function withUnit(s: string, i: number, unit: number): string {
  return s.slice(0, i) + String.fromCharCode(unit) + s.slice(i + 1);
}

const CASES: SuiteCase<StringStore>[] = [
  {
    key: 'put-has-remove',
    title: 'a value is there from put until remove',
    async run(s) {
      await expect(s, [], ['a']);
      await s.put('a');
      await s.put('b');
      await expect(s, ['a', 'b'], ['c', 'A', 'a ', 'ab']);
      assert.equal(await s.remove('a'), true);
      await expect(s, ['b'], ['a']);
    },
  },
  {
    key: 'put-twice',
    title: 'putting a value twice is putting it once',
    async run(s) {
      await s.put('a');
      await s.put('a');
      assert.equal(await s.remove('a'), true);
      await expect(s, [], ['a']);
      assert.equal(await s.remove('a'), false);
    },
  },
  {
    key: 'remove-absent',
    title: 'remove returns false for values that are not there',
    async run(s) {
      assert.equal(await s.remove('a'), false);
      await s.put('ab');
      assert.equal(await s.remove('a'), false);
      assert.equal(await s.remove('abc'), false);
      assert.equal(await s.remove('AB'), false);
      await expect(s, ['ab'], []);
    },
  },
  {
    key: 'empty-string',
    title: 'the empty string is a value like any other',
    async run(s) {
      await expect(s, [], ['']);
      await s.put('');
      await expect(s, [''], [' ', '\0']);
      assert.equal(await s.remove(''), true);
      await expect(s, [], ['']);
    },
  },
  {
    key: 'nul',
    title: 'NUL is an ordinary character, not an end of string',
    async run(s) {
      await s.put('\0');
      await s.put('a\0b');
      await expect(s, ['\0', 'a\0b'], ['', '\0\0', 'a', 'a\0', 'a\0c']);
      assert.equal(await s.remove('a\0c'), false);
      assert.equal(await s.remove('a\0b'), true);
      await expect(s, ['\0'], ['a\0b']);
    },
  },
  {
    key: 'latin1-all',
    title: 'a string of every latin1 code point 0..255 round-trips',
    async run(s) {
      let all = '';
      for (let c = 0; c <= 0xff; c++) all += String.fromCharCode(c);
      await s.put(all);
      await expect(
        s,
        [all],
        [all.slice(0, -1), withUnit(all, 0x80, 0x81), withUnit(all, 0xff, 0xfe), all + '\0'],
      );
      assert.equal(await s.remove(all), true);
      await expect(s, [], [all]);
    },
  },
  {
    key: 'info-hashes',
    title: 'latin1 info hashes that differ only in their last byte are different values',
    async run(s) {
      const hashes = [
        infoHash(0xab, 0x00),
        infoHash(0xab, 0x01),
        infoHash(0xab, 0x7f),
        infoHash(0xab, 0x80),
        infoHash(0xab, 0xff),
        infoHash(0x00, 0x00),
        infoHash(0xff, 0xff),
      ];
      for (const h of hashes) assert.equal(h.length, 20);
      for (const h of hashes) await s.put(h);
      await expect(s, hashes, [infoHash(0xab, 0x02), infoHash(0xac, 0x00), infoHash(0x00, 0x01)]);
      assert.equal(await s.remove(hashes[3]!), true);
      await expect(s, [...hashes.slice(0, 3), ...hashes.slice(4)], [hashes[3]!]);
    },
  },
  {
    key: 'wide-code-units',
    title: 'code units above 0xFF: emoji, lone surrogates, U+FFFF, and no lossy encoding',
    async run(s) {
      const values = [
        '€',
        'é',
        'ŝhoal',
        '🐟', // a surrogate pair
        'a🐟b',
        '\ud800', // lone high surrogate
        '\udc00', // lone low surrogate
        '\udc00\ud800', // reversed pair: two lone surrogates
        '\uffff',
        '中文',
      ];
      for (const v of values) await s.put(v);
      await expect(s, values, [
        'Ã©', // é's UTF-8 bytes read as latin1
        '\u00e9\u0301', // é decomposed is another string
        '\ufffd', // what a lossy UTF-8 encoding turns lone surrogates into
        '\ud83d', // half of 🐟
        '\ud800\udc00', // a valid pair (U+10000), not the two lone surrogates above
        'ab',
      ]);
      assert.equal(await s.remove('\ud800'), true);
      await expect(s, ['\udc00', '\udc00\ud800'], ['\ud800']);
    },
  },
  {
    key: 'every-code-unit',
    title: 'a 64 Ki-unit string of every code unit 0..0xFFFF round-trips',
    async run(s) {
      const all = everyCodeUnit();
      const long = 'x'.repeat(64 * 1024);
      await s.put(all);
      await s.put(long);
      await expect(
        s,
        [all, long],
        [all.slice(0, -1), withUnit(all, 0xd800, 0xfffd), withUnit(all, 0x8000, 0), long + 'x'],
      );
      assert.equal(await s.remove(all), true);
      await expect(s, [long], [all]);
    },
  },
  {
    key: 'many-values',
    title: '10,000 values, half of them removed',
    async run(s) {
      const values: string[] = [];
      for (let i = 0; i < 10_000; i++) {
        // Text, and 20-byte binary strings alike, as the lists of the tracker hold.
        const b = Buffer.alloc(20);
        b.writeUInt32BE(Math.imul(i, 2654435761) >>> 0, 16);
        values.push(i % 2 === 0 ? `value-${i}` : b.toString('latin1'));
      }
      for (const v of values) await s.put(v);
      for (const v of values) assert.equal(await s.has(v), true);
      for (let i = 0; i < values.length; i += 2) assert.equal(await s.remove(values[i]!), true);
      for (let i = 0; i < values.length; i++) {
        assert.equal(await s.has(values[i]!), i % 2 === 1, `value ${i}`);
      }
    },
  },
  {
    key: 'count',
    title: 'count() tracks the number of values (optional capability: skipped when absent)',
    async run(s, t) {
      if (s.count === undefined) {
        t.skip('the driver has no count(), an optional capability');
        return;
      }
      assert.equal(await s.count(), 0);
      await s.put('a');
      await s.put('b');
      await s.put('a');
      await s.put('');
      assert.equal(await s.count(), 3);
      assert.equal(await s.remove('b'), true);
      assert.equal(await s.remove('b'), false);
      assert.equal(await s.count(), 2);
    },
  },
  {
    key: 'list',
    title: 'list() returns every value once (optional capability: skipped when absent)',
    async run(s, t) {
      if (s.list === undefined) {
        t.skip('the driver has no list(), an optional capability');
        return;
      }
      assert.deepEqual(await s.list(), []);
      const values = ['a', '', '\0', '🐟', '\ud800', infoHash(0xab, 0xff), 'é'];
      for (const v of values) await s.put(v);
      await s.put('a');
      assert.deepEqual((await s.list()).sort(), [...values].sort());
      assert.equal(await s.remove('🐟'), true);
      assert.deepEqual((await s.list()).sort(), values.filter((v) => v !== '🐟').sort());
    },
  },
  {
    key: 'close',
    title: 'close() resolves',
    closes: true,
    async run(s) {
      await s.put('a');
      await s.close();
    },
  },
];

/**
 * The StringStore conformance suite: every behaviour `StringStore` documents, binary safety
 * first, as node:test cases, each on a fresh store from `create()`; the optional `count()` and
 * `list()` are tested when the driver has them. A driver's test file calls it in one statement:
 *
 *     stringStoreSuite({ name: 'RedisStringStore', create: () => new RedisStringStore({ client }) });
 */
export function stringStoreSuite(opts: StringStoreSuiteOptions): void {
  runCases('StringStore conformance', opts, CASES);
}
