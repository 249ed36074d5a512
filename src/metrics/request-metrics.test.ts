import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACT_ANNOUNCE,
  ACT_CONNECT,
  DURATION_BUCKETS,
  PROTO_UDP,
  RES_REJECTED,
  RequestMetrics,
  SERIES,
  seriesIndex,
  seriesLabels,
} from './request-metrics.js';

describe('RequestMetrics', () => {
  it('gives every (protocol, action, family, result) its own series and labels', () => {
    const seen = new Set<string>();
    for (let s = 0; s < SERIES; s++) seen.add(JSON.stringify(seriesLabels(s)));
    assert.equal(seen.size, SERIES);
    const i = seriesIndex(PROTO_UDP, ACT_CONNECT, 6, RES_REJECTED);
    assert.deepEqual(seriesLabels(i), {
      protocol: 'udp',
      action: 'connect',
      family: 'ipv6',
      result: 'rejected',
    });
  });

  it('counts every request and times one in timingSample', () => {
    const m = new RequestMetrics(4);
    let timed = 0;
    for (let i = 0; i < 100; i++) {
      const t0 = m.start();
      if (t0 !== 0) timed++;
      m.record(PROTO_UDP, ACT_ANNOUNCE, 4, 0, t0);
    }
    assert.equal(timed, 25);
    const s = seriesIndex(PROTO_UDP, ACT_ANNOUNCE, 4, 0);
    assert.equal(m.count(s), 100);
    let inBuckets = 0;
    for (let b = 0; b < RequestMetrics.BUCKETS; b++) {
      inBuckets += m.buckets[s * RequestMetrics.BUCKETS + b]!;
    }
    assert.equal(inBuckets, 25);
    assert.equal(m.total(PROTO_UDP, ACT_ANNOUNCE), 100);
    assert.equal(m.familyTotal(6), 0);
  });

  it('puts a duration in the first bucket whose bound holds it', () => {
    const m = new RequestMetrics(1);
    const s = seriesIndex(0, 0, 4, 0);
    // Started 3 ms ago: above 2.5 ms, within 5 ms.
    m.record(0, 0, 4, 0, performance.now() - 3);
    const b = DURATION_BUCKETS.indexOf(0.005);
    assert.equal(m.buckets[s * RequestMetrics.BUCKETS + b], 1);
    assert.ok(m.sums[s]! >= 0.003);
  });

  it('refuses a timingSample that is not a power of two', () => {
    assert.throws(() => new RequestMetrics(3), RangeError);
    assert.throws(() => new RequestMetrics(0), RangeError);
  });
});
