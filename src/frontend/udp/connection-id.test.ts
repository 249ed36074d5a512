import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CONNECTION_ID_WINDOW, ConnectionIds } from './connection-id.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const OTHER_KEY = Buffer.from('f0e0d0c0b0a090807060504030201000', 'hex');
const IP4 = Buffer.from([198, 51, 100, 7]);
const IP4B = Buffer.from([198, 51, 100, 8]);
const IP6 = Buffer.from('20010db8000000000000000000000001', 'hex');

/** A clock the test moves by hand (seconds). */
function clock(start: number): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v) };
}

function issue(ids: ConnectionIds, ip: Buffer): Buffer {
  const out = Buffer.alloc(8);
  ids.issue(ip, ip.length, out, 0);
  return out;
}

const verify = (ids: ConnectionIds, ip: Buffer, id: Buffer): boolean =>
  ids.verify(ip, ip.length, id, 0);

describe('ConnectionIds', () => {
  it('uses 60-second windows', () => {
    assert.equal(CONNECTION_ID_WINDOW, 60);
  });

  it('accepts an ID in its window and the next, and rejects it after that', () => {
    const c = clock(1_700_000_000); // a multiple of 60 + 20
    const ids = new ConnectionIds(KEY, c.now);
    const windowStart = Math.floor(c.now() / 60) * 60;
    for (const ip of [IP4, IP6]) {
      c.set(windowStart + 59.9); // issued at the end of a window
      const id = issue(ids, ip);
      assert.equal(verify(ids, ip, id), true, 'same window');
      c.set(windowStart + 60); // next window starts
      assert.equal(verify(ids, ip, id), true, 'next window');
      c.set(windowStart + 119.999);
      assert.equal(verify(ids, ip, id), true, 'end of next window');
      c.set(windowStart + 120); // two windows later
      assert.equal(verify(ids, ip, id), false, 'two windows later');
      c.set(windowStart + 3600);
      assert.equal(verify(ids, ip, id), false, 'an hour later');
      // Issued at the start of a window: valid for the full 120 s.
      c.set(windowStart);
      const id2 = issue(ids, ip);
      c.set(windowStart + 119);
      assert.equal(verify(ids, ip, id2), true);
      c.set(windowStart + 120);
      assert.equal(verify(ids, ip, id2), false);
      // An ID from the future (clock went back) is not accepted.
      c.set(windowStart + 600);
      const future = issue(ids, ip);
      c.set(windowStart + 540);
      assert.equal(verify(ids, ip, future), false);
    }
  });

  it('issues the same ID within a window and a different one in the next', () => {
    const c = clock(6000);
    const ids = new ConnectionIds(KEY, c.now);
    const a = issue(ids, IP4);
    c.set(6059);
    assert.deepEqual(issue(ids, IP4), a);
    c.set(6060);
    assert.notDeepEqual(issue(ids, IP4), a);
  });

  it('rejects an ID for another IP', () => {
    const c = clock(6000);
    const ids = new ConnectionIds(KEY, c.now);
    const id = issue(ids, IP4);
    assert.equal(verify(ids, IP4B, id), false);
    assert.equal(verify(ids, IP6, id), false);
    const id6 = issue(ids, IP6);
    const other6 = Buffer.from(IP6);
    other6[15] = other6[15]! ^ 1;
    assert.equal(verify(ids, other6, id6), false);
    // The IPv4 bytes as the start of an IPv6 address do not alias.
    const v6LikeV4 = Buffer.concat([IP4, Buffer.alloc(12)]);
    assert.equal(verify(ids, v6LikeV4, id), false);
  });

  it('reads only ipLen bytes of the address', () => {
    const ids = new ConnectionIds(KEY, () => 6000);
    const id = issue(ids, IP4);
    const padded = Buffer.concat([IP4, Buffer.from([1, 2, 3, 4])]);
    assert.equal(ids.verify(padded, 4, id, 0), true);
  });

  it('rejects an ID made under another key', () => {
    const now = (): number => 6000;
    const a = new ConnectionIds(KEY, now);
    const b = new ConnectionIds(OTHER_KEY, now);
    assert.equal(verify(b, IP4, issue(a, IP4)), false);
    assert.equal(verify(a, IP6, issue(b, IP6)), false);
  });

  it('is accepted by a second instance with the same key', () => {
    const c = clock(6000);
    const a = new ConnectionIds(KEY, c.now);
    const b = new ConnectionIds(Buffer.from(KEY), c.now);
    const id = issue(a, IP6);
    assert.equal(verify(b, IP6, id), true);
    c.set(6070);
    assert.equal(verify(b, IP6, id), true);
    assert.deepEqual(issue(b, IP4).length, 8);
  });

  it('random keys differ between instances made without a key', () => {
    const now = (): number => 6000;
    const a = new ConnectionIds(undefined, now);
    const b = new ConnectionIds(undefined, now);
    assert.equal(verify(a, IP4, issue(a, IP4)), true);
    assert.equal(verify(b, IP4, issue(a, IP4)), false);
  });

  it('verifies an ID at an offset in a packet', () => {
    const ids = new ConnectionIds(KEY, () => 6000);
    const packet = Buffer.alloc(16, 0xee);
    ids.issue(IP4, 4, packet, 8);
    assert.equal(ids.verify(IP4, 4, packet, 8), true);
    assert.equal(ids.verify(IP4, 4, packet, 0), false);
  });

  it('uses the real clock by default', () => {
    const ids = new ConnectionIds(KEY);
    assert.equal(verify(ids, IP4, issue(ids, IP4)), true);
  });

  it('accepts exactly the IDs of the current and previous window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.integer({ min: -200, max: 400 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.constantFrom(4, 16),
        fc.nat({ max: 7 }),
        (issuedAt, delta, ip, ipLen, flip) => {
          const c = clock(issuedAt);
          const ids = new ConnectionIds(KEY, c.now);
          const addr = Buffer.from(ip.subarray(0, ipLen));
          const id = issue(ids, addr);
          c.set(issuedAt + delta);
          const age = Math.floor((issuedAt + delta) / 60) - Math.floor(issuedAt / 60);
          assert.equal(verify(ids, addr, id), age === 0 || age === 1, `age ${age}`);
          // Any single flipped bit is rejected.
          const bad = Buffer.from(id);
          bad[flip] = bad[flip]! ^ (1 << flip);
          c.set(issuedAt);
          assert.equal(verify(ids, addr, bad), false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
