/**
 * The WebSocket frontend counts its requests like HTTP and UDP do: /metrics has
 * `protocol="ws"` series by action and result, and /stats.json's ws series moves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Tracker } from '../../index.js';
import { binId, WsPeer } from '../protocol-support/ws-peer.js';
import { adminJson, adminUrl, startOpsTracker } from './ops-support.js';

/** The value of the sample of `name` with exactly these labels, or 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const got = line
      .slice(name.length + 1, line.indexOf('}'))
      .split(',')
      .sort()
      .join(',');
    if (got === want) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('WebSocket request metrics', () => {
  let t: Tracker;
  before(async () => {
    t = await startOpsTracker(
      {
        websocket: { enabled: true },
        hooks: [{ type: 'client-list', mode: 'deny', entries: ['-BAD'] }],
      },
      { token: 'test-admin-token-0123456789', timingSample: 1 },
    );
  });
  after(() => t.close());

  test('announces and scrapes over WebSocket are counted with protocol="ws"', async () => {
    const url = `ws://127.0.0.1:${t.httpAddresses.find((a) => a.family === 4)!.port}/announce`;
    const a = await WsPeer.connect(url);
    const b = await WsPeer.connect(url);
    try {
      const ih = binId();
      assert.equal((await a.announceReply(ih, { left: 0, event: 'started' })).complete, 1);
      assert.equal((await b.announceReply(ih, { event: 'started' })).incomplete, 1);
      assert.equal((await a.announceReply(ih, { left: 0 })).complete, 1);
      const s = await a.scrape(ih);
      assert.equal(s.action, 'scrape');
      // Malformed (no info_hash): client_error. Denied peer_id prefix: rejected.
      a.send({ action: 'announce', peer_id: a.peerId, left: 0 });
      await a.next((m) => 'failure reason' in m, 'the malformed announce’s failure');
      const bad = `-BAD${binId().slice(4)}`;
      const r = await b.announceReply(ih, { peer_id: bad });
      assert.ok('failure reason' in r);
    } finally {
      a.close();
      b.close();
    }

    const text = await (await fetch(`${adminUrl(t)}/metrics`)).text();
    const count = (action: string, result: string): number =>
      sample(text, 'shoal_requests_total', { protocol: 'ws', action, family: 'ipv4', result });
    assert.equal(count('announce', 'ok'), 3);
    assert.equal(count('scrape', 'ok'), 1);
    assert.equal(count('announce', 'client_error'), 1);
    assert.equal(count('announce', 'rejected'), 1);
    assert.equal(count('announce', 'server_error'), 0);
    // Timed too (timingSample 1): the duration histogram has the ws announces.
    assert.equal(
      sample(text, 'shoal_request_duration_seconds_count', {
        protocol: 'ws',
        action: 'announce',
        family: 'ipv4',
        result: 'ok',
      }),
      3,
    );
    // Nothing was counted as HTTP: the upgrade requests are not announces.
    const http = sample(text, 'shoal_requests_total', {
      protocol: 'http',
      action: 'announce',
      family: 'ipv4',
      result: 'ok',
    });
    assert.equal(http, 0);

    const stats = (await adminJson(t, 'GET', '/stats.json', { token: null })).json as {
      requests: { ws: { announce: number; scrape: number } };
    };
    assert.deepEqual([stats.requests.ws.announce, stats.requests.ws.scrape], [5, 1]);
  });
});
