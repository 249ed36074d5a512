import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { codePoint } from '../../test-support/arbitraries.js';
import {
  OPTION_END,
  OPTION_NOP,
  OPTION_URL_DATA,
  passkeyFromUrlData,
  readUrlData,
} from './url-data.js';

/** A BEP 41 URL data option carrying `s`. */
function urlData(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([Buffer.from([OPTION_URL_DATA, b.length]), b]);
}

/** A 98-byte announce followed by `options`; readUrlData starts at 98. */
function packet(...options: Buffer[]): Buffer {
  return Buffer.concat([Buffer.alloc(98, 0x55), ...options]);
}

const read = (...options: Buffer[]): string | null => readUrlData(packet(...options), 98);

describe('readUrlData', () => {
  it('uses the BEP 41 option numbers', () => {
    assert.equal(OPTION_END, 0);
    assert.equal(OPTION_NOP, 1);
    assert.equal(OPTION_URL_DATA, 2);
  });

  it('returns empty text when there are no options', () => {
    assert.equal(read(), '');
    assert.equal(read(Buffer.from([OPTION_END])), '');
    assert.equal(read(Buffer.from([OPTION_NOP, OPTION_NOP])), '');
  });

  it('reads one URL data option', () => {
    assert.equal(read(urlData('/abc/announce')), '/abc/announce');
    assert.equal(read(urlData('')), '');
  });

  it('joins several URL data options in order, around NOPs', () => {
    assert.equal(
      read(urlData('/abc'), Buffer.from([OPTION_NOP]), urlData('/announce'), urlData('?x=1')),
      '/abc/announce?x=1',
    );
    // A full 255-byte option and a continuation.
    const long = 'a'.repeat(255);
    assert.equal(read(urlData(long), urlData('bc')), long + 'bc');
  });

  it('stops at END, ignoring what follows', () => {
    assert.equal(read(urlData('/a'), Buffer.from([OPTION_END]), urlData('/b')), '/a');
    // Even malformed bytes after END are not read.
    assert.equal(read(urlData('/a'), Buffer.from([OPTION_END, 2, 200])), '/a');
  });

  it('skips unknown options by their length byte', () => {
    // Option 7 with 3 bytes whose content looks like a URL data option.
    const unknown = Buffer.from([7, 3, OPTION_URL_DATA, 1, 0x78]);
    assert.equal(read(urlData('/a'), unknown, urlData('/b')), '/a/b');
    assert.equal(read(Buffer.from([0xff, 0]), urlData('/c')), '/c');
  });

  it('returns null when an option runs past the end', () => {
    assert.equal(read(Buffer.from([OPTION_URL_DATA])), null); // no length byte
    assert.equal(read(Buffer.from([OPTION_URL_DATA, 5, 0x61, 0x62])), null);
    assert.equal(read(urlData('/a'), Buffer.from([9])), null); // unknown, no length
    assert.equal(read(urlData('/a'), Buffer.from([9, 1])), null); // unknown, body missing
    assert.equal(read(urlData('/a').subarray(0, 3)), null);
  });

  it('reads bytes as latin1', () => {
    const opt = Buffer.from([OPTION_URL_DATA, 3, 0x2f, 0xe9, 0xff]);
    assert.equal(read(opt), '/\xe9\xff');
  });

  it('starts at the given offset', () => {
    const msg = Buffer.concat([urlData('/x'), urlData('/y')]);
    assert.equal(readUrlData(msg, 4), '/y');
    assert.equal(readUrlData(msg, msg.length), '');
  });

  it('never throws and matches a reference reader on random option bytes (property)', () => {
    const option = fc.oneof(
      fc.constant(Buffer.from([OPTION_NOP])),
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map(urlData),
      fc
        .tuple(fc.integer({ min: 3, max: 255 }), fc.uint8Array({ maxLength: 10 }))
        .map(([t, b]) => Buffer.concat([Buffer.from([t, b.length]), b])),
      fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b)),
    );
    fc.assert(
      fc.property(fc.array(option, { maxLength: 8 }), (opts) => {
        const msg = packet(...opts);
        // Reference: a plain loop over the options.
        let expected: string | null = '';
        for (let p = 98; p < msg.length;) {
          const t = msg[p]!;
          if (t === 0) break;
          if (t === 1) {
            p++;
            continue;
          }
          const len = msg[p + 1];
          if (len === undefined || p + 2 + len > msg.length) {
            expected = null;
            break;
          }
          if (t === 2) expected += msg.toString('latin1', p + 2, p + 2 + len);
          p += 2 + len;
        }
        assert.equal(readUrlData(msg, 98), expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('passkeyFromUrlData', () => {
  it('takes the passkey from /KEY/announce', () => {
    assert.equal(passkeyFromUrlData('/abc123/announce'), 'abc123');
    assert.equal(passkeyFromUrlData('/abc123/announce/'), 'abc123');
    assert.equal(passkeyFromUrlData('/abc123/announce?foo=bar'), 'abc123');
    assert.equal(passkeyFromUrlData('/a%2Fb/announce'), 'a/b');
    // A malformed escape is kept as written rather than throwing.
    assert.equal(passkeyFromUrlData('/a%zz/announce'), 'a%zz');
  });

  it('takes the passkey from a passkey query parameter', () => {
    assert.equal(passkeyFromUrlData('/announce?passkey=abc123'), 'abc123');
    assert.equal(passkeyFromUrlData('?passkey=abc123&x=1'), 'abc123');
    assert.equal(passkeyFromUrlData('/announce?x=1&passkey=p%41'), 'pA');
  });

  it('prefers the path form', () => {
    assert.equal(passkeyFromUrlData('/path/announce?passkey=query'), 'path');
  });

  it('returns empty text when there is no passkey', () => {
    for (const s of [
      '',
      '/announce',
      '/announce?x=1',
      '/a/b/announce',
      '//announce',
      '/abc/scrape',
      '/abc/announcex',
      'abc/announce',
    ]) {
      assert.equal(passkeyFromUrlData(s), '', s);
    }
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: codePoint, maxLength: 40 }), (s) => {
        assert.equal(typeof passkeyFromUrlData(s), 'string');
        assert.equal(typeof passkeyFromUrlData(`/${s}/announce`), 'string');
      }),
      { numRuns: 300 },
    );
  });
});
