import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AnnounceDelta } from '../../backend/backend.js';
import { decodeDelta, encodeDelta, encodeDeltaJson, mergeDelta } from './announce-delta-codec.js';

const count = fc.maxSafeNat();
const delta: fc.Arbitrary<AnnounceDelta> = fc.record({
  userKey: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a)),
  infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a)),
  peerId: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a)),
  uploaded: count,
  downloaded: count,
  seedTime: count,
  reportedUploaded: count,
  reportedDownloaded: count,
  left: count,
  lastAnnounce: count,
  client: fc.string({ maxLength: 8, unit: 'binary' }),
  snatched: fc.boolean(),
  active: fc.boolean(),
  seeders: fc.integer({ min: -1, max: 1e6 }),
  leechers: fc.integer({ min: -1, max: 1e6 }),
});

describe('announce delta codec', () => {
  it('the hand-built spool JSON is JSON.stringify of the encoded delta, and decodes back', () => {
    fc.assert(
      fc.property(delta, (d) => {
        const json = encodeDeltaJson(d);
        assert.equal(json, JSON.stringify(encodeDelta(d)));
        assert.deepEqual(decodeDelta(JSON.parse(json)), { ...d });
      }),
    );
  });

  it('merging adds credits and keeps the newest peer state', () => {
    fc.assert(
      fc.property(delta, delta, (a, b) => {
        const m = { ...a };
        mergeDelta(m, b);
        assert.equal(m.uploaded, a.uploaded + b.uploaded);
        assert.equal(m.seedTime, a.seedTime + b.seedTime);
        assert.equal(m.snatched, a.snatched || b.snatched);
        assert.equal(m.reportedUploaded, b.reportedUploaded);
        assert.equal(m.active, b.active);
        assert.equal(m.seeders, b.seeders >= 0 ? b.seeders : a.seeders);
      }),
    );
  });

  it('rejects malformed records', () => {
    assert.throws(() => decodeDelta({ u: 'zz' }), /user key/);
    assert.throws(() => decodeDelta(null), /object/);
  });
});
