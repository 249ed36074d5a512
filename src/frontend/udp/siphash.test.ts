import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SipKey, siphash24 } from './siphash.js';

/**
 * SipHash-2-4 reference vectors (Aumasson & Bernstein, vectors.h / siphash24.c): key 00..0f,
 * message 00..(n-1) for n = 0..63, each output read as a little-endian u64.
 */
const VECTORS = [
  0x726fdb47dd0e0e31n,
  0x74f839c593dc67fdn,
  0x0d6c8009d9a94f5an,
  0x85676696d7fb7e2dn,
  0xcf2794e0277187b7n,
  0x18765564cd99a68dn,
  0xcbc9466e58fee3cen,
  0xab0200f58b01d137n,
  0x93f5f5799a932462n,
  0x9e0082df0ba9e4b0n,
  0x7a5dbbc594ddb9f3n,
  0xf4b32f46226bada7n,
  0x751e8fbc860ee5fbn,
  0x14ea5627c0843d90n,
  0xf723ca908e7af2een,
  0xa129ca6149be45e5n,
  0x3f2acc7f57c29bdbn,
  0x699ae9f52cbe4794n,
  0x4bc1b3f0968dd39cn,
  0xbb6dc91da77961bdn,
  0xbed65cf21aa2ee98n,
  0xd0f2cbb02e3b67c7n,
  0x93536795e3a33e88n,
  0xa80c038ccd5ccec8n,
  0xb8ad50c6f649af94n,
  0xbce192de8a85b8ean,
  0x17d835b85bbb15f3n,
  0x2f2e6163076bcfadn,
  0xde4daaaca71dc9a5n,
  0xa6a2506687956571n,
  0xad87a3535c49ef28n,
  0x32d892fad841c342n,
  0x7127512f72f27ccen,
  0xa7f32346f95978e3n,
  0x12e0b01abb051238n,
  0x15e034d40fa197aen,
  0x314dffbe0815a3b4n,
  0x027990f029623981n,
  0xcadcd4e59ef40c4dn,
  0x9abfd8766a33735cn,
  0x0e3ea96b5304a7d0n,
  0xad0c42d6fc585992n,
  0x187306c89bc215a9n,
  0xd4a60abcf3792b95n,
  0xf935451de4f21df2n,
  0xa9538f0419755787n,
  0xdb9acddff56ca510n,
  0xd06c98cd5c0975ebn,
  0xe612a3cb9ecba951n,
  0xc766e62cfcadaf96n,
  0xee64435a9752fe72n,
  0xa192d576b245165an,
  0x0a8787bf8ecb74b2n,
  0x81b3e73d20b49b6fn,
  0x7fa8220ba3b2ecean,
  0x245731c13ca42499n,
  0xb78dbfaf3a8d83bdn,
  0xea1ad565322a1a0bn,
  0x60e61c23a3795013n,
  0x6606d7e446282b93n,
  0x6ca4ecb15c5f91e1n,
  0x9f626da15c9625f3n,
  0xe51b38608ef25f57n,
  0x958a324ceb064572n,
];

const REF_KEY = Buffer.from([...Array(16).keys()]);
const REF_MSG = Buffer.from([...Array(64).keys()]);

function hash(key: Uint8Array, msg: Uint8Array): bigint {
  const out = Buffer.alloc(8);
  siphash24(new SipKey(key), msg, 0, msg.length, out, 0);
  return out.readBigUInt64LE(0);
}

/** A straightforward BigInt SipHash-2-4, written from the paper, as an independent reference. */
function referenceSipHash(key: Uint8Array, msg: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M;
  const k = Buffer.from(key);
  const k0 = k.readBigUInt64LE(0);
  const k1 = k.readBigUInt64LE(8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = (): void => {
    v0 = (v0 + v1) & M;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const padded = Buffer.alloc((Math.floor(msg.length / 8) + 1) * 8);
  padded.set(msg);
  padded[padded.length - 1] = msg.length & 0xff;
  for (let i = 0; i < padded.length; i += 8) {
    const m = padded.readBigUInt64LE(i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

describe('siphash24', () => {
  it('matches the 64 published SipHash-2-4 reference vectors', () => {
    assert.equal(VECTORS.length, 64);
    for (let n = 0; n < 64; n++) {
      assert.equal(hash(REF_KEY, REF_MSG.subarray(0, n)), VECTORS[n], `n=${n}`);
    }
  });

  it('writes the output as little-endian bytes (n=0: 31 0e 0e dd 47 db 6f 72)', () => {
    const out = Buffer.alloc(8);
    siphash24(new SipKey(REF_KEY), Buffer.alloc(0), 0, 0, out, 0);
    assert.equal(out.toString('hex'), '310e0edd47db6f72');
  });

  it('the BigInt reference also matches the published vectors', () => {
    for (let n = 0; n < 64; n++) {
      assert.equal(referenceSipHash(REF_KEY, REF_MSG.subarray(0, n)), VECTORS[n], `n=${n}`);
    }
  });

  it('hashes data at an offset and writes output at an offset, nowhere else', () => {
    const data = Buffer.concat([
      Buffer.alloc(5, 0xaa),
      REF_MSG.subarray(0, 15),
      Buffer.alloc(3, 0xbb),
    ]);
    const out = Buffer.alloc(12, 0xee);
    siphash24(new SipKey(REF_KEY), data, 5, 15, out, 3);
    assert.equal(out.readBigUInt64LE(3), VECTORS[15]);
    assert.deepEqual(out.subarray(0, 3), Buffer.alloc(3, 0xee));
    assert.equal(out[11], 0xee);
  });

  it('reads the key from a Uint8Array view at an offset', () => {
    const backing = new Uint8Array(20);
    backing.set(REF_KEY, 3);
    assert.equal(hash(backing.subarray(3, 19), REF_MSG.subarray(0, 63)), VECTORS[63]);
  });

  it('rejects keys that are not 16 bytes', () => {
    assert.throws(() => new SipKey(new Uint8Array(15)), RangeError);
    assert.throws(() => new SipKey(new Uint8Array(17)), RangeError);
    assert.throws(() => new SipKey(new Uint8Array(0)), RangeError);
  });

  it('matches the BigInt reference for random keys and messages (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat({ max: 7 }),
        (key, msg, off) => {
          const data = Buffer.concat([Buffer.alloc(off, 0x5a), msg, Buffer.alloc(3, 0xa5)]);
          const out = Buffer.alloc(8);
          siphash24(new SipKey(key), data, off, msg.length, out, 0);
          assert.equal(out.readBigUInt64LE(0), referenceSipHash(key, msg));
        },
      ),
      { numRuns: 500 },
    );
  });
});
