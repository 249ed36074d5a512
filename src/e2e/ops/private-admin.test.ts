/**
 * The private-mode admin routes end to end, on a real PostgreSQL (a schema of its own): users
 * and torrents created and changed through the API are seen by the very next announce over
 * real HTTP; factors changed through the API apply to the accounting written to the database.
 * Also /readyz with the backend reached through a TCP forwarder that cuts it off.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Tracker } from '../../index.js';
import {
  createTestSchema,
  pgSkipReason,
  TEST_PG_URL,
} from '../../backend/postgres/pg-test-support.js';
import type { TestSchema } from '../../backend/postgres/pg-test-support.js';
import { TcpProxy } from '../../test-support/tcp-proxy.js';
import { boundAddress, peerPort, randomId } from '../protocol-support/fixtures.js';
import type { AnnounceParams } from '../protocol-support/raw-http.js';
import { announcePath, failureReason, httpGet, okDict } from '../protocol-support/raw-http.js';
import { adminJson, startOpsTracker } from './ops-support.js';

const skip = await pgSkipReason();

type Json = Record<string, unknown>;

async function until(ok: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(await ok(), `timed out waiting for ${what}`);
}

describe('private-mode admin routes on PostgreSQL', { skip: skip ?? false }, () => {
  let ts: TestSchema;
  let t: Tracker;
  const registered = randomId();

  before(async () => {
    ts = await createTestSchema();
    await ts.sql`INSERT INTO torrents (info_hash) VALUES (${registered})`;
    t = await startOpsTracker({
      private: {
        enabled: true,
        backend: { driver: 'postgres', options: ts.options },
        accounting: { flushInterval: 0.1 },
      },
    });
  });
  after(async () => {
    await t?.close();
    await ts?.drop();
  });

  const api = (method: string, path: string, body?: unknown) =>
    adminJson(t, method, path, body === undefined ? {} : { body });

  /** An HTTP announce with `/<passkey>/announce`: the failure reason, or 'ok'. */
  async function announceAs(passkey: string, p: Partial<AnnounceParams> = {}): Promise<string> {
    const params = { infoHash: registered, peerId: randomId(), port: peerPort(), ...p };
    const res = await httpGet(
      boundAddress(t, 'http', 4).port,
      4,
      `/${encodeURIComponent(passkey)}${announcePath(params)}`,
    );
    try {
      return failureReason(res);
    } catch {
      okDict(res);
      return 'ok';
    }
  }

  test('a user created through the API can announce at once; disabled, it cannot', async () => {
    const created = await api('POST', '/api/users');
    assert.equal(created.status, 201);
    const u = created.json;
    assert.match(String(u.passkey), /^[0-9a-f]{32}$/, 'a generated passkey is 32 hex digits');
    assert.deepEqual([u.enabled, u.canLeech, u.uploaded, u.downloaded], [true, true, 0, 0]);
    assert.equal(await announceAs(String(u.passkey)), 'ok');

    const off = await api('PATCH', `/api/users/${String(u.id)}`, { enabled: false });
    assert.equal(off.status, 200);
    assert.equal(off.json.enabled, false);
    assert.equal(await announceAs(String(u.passkey)), 'account disabled');
    const [row] = await ts.sql<
      { enabled: boolean }[]
    >`SELECT enabled FROM users WHERE id = ${Number(u.id)}`;
    assert.equal(row?.enabled, false, 'the change is in the database');

    await api('PATCH', `/api/users/${String(u.id)}`, { enabled: true, canLeech: false });
    assert.equal(
      await announceAs(String(u.passkey), { left: 10 }),
      'your account may not download: seeding is still allowed',
    );
    assert.equal(await announceAs(String(u.passkey), { left: 0 }), 'ok');
  });

  test('a given passkey; get by id and by passkey; rotation; deletion', async () => {
    const c = await api('POST', '/api/users', { passkey: 'given-pk_1', canLeech: false });
    assert.equal(c.status, 201);
    const id = Number(c.json.id);
    assert.deepEqual((await api('GET', `/api/users/${id}`)).json, c.json);
    assert.deepEqual((await api('GET', '/api/users/by-passkey/given-pk_1')).json, c.json);

    const r = await api('POST', `/api/users/${id}/passkey`);
    assert.equal(r.status, 200);
    const fresh = String(r.json.passkey);
    assert.match(fresh, /^[0-9a-f]{32}$/);
    assert.equal(await announceAs('given-pk_1', { left: 0 }), 'unknown passkey');
    assert.equal(await announceAs(fresh, { left: 0 }), 'ok');
    const chosen = await api('POST', `/api/users/${id}/passkey`, { passkey: 'chosen-pk' });
    assert.equal(chosen.json.passkey, 'chosen-pk');
    assert.equal((await api('GET', '/api/users/by-passkey/given-pk_1')).status, 404);

    const del = await api('DELETE', `/api/users/${id}`);
    assert.deepEqual([del.status, del.json], [200, { deleted: true, id }]);
    assert.equal(await announceAs('chosen-pk', { left: 0 }), 'unknown passkey');
    assert.equal((await api('GET', `/api/users/${id}`)).status, 404);
    assert.equal((await api('DELETE', `/api/users/${id}`)).status, 404);
  });

  test('users are listed a page at a time', async () => {
    for (const pk of ['page-a', 'page-b', 'page-c']) {
      assert.equal((await api('POST', '/api/users', { passkey: pk })).status, 201);
    }
    const seen: string[] = [];
    let after = 0;
    for (let pages = 0; pages < 50; pages++) {
      const p = await api('GET', `/api/users?limit=2&after=${after}`);
      assert.equal(p.status, 200);
      const users = p.json.users as Json[];
      assert.ok(users.length <= 2);
      seen.push(...users.map((u) => String(u.passkey)));
      if (p.json.next === null) break;
      after = Number(p.json.next);
    }
    const all = await ts.sql<{ passkey: string }[]>`SELECT passkey FROM users ORDER BY id`;
    assert.deepEqual(
      seen,
      all.map((r) => r.passkey),
    );
  });

  test('a torrent registered through the API is announceable at once, by either hash', async () => {
    const v1 = randomId();
    const v2 = randomId();
    const u = (await api('POST', '/api/users')).json;
    const pk = String(u.passkey);
    assert.equal(
      await announceAs(pk, { infoHash: v1 }),
      'torrent not registered with this tracker',
    );
    const c = await api('POST', '/api/torrents', {
      infoHash: v1.toString('hex').toUpperCase(),
      infoHashV2: v2.toString('hex'),
    });
    assert.equal(c.status, 201);
    assert.equal(c.json.infoHash, v1.toString('hex'));
    assert.equal(c.json.infoHashV2, v2.toString('hex'));
    assert.deepEqual([c.json.downloadFactor, c.json.uploadFactor], [1, 1]);
    assert.equal(await announceAs(pk, { infoHash: v1 }), 'ok');
    assert.equal(await announceAs(pk, { infoHash: v2 }), 'ok');
    const id = Number(c.json.id);
    assert.equal((await api('GET', `/api/torrents/by-hash/${v2.toString('hex')}`)).json.id, id);
    assert.equal((await api('GET', `/api/torrents/${id}`)).json.infoHash, v1.toString('hex'));
    const listed = (await api('GET', '/api/torrents?limit=1000')).json.torrents as Json[];
    assert.ok(listed.some((x) => x.id === id));

    const noV2 = await api('PATCH', `/api/torrents/${id}`, { infoHashV2: null });
    assert.equal(noV2.json.infoHashV2, null);
    assert.equal(
      await announceAs(pk, { infoHash: v2 }),
      'torrent not registered with this tracker',
    );
    assert.equal((await api('DELETE', `/api/torrents/${id}`)).status, 200);
    assert.equal(
      await announceAs(pk, { infoHash: v1 }),
      'torrent not registered with this tracker',
    );
    assert.equal((await api('GET', `/api/torrents/${id}`)).status, 404);
  });

  test('freeleech set through the API: the next announce’s download is not credited', async () => {
    const ih = randomId();
    const tor = (await api('POST', '/api/torrents', { infoHash: ih.toString('hex') })).json;
    const u = (await api('POST', '/api/users')).json;
    const pk = String(u.passkey);
    const peerId = randomId();
    const port = peerPort();
    const totals = async (): Promise<[number, number]> => {
      const [r] = await ts.sql<{ uploaded: string; downloaded: string }[]>`
        SELECT uploaded, downloaded FROM users WHERE id = ${Number(u.id)}`;
      return [Number(r!.uploaded), Number(r!.downloaded)];
    };
    const ann = (uploaded: number, downloaded: number, event?: 'started') =>
      announceAs(pk, {
        infoHash: ih,
        peerId,
        port,
        uploaded,
        downloaded,
        left: 5000,
        ...(event === undefined ? {} : { event }),
      });
    assert.equal(await ann(0, 0, 'started'), 'ok');
    assert.equal(await ann(100, 1000), 'ok');
    await until(async () => (await totals())[1] === 1000, 'the normal download credited');

    const free = await api('PATCH', `/api/torrents/${String(tor.id)}`, { preset: 'freeleech' });
    assert.equal(free.status, 200);
    assert.deepEqual([free.json.downloadFactor, free.json.uploadFactor], [0, 1]);
    assert.equal(await ann(300, 4000), 'ok');
    await until(async () => (await totals())[0] === 300, 'the upload credited');
    assert.deepEqual(
      await totals(),
      [300, 1000],
      'the 3000 bytes downloaded on freeleech are free',
    );

    const dbl = await api('PATCH', `/api/torrents/${String(tor.id)}`, {
      downloadFactor: 1,
      uploadFactor: 2,
    });
    assert.deepEqual([dbl.json.downloadFactor, dbl.json.uploadFactor], [1, 2]);
    assert.equal(await ann(400, 4500), 'ok');
    await until(async () => (await totals())[0] === 500, 'the upload credited twice');
    assert.deepEqual(await totals(), [500, 1500]);
  });

  test('the token is required', async () => {
    for (const [method, path] of [
      ['GET', '/api/users'],
      ['POST', '/api/users'],
      ['PATCH', '/api/users/1'],
      ['DELETE', '/api/torrents/1'],
    ] as const) {
      const none = await adminJson(t, method, path, { token: null });
      assert.equal(none.status, 401, `${method} ${path} without a token`);
      const wrong = await adminJson(t, method, path, { token: 'wrong-token-0123456789' });
      assert.equal(wrong.status, 401, `${method} ${path} with a wrong token`);
      assert.equal(wrong.json.code, 'SHOAL_E_ADMIN_TOKEN');
    }
    const count = await ts.sql`SELECT 1 FROM users WHERE passkey = 'never'`;
    assert.equal(count.length, 0);
  });

  test('bad input: 400 with a clear message, unknown ids 404, duplicates 409', async () => {
    const cases: Array<[string, string, unknown, number, string, RegExp]> = [
      [
        'GET',
        '/api/users/abc',
        undefined,
        400,
        'SHOAL_E_ADMIN_ID',
        /id: expected a positive integer/,
      ],
      ['GET', '/api/users/0', undefined, 400, 'SHOAL_E_ADMIN_ID', /positive integer/],
      [
        'GET',
        '/api/users/999999999',
        undefined,
        404,
        'SHOAL_E_ADMIN_NOT_FOUND',
        /no user with id 999999999/,
      ],
      [
        'PATCH',
        '/api/users/999999999',
        { enabled: false },
        404,
        'SHOAL_E_ADMIN_NOT_FOUND',
        /no user/,
      ],
      [
        'GET',
        '/api/users/by-passkey/no%2Fslash',
        undefined,
        400,
        'SHOAL_E_ADMIN_PASSKEY',
        /not a valid passkey/,
      ],
      [
        'GET',
        '/api/users?limit=0',
        undefined,
        400,
        'SHOAL_E_ADMIN_LIMIT',
        /limit: expected 1 to 1000/,
      ],
      [
        'POST',
        '/api/users',
        { passkey: 'has space' },
        400,
        'SHOAL_E_ADMIN_BODY',
        /passkey: expected 1 to 128 letters/,
      ],
      ['POST', '/api/users', { enabled: 'yes' }, 400, 'SHOAL_E_ADMIN_BODY', /enabled:/],
      ['POST', '/api/users', { nope: 1 }, 400, 'SHOAL_E_ADMIN_BODY', /nope/],
      ['POST', '/api/users', [1], 400, 'SHOAL_E_ADMIN_BODY', /expected a JSON object body/],
      ['PATCH', '/api/users/1', {}, 400, 'SHOAL_E_ADMIN_BODY', /expected enabled and\/or canLeech/],
      ['PATCH', '/api/users/1', undefined, 400, 'SHOAL_E_ADMIN_BODY', /JSON object body/],
      [
        'POST',
        '/api/torrents',
        { infoHash: 'xyz' },
        400,
        'SHOAL_E_ADMIN_BODY',
        /infoHash: expected 40 hex digits/,
      ],
      ['POST', '/api/torrents', {}, 400, 'SHOAL_E_ADMIN_BODY', /infoHash:/],
      [
        'POST',
        '/api/torrents',
        { infoHash: 'ab'.repeat(20), downloadFactor: -1 },
        400,
        'SHOAL_E_ADMIN_BODY',
        /downloadFactor:/,
      ],
      [
        'POST',
        '/api/torrents',
        { infoHash: 'ab'.repeat(20), infoHashV2: 'ab'.repeat(20) },
        400,
        'SHOAL_E_ADMIN_BODY',
        /infoHashV2: same as infoHash/,
      ],
      [
        'POST',
        '/api/torrents',
        { infoHash: 'ab'.repeat(20), preset: 'freeleech', uploadFactor: 2 },
        400,
        'SHOAL_E_ADMIN_BODY',
        /not both/,
      ],
      [
        'POST',
        '/api/torrents',
        { infoHash: 'ab'.repeat(20), preset: 'gold' },
        400,
        'SHOAL_E_ADMIN_BODY',
        /preset:/,
      ],
      ['PATCH', '/api/torrents/1', {}, 400, 'SHOAL_E_ADMIN_BODY', /expected preset/],
      [
        'PATCH',
        '/api/torrents/999999999',
        { preset: 'neutral' },
        404,
        'SHOAL_E_ADMIN_NOT_FOUND',
        /no torrent with id/,
      ],
      [
        'GET',
        '/api/torrents/by-hash/123',
        undefined,
        400,
        'SHOAL_E_ADMIN_INFOHASH',
        /40 hex digits/,
      ],
      [
        'GET',
        `/api/torrents/by-hash/${'cd'.repeat(20)}`,
        undefined,
        404,
        'SHOAL_E_ADMIN_NOT_FOUND',
        /no torrent with info hash/,
      ],
      [
        'DELETE',
        '/api/torrents/999999999',
        undefined,
        404,
        'SHOAL_E_ADMIN_NOT_FOUND',
        /no torrent/,
      ],
      [
        'POST',
        '/api/torrents',
        { infoHash: registered.toString('hex') },
        409,
        'SHOAL_E_ADMIN_CONFLICT',
        /already torrent \d+'s/,
      ],
    ];
    for (const [method, path, body, status, code, msg] of cases) {
      const r = await api(method, path, body);
      assert.equal(
        r.status,
        status,
        `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`,
      );
      assert.equal(r.json.code, code, `${method} ${path}`);
      assert.match(String(r.json.error), msg, `${method} ${path}`);
    }
    const a = await api('POST', '/api/users', { passkey: 'dup-a' });
    const b = await api('POST', '/api/users', { passkey: 'dup-b' });
    const dup = await api('POST', '/api/users', { passkey: 'dup-a' });
    assert.deepEqual([dup.status, dup.json.code], [409, 'SHOAL_E_ADMIN_CONFLICT']);
    const taken = await api('POST', `/api/users/${String(b.json.id)}/passkey`, {
      passkey: 'dup-a',
    });
    assert.deepEqual([taken.status, taken.json.code], [409, 'SHOAL_E_ADMIN_CONFLICT']);
    // The v2 hash of one torrent cannot be another's v1 or v2 hash.
    const v2 = randomId();
    await api('POST', '/api/torrents', {
      infoHash: randomId().toString('hex'),
      infoHashV2: v2.toString('hex'),
    });
    const other = await api('POST', '/api/torrents', { infoHash: v2.toString('hex') });
    assert.deepEqual([other.status, other.json.code], [409, 'SHOAL_E_ADMIN_CONFLICT']);
    const mine = await api('POST', '/api/torrents', { infoHash: randomId().toString('hex') });
    const steal = await api('PATCH', `/api/torrents/${String(mine.json.id)}`, {
      infoHashV2: v2.toString('hex'),
    });
    assert.deepEqual([steal.status, steal.json.code], [409, 'SHOAL_E_ADMIN_CONFLICT']);
    assert.equal(a.status, 201);
  });

  test('/openapi.json documents exactly the routes served, and is docs/admin-openapi.json', async () => {
    const doc = (await adminJson(t, 'GET', '/openapi.json', { token: null })).json as {
      paths: Record<string, Record<string, unknown>>;
    };
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
    assert.ok(routed.has('patch /api/torrents/{id}'));
    const file = JSON.parse(
      await readFile(new URL('../../../docs/admin-openapi.json', import.meta.url), 'utf8'),
    ) as unknown;
    assert.deepEqual(
      file,
      doc,
      'docs/admin-openapi.json is out of date: run scripts/write-openapi.mjs',
    );
  });
});

describe('/readyz in private mode checks the backend', { skip: skip ?? false }, () => {
  let ts: TestSchema;
  let proxy: TcpProxy;
  let t: Tracker;

  before(async () => {
    ts = await createTestSchema();
    const target = new URL(TEST_PG_URL);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    t = await startOpsTracker({
      private: {
        enabled: true,
        backend: {
          driver: 'postgres',
          options: { ...ts.options, host: '127.0.0.1', port: proxy.port, connectTimeout: 2 },
        },
      },
    });
  });
  after(async () => {
    await t?.close();
    await proxy?.close();
    await ts?.drop();
  });

  const ready = () => adminJson(t, 'GET', '/readyz', { token: null });

  test('200 while the database answers, 503 naming the backend when cut off, 200 again', async () => {
    const up = await ready();
    assert.equal(up.status, 200);
    assert.deepEqual(
      (up.json.checks as Json[]).map((c) => [c.name, c.ok]),
      [['backend:postgres', true]],
    );
    proxy.cut();
    const down = await ready();
    assert.equal(down.status, 503);
    const checks = down.json.checks as Json[];
    assert.equal(checks.length, 1);
    assert.equal(checks[0]!.name, 'backend:postgres');
    assert.equal(checks[0]!.ok, false);
    assert.ok(String(checks[0]!.error).length > 0, 'the failed check says why');
    proxy.restore();
    await until(async () => (await ready()).status === 200, '/readyz back to 200', 10_000);
  });
});

describe('private-mode admin routes with the noop backend', () => {
  let t: Tracker;
  before(async () => {
    t = await startOpsTracker({ private: { enabled: true, backend: { driver: 'noop' } } });
  });
  after(() => t.close());

  test('nothing to list or change; adding is 501, not a crash', async () => {
    const list = await adminJson(t, 'GET', '/api/users');
    assert.deepEqual([list.status, list.json], [200, { users: [], next: null }]);
    const add = await adminJson(t, 'POST', '/api/users', { body: {} });
    assert.deepEqual([add.status, add.json.code], [501, 'SHOAL_E_ADMIN_UNSUPPORTED']);
    const reg = await adminJson(t, 'POST', '/api/torrents', {
      body: { infoHash: 'ab'.repeat(20) },
    });
    assert.equal(reg.status, 501);
    const patch = await adminJson(t, 'PATCH', '/api/users/1', { body: { enabled: false } });
    assert.equal(patch.status, 404);
    const ready = await adminJson(t, 'GET', '/readyz', { token: null });
    assert.deepEqual(
      (ready.json.checks as Json[]).map((c) => [c.name, c.ok]),
      [['backend:noop', true]],
    );
  });
});
