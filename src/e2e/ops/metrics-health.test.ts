import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Tracker } from '../../index.js';
import { PRIVATE_OPENAPI_PATHS } from '../../admin/private-routes-openapi.js';
import { boundAddress, randomId } from '../protocol-support/fixtures.js';
import { announce, announcePath, httpGet, scrape } from '../protocol-support/raw-http.js';
import { UdpConn } from '../protocol-support/raw-udp.js';
import { adminJson, adminUrl, startOpsTracker } from './ops-support.js';

/** The value of one sample line of the exposition text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf('{');
    const parts = open < 0 ? [] : line.slice(open + 1, line.indexOf('}')).split(',');
    if (want.every((w) => parts.includes(w)) && parts.length === want.length) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

describe('metrics, health and the OpenAPI description', () => {
  let t: Tracker;
  before(async () => {
    t = await startOpsTracker(
      { hooks: [{ type: 'client-list', mode: 'deny', entries: ['-BAD'] }] },
      { token: 'test-admin-token-0123456789', processMetrics: true, timingSample: 1 },
    );
  });
  after(() => t.close());

  test('/metrics counts requests by protocol, action, family and result', async () => {
    const h4 = boundAddress(t, 'http', 4).port;
    const h6 = boundAddress(t, 'http', 6).port;
    const hash = randomId();
    await announce(h4, 4, { infoHash: hash, peerId: randomId(), port: 6881, left: 0 });
    await announce(h4, 4, { infoHash: hash, peerId: randomId(), port: 6882 });
    await announce(h6, 6, { infoHash: hash, peerId: randomId(), port: 6883 });
    await scrape(h4, 4, [hash]);
    await httpGet(h4, 4, '/announce?info_hash=short'); // malformed: client_error
    const bad = Buffer.concat([Buffer.from('-BAD'), randomId().subarray(4)]);
    await httpGet(h4, 4, announcePath({ infoHash: hash, peerId: bad, port: 1 })); // rejected
    for (const fam of [4, 6] as const) {
      const u = await UdpConn.open(boundAddress(t, 'udp', fam).port, fam);
      try {
        await u.announce({ infoHash: hash, peerId: randomId(), port: 7000 + fam });
      } finally {
        await u.close();
      }
    }
    const res = await fetch(`${adminUrl(t)}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    const count = (protocol: string, action: string, family: string, result: string): number =>
      sample(text, 'shoal_requests_total', { protocol, action, family, result }) ?? 0;
    assert.equal(count('http', 'announce', 'ipv4', 'ok'), 2);
    assert.equal(count('http', 'announce', 'ipv6', 'ok'), 1);
    assert.equal(count('http', 'scrape', 'ipv4', 'ok'), 1);
    assert.equal(count('http', 'announce', 'ipv4', 'client_error'), 1);
    assert.equal(count('http', 'announce', 'ipv4', 'rejected'), 1);
    assert.equal(count('udp', 'connect', 'ipv4', 'ok'), 1);
    assert.equal(count('udp', 'announce', 'ipv4', 'ok'), 1);
    assert.equal(count('udp', 'announce', 'ipv6', 'ok'), 1);
    const inf = sample(text, 'shoal_request_duration_seconds_bucket', {
      protocol: 'http',
      action: 'announce',
      family: 'ipv4',
      result: 'ok',
      le: '+Inf',
    });
    assert.equal(inf, 2, 'with timingSample 1 every request is timed');
    const timed = sample(text, 'shoal_request_duration_seconds_count', {
      protocol: 'udp',
      action: 'connect',
      family: 'ipv4',
      result: 'ok',
    });
    assert.equal(timed, 1);
    assert.match(text, /# TYPE shoal_request_duration_seconds histogram/);
    assert.equal(sample(text, 'shoal_swarms', {}), 1);
    assert.equal(sample(text, 'shoal_seeders', {}), 1);
    assert.equal(sample(text, 'shoal_leechers', {}), 4);
    assert.equal(sample(text, 'shoal_peers', { family: 'ipv4' }), 3);
    assert.equal(sample(text, 'shoal_peers', { family: 'ipv6' }), 2);
    assert.match(text, /^shoal_expiry_sweeps_total \d+/m);
    assert.match(text, /^shoal_process_cpu_seconds_total /m, 'process metrics');
    assert.doesNotMatch(text, /result="(?!ok|client_error|rejected|server_error)/);
  });

  test('the registry is the tracker’s: other parts register their metrics on it', async () => {
    const { Counter } = await import('prom-client');
    const c = new Counter({
      name: 'shoal_test_extra_total',
      help: 'registered by a test',
      registers: [t.metrics],
    });
    c.inc(3);
    const text = await (await fetch(`${adminUrl(t)}/metrics`)).text();
    assert.equal(sample(text, 'shoal_test_extra_total', {}), 3);
  });

  test('/healthz is alive; /readyz runs every check and fails with the failing one named', async () => {
    const live = await adminJson(t, 'GET', '/healthz', { token: null });
    assert.deepEqual([live.status, live.json], [200, { ok: true }]);
    const ready = await adminJson(t, 'GET', '/readyz', { token: null });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json.checks, []); // memory stores are always ready
    t.readiness.add({ name: 'backend', check: () => Promise.reject(new Error('db down')) });
    const down = await adminJson(t, 'GET', '/readyz', { token: null });
    assert.equal(down.status, 503);
    assert.equal(down.json.ok, false);
    const checks = down.json.checks as { name: string; ok: boolean; error?: string }[];
    assert.deepEqual(
      checks.map((c) => [c.name, c.ok, c.error]),
      [['backend', false, 'db down']],
    );
  });

  test('every route is in /openapi.json and every documented operation is routed', async () => {
    const doc = (await adminJson(t, 'GET', '/openapi.json', { token: null })).json as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.equal(doc.openapi, '3.1.0');
    const routed = new Set(
      t.admin!.router.routes().map((r) => `${r.method.toLowerCase()} ${r.path}`),
    );
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const m of Object.keys(item)) {
        if (['get', 'post', 'put', 'delete', 'patch'].includes(m)) documented.add(`${m} ${path}`);
      }
    }
    assert.deepEqual([...routed].sort(), [...documented].sort());
    for (const r of t.admin!.router.routes()) {
      const op = doc.paths[r.path]![r.method.toLowerCase()] as { security?: unknown };
      assert.equal(op.security !== undefined, r.auth, `${r.method} ${r.path}: security vs auth`);
    }
    const file = JSON.parse(
      await readFile(new URL('../../../docs/admin-openapi.json', import.meta.url), 'utf8'),
    ) as unknown;
    // The file documents every route: this public tracker's plus private mode's (which a
    // private-mode tracker serves; src/e2e/ops/private-admin.test.ts compares it to that one).
    assert.deepEqual(
      file,
      { ...doc, paths: { ...doc.paths, ...PRIVATE_OPENAPI_PATHS } },
      'docs/admin-openapi.json is out of date: run `npm run build && node scripts/write-openapi.mjs && npx prettier --write docs/admin-openapi.json`',
    );
  });

  test('/stats.json has request and store totals and the top torrents', async () => {
    const s = (await adminJson(t, 'GET', '/stats.json', { token: null })).json as {
      requests: { http: { announce: number }; udp: { announce: number } };
      store: { swarms: number };
      top: { infoHash: string; seeders: number; leechers: number }[];
    };
    assert.ok(s.requests.http.announce >= 3);
    assert.ok(s.requests.udp.announce >= 2);
    assert.equal(s.store.swarms, 1);
    assert.equal(s.top.length, 1);
    assert.equal(s.top[0]!.seeders + s.top[0]!.leechers, 5);
  });
});
