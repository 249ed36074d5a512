import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Tracker } from '../../index.js';
import { boundAddress, randomId } from '../protocol-support/fixtures.js';
import { announce, announcePath, failureReason, httpGet } from '../protocol-support/raw-http.js';
import { TOKEN, adminJson, startOpsTracker } from './ops-support.js';

describe('admin API', () => {
  let t: Tracker;
  const hash = randomId();
  const hex = hash.toString('hex');

  before(async () => {
    t = await startOpsTracker({
      hooks: [
        { type: 'infohash-list', name: 'torrent-deny', mode: 'deny' },
        { type: 'ip-list', name: 'bans', mode: 'deny' },
        { type: 'client-list', mode: 'deny' },
      ],
    });
  });
  after(() => t.close());

  const port = (): number => boundAddress(t, 'http', 4).port;

  test('token: missing, malformed and wrong get 401; right gets 200', async () => {
    const missing = await adminJson(t, 'GET', '/api/lists', { token: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.json.code, 'SHOAL_E_ADMIN_TOKEN');
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
    const wrong = await adminJson(t, 'GET', '/api/lists', { token: `${TOKEN}x` });
    assert.equal(wrong.status, 401);
    const prefix = await adminJson(t, 'GET', '/api/lists', { token: TOKEN.slice(0, -1) });
    assert.equal(prefix.status, 401);
    const raw = await fetch(`http://127.0.0.1:${t.adminAddress!.port}/api/lists`, {
      headers: { authorization: TOKEN },
    });
    assert.equal(raw.status, 401, 'a token without the Bearer scheme');
    const right = await adminJson(t, 'GET', '/api/lists');
    assert.equal(right.status, 200);
    assert.deepEqual(right.json.lists, [
      { name: 'torrent-deny', kind: 'infohash-list', mode: 'deny' },
      { name: 'bans', kind: 'ip-list', mode: 'deny' },
      { name: 'client-list', kind: 'client-list', mode: 'deny' },
    ]);
  });

  test('a deny-list entry added through the API rejects the next announce; removing it admits', async () => {
    const peer = { infoHash: hash, peerId: randomId(), port: 6881 };
    await announce(port(), 4, peer);
    const add = await adminJson(t, 'POST', '/api/lists/torrent-deny/entries', {
      body: { entries: [hex] },
    });
    assert.equal(add.status, 200);
    assert.deepEqual(add.json, { list: 'torrent-deny', added: 1 });
    const res = await httpGet(port(), 4, announcePath(peer));
    assert.match(failureReason(res), /not allowed|denied|blocked|banned/i);
    const del = await adminJson(t, 'DELETE', '/api/lists/torrent-deny/entries', {
      body: { entries: [hex, 'ab'.repeat(20)] },
    });
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, { list: 'torrent-deny', removed: 1, missing: ['ab'.repeat(20)] });
    await announce(port(), 4, peer);
  });

  test('an IP ban (network) through the API rejects the address', async () => {
    const add = await adminJson(t, 'POST', '/api/lists/bans/entries', {
      body: { entries: ['127.0.0.0/8'] },
    });
    assert.equal(add.status, 200);
    const res = await httpGet(
      port(),
      4,
      announcePath({ infoHash: randomId(), peerId: randomId(), port: 1 }),
    );
    assert.match(failureReason(res), /banned/);
    await adminJson(t, 'DELETE', '/api/lists/bans/entries', { body: { entries: ['127.0.0.0/8'] } });
    await announce(port(), 4, { infoHash: randomId(), peerId: randomId(), port: 1 });
  });

  test('bad input gets a 4xx JSON error with a clear message', async () => {
    const cases: [string, string, Parameters<typeof adminJson>[3], number, RegExp][] = [
      [
        'POST',
        '/api/lists/nope/entries',
        { body: { entries: [hex] } },
        404,
        /no hook named "nope"/,
      ],
      ['POST', '/api/lists/bans/entries', { body: { entries: ['300.1.1.1'] } }, 400, /entries\.0/],
      ['POST', '/api/lists/bans/entries', { body: { entries: [] } }, 400, /entries: expected 1 to/],
      ['POST', '/api/lists/bans/entries', { body: { entry: 'x' } }, 400, /expected a JSON body/],
      [
        'POST',
        '/api/lists/bans/entries',
        { body: { entries: [1] } },
        400,
        /entries\.0: expected a string/,
      ],
      ['POST', '/api/lists/bans/entries', { rawBody: '{"entries": [' }, 400, /malformed JSON/],
      [
        'POST',
        '/api/lists/bans/entries',
        { rawBody: 'x', contentType: 'text/plain' },
        415,
        /application\/json/,
      ],
      ['PUT', '/api/lists/bans/entries', {}, 405, /not allowed/],
      ['GET', '/api/swarms/xyz', {}, 400, /40 hex digits/],
      ['GET', '/api/swarms?limit=0', {}, 400, /limit/],
      ['GET', '/api/swarms?limit=abc', {}, 400, /limit/],
      ['GET', '/nothing-here', {}, 404, /no route/],
    ];
    for (const [method, path, opts, status, message] of cases) {
      const r = await adminJson(t, method, path, opts);
      assert.equal(r.status, status, `${method} ${path}`);
      assert.match(String(r.json.error), message, `${method} ${path}`);
      assert.match(String(r.json.code), /^SHOAL_E_ADMIN_/);
    }
  });

  test('swarm stats per torrent and the fullest swarms', async () => {
    const h = randomId();
    await announce(port(), 4, { infoHash: h, peerId: randomId(), port: 7001, left: 0 });
    await announce(boundAddress(t, 'http', 6).port, 6, {
      infoHash: h,
      peerId: randomId(),
      port: 7002,
    });
    await announce(port(), 4, { infoHash: h, peerId: randomId(), port: 7003 });
    const one = await adminJson(t, 'GET', `/api/swarms/${h.toString('hex').toUpperCase()}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, {
      infoHash: h.toString('hex'),
      seeders: 1,
      leechers: 2,
      downloaded: 0,
    });
    const unknown = await adminJson(t, 'GET', `/api/swarms/${'00'.repeat(20)}`);
    assert.deepEqual(unknown.json, {
      infoHash: '00'.repeat(20),
      seeders: 0,
      leechers: 0,
      downloaded: 0,
    });
    const top = await adminJson(t, 'GET', '/api/swarms?limit=1');
    assert.equal(top.status, 200);
    const swarms = top.json.swarms as { infoHash: string }[];
    assert.equal(swarms.length, 1);
    assert.equal(swarms[0]!.infoHash, h.toString('hex'));
  });
});

describe('admin API without a token', () => {
  test('is off: API routes answer 404 saying how to turn it on; read-only routes work', async () => {
    const t = await startOpsTracker({}, {});
    try {
      const r = await adminJson(t, 'GET', '/api/lists', { token: TOKEN });
      assert.equal(r.status, 404);
      assert.equal(r.json.code, 'SHOAL_E_ADMIN_OFF');
      assert.match(String(r.json.error), /admin\.token/);
      assert.equal((await adminJson(t, 'GET', '/healthz', { token: null })).status, 200);
    } finally {
      await t.close();
    }
  });

  test('tokenEnv and tokenFile supply the token; a missing variable is a config error', async () => {
    process.env.SHOAL_TEST_ADMIN_TOKEN = TOKEN;
    const t = await startOpsTracker({}, { tokenEnv: 'SHOAL_TEST_ADMIN_TOKEN' });
    try {
      assert.equal((await adminJson(t, 'GET', '/api/lists')).status, 200);
    } finally {
      await t.close();
      delete process.env.SHOAL_TEST_ADMIN_TOKEN;
    }
    await assert.rejects(startOpsTracker({}, { tokenEnv: 'SHOAL_TEST_ADMIN_TOKEN' }), {
      code: 'SHOAL_E_CONFIG',
      message: /admin\.tokenEnv: SHOAL_TEST_ADMIN_TOKEN is not set/,
    });
    const dir = await mkdtemp(join(tmpdir(), 'shoal-token-'));
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    const t2 = await startOpsTracker({}, { tokenFile: join(dir, 'token') });
    try {
      assert.equal((await adminJson(t2, 'GET', '/api/lists')).status, 200);
      assert.equal(
        (await adminJson(t2, 'GET', '/api/lists', { token: 'x'.repeat(20) })).status,
        401,
      );
    } finally {
      await t2.close();
    }
    await writeFile(join(dir, 'short'), 'short\n');
    await assert.rejects(startOpsTracker({}, { tokenFile: join(dir, 'short') }), {
      message: /admin\.tokenFile: the token needs at least 16 characters/,
    });
  });
});
