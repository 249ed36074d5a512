import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Tracker } from '../../index.js';
import {
  TEST_REDIS_URL,
  redisSkipReason,
  uniquePrefix,
} from '../../store/redis/redis-test-support.js';
import { adminJson, startOpsTracker } from './ops-support.js';

const skip = await redisSkipReason('single');

describe('/readyz with Redis stores', { skip: skip ?? false }, () => {
  let t: Tracker;
  before(async () => {
    const options = { url: TEST_REDIS_URL, prefix: uniquePrefix('readyz') };
    t = await startOpsTracker({
      storage: {
        peers: { driver: 'redis', options },
        ips: { driver: 'redis', options },
        strings: { driver: 'redis', options },
      },
      hooks: [
        { type: 'ip-list', name: 'bans', mode: 'deny' },
        { type: 'infohash-list', mode: 'deny' },
      ],
    });
  });
  after(() => t.close());

  test('PINGs every Redis store through its own connection', async () => {
    const r = await adminJson(t, 'GET', '/readyz', { token: null });
    assert.equal(r.status, 200);
    const checks = r.json.checks as { name: string; ok: boolean }[];
    assert.deepEqual(checks.map((c) => [c.name, c.ok]).sort(), [
      ['store:ips:bans', true],
      ['store:peers:peers', true],
      ['store:strings:infohash-list', true],
    ]);
  });

  test('without store stats the swarm gauges are absent, request counters are not', async () => {
    const text = await (await fetch(`http://127.0.0.1:${t.adminAddress!.port}/metrics`)).text();
    assert.doesNotMatch(text, /^shoal_swarms /m);
    assert.match(text, /# TYPE shoal_requests_total counter/);
    const swarms = await adminJson(t, 'GET', '/api/swarms');
    assert.equal(swarms.status, 501);
    assert.match(String(swarms.json.error), /cannot list its swarms/);
  });
});
