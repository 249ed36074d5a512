/**
 * Private mode end to end: a tracker on a real PostgreSQL (a schema of its own), announces over
 * HTTP (`/<passkey>/announce`, `?passkey=`) and UDP (BEP 41 URL data), scrapes, rejections with
 * `retry in`, and users and torrents added by the site while the tracker runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Tracker } from '../index.js';
import { createTracker } from '../tracker.js';
import { unlistedPeerStore } from '../test-support/unlisted-peer-store.js';
import { createTestSchema, pgSkipReason } from '../backend/postgres/pg-test-support.js';
import type { TestSchema } from '../backend/postgres/pg-test-support.js';
import type { Family } from './protocol-support/fixtures.js';
import {
  boundAddress,
  compactPeers,
  ep,
  FAMILIES,
  peerPort,
  randomId,
  startTracker,
} from './protocol-support/fixtures.js';
import type { AnnounceParams, Dict } from './protocol-support/raw-http.js';
import {
  announcePath,
  bodyDict,
  bytesField,
  dictField,
  encodeBytes,
  failureReason,
  hashKey,
  httpGet,
  intField,
  okDict,
} from './protocol-support/raw-http.js';
import {
  UdpConn,
  announcePacket,
  errorMessage,
  txid,
  urlDataOption,
} from './protocol-support/raw-udp.js';

const skip = await pgSkipReason();

function peer(infoHash: Buffer, extra: Partial<AnnounceParams> = {}): AnnounceParams {
  return { infoHash, peerId: randomId(), port: peerPort(), ...extra };
}

/** `/<passkey>/announce?...` */
function privatePath(passkey: string, p: AnnounceParams): string {
  return `/${encodeURIComponent(passkey)}${announcePath(p)}`;
}

/** The failure reason and `retry in` (minutes) of a reply. */
function failure(d: Dict): [string, number | undefined] {
  const f = d['failure reason'];
  const r = d['retry in'];
  return [Buffer.isBuffer(f) ? f.toString() : '(none)', typeof r === 'number' ? r : undefined];
}

async function until(ok: () => boolean, what: string, ms = 3000): Promise<void> {
  for (let t = 0; t < ms && !ok(); t += 20) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

describe('private mode on PostgreSQL, end to end', { skip: skip ?? false }, () => {
  let ts: TestSchema;
  let tracker: Tracker;
  const t1 = randomId();
  const hybridV1 = randomId();
  const hybridV2 = randomId();
  const http = (family: Family): number => boundAddress(tracker, 'http', family).port;

  before(async () => {
    ts = await createTestSchema();
    await ts.sql`INSERT INTO users (passkey) VALUES ('alice'), ('bob')`;
    await ts.sql`INSERT INTO users (passkey, can_leech) VALUES ('seeder-only', false)`;
    await ts.sql`INSERT INTO users (passkey, enabled) VALUES ('banned', false)`;
    await ts.sql`INSERT INTO torrents (info_hash) VALUES (${t1})`;
    await ts.sql`INSERT INTO torrents (info_hash, info_hash_v2) VALUES (${hybridV1}, ${hybridV2})`;
    tracker = await startTracker({
      private: { enabled: true, backend: { driver: 'postgres', options: ts.options } },
    });
  });
  after(async () => {
    await tracker?.close();
    await ts?.drop();
  });

  test('a start refused after the backend opened closes its connections', async () => {
    const open = async (): Promise<number> => {
      const [row] = await ts.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'shoal'`;
      return row!.n;
    };
    const before = await open();
    // A store that cannot list its swarms (as the redis driver): scrape.full refuses it after
    // private mode has opened its pool and its LISTEN connection.
    const store = unlistedPeerStore();
    await assert.rejects(
      createTracker(
        {
          listen: { http: ['127.0.0.1:0'], udp: [] },
          log: { level: 'silent' },
          scrape: { full: { enabled: true } },
          private: { enabled: true, backend: { driver: 'postgres', options: ts.options } },
        },
        { store },
      ),
      /scrape\.full/,
    );
    await store.close();
    let now = await open();
    for (let i = 0; i < 100 && now > before; i++) {
      await new Promise((r) => setTimeout(r, 30));
      now = await open();
    }
    assert.equal(now, before, 'connections left open by the refused start');
  });

  test('the tracker exposes its backend and directory', async () => {
    assert.ok(tracker.backend !== null && tracker.directory !== null);
    await tracker.backend.ping();
    assert.equal(tracker.directory.userCount, 4);
    assert.equal(tracker.directory.torrentCount, 2);
    assert.equal([...tracker.hooks.keys()][0], 'passkey');
  });

  for (const family of FAMILIES) {
    test(`HTTP /<passkey>/announce over IPv${family}: two users see each other`, async () => {
      const a = peer(t1);
      const b = peer(t1);
      okDict(await httpGet(http(family), family, privatePath('alice', a)));
      const d = okDict(await httpGet(http(family), family, privatePath('bob', b)));
      assert.deepEqual(compactPeers(bytesField(d, family === 4 ? 'peers' : 'peers6'), family), [
        ep(family, a.port),
      ]);
    });
  }

  test('HTTP ?passkey= works too; a hybrid torrent answers to its v2 hash', async () => {
    const d = okDict(await httpGet(http(4), 4, announcePath(peer(t1, { extra: 'passkey=alice' }))));
    assert.equal(intField(d, 'incomplete') >= 1, true);
    okDict(await httpGet(http(4), 4, privatePath('alice', peer(hybridV2))));
    okDict(await httpGet(http(4), 4, privatePath('alice', peer(hybridV1))));
  });

  test('HTTP rejections carry a reason and a retry in', async () => {
    const cases: Array<[string, string, number]> = [
      [announcePath(peer(t1)), 'passkey required: use the announce URL from your account page', 60],
      [privatePath('mallory', peer(t1)), 'unknown passkey', 60],
      [privatePath('banned', peer(t1)), 'account disabled', 60],
      [privatePath('alice', peer(randomId())), 'torrent not registered with this tracker', 1],
      [
        privatePath('seeder-only', peer(t1, { left: 5 })),
        'your account may not download: seeding is still allowed',
        60,
      ],
    ];
    for (const [path, reason, retryIn] of cases) {
      const d = bodyDict(await httpGet(http(4), 4, path));
      assert.deepEqual(failure(d), [reason, retryIn], path);
    }
    okDict(await httpGet(http(4), 4, privatePath('seeder-only', peer(t1, { left: 0 }))));
  });

  test('HTTP /<passkey>/scrape counts; scrape without a good passkey is refused', async () => {
    const q = `info_hash=${encodeBytes(t1)}`;
    const files = dictField(okDict(await httpGet(http(4), 4, `/alice/scrape?${q}`)), 'files');
    const e = dictField(files, hashKey(t1));
    assert.ok(intField(e, 'incomplete') >= 2);
    assert.match(failureReason(await httpGet(http(4), 4, `/scrape?${q}`)), /passkey required/);
    assert.equal(
      failureReason(await httpGet(http(4), 4, `/mallory/scrape?${q}`)),
      'unknown passkey',
    );
    assert.equal(
      failureReason(await httpGet(http(4), 4, `/banned/scrape?${q}`)),
      'account disabled',
    );
    okDict(await httpGet(http(4), 4, `/scrape?${q}&passkey=alice`));
    assert.equal((await httpGet(http(4), 4, `/alice/nope?${q}`)).status, 404);
    assert.equal((await httpGet(http(4), 4, `/a/b/announce?${q}`)).status, 404);
  });

  for (const family of FAMILIES) {
    test(`UDP over IPv${family}: the passkey in BEP 41 URL data`, async () => {
      const c = await UdpConn.open(boundAddress(tracker, 'udp', family).port, family);
      try {
        const a = { infoHash: t1, peerId: randomId(), port: peerPort() };
        const r = await c.announce({ ...a, options: urlDataOption('/alice/announce') });
        assert.ok(r.leechers >= 1);
        await c.announce({
          infoHash: t1,
          peerId: randomId(),
          port: peerPort(),
          options: urlDataOption('?passkey=bob'),
        });
        const rejected = async (options: Buffer | undefined, infoHash = t1): Promise<string> => {
          const id = await c.connect();
          const base = { infoHash, peerId: randomId(), port: peerPort() };
          const p = announcePacket(id, txid(), options === undefined ? base : { ...base, options });
          return errorMessage(await c.request(p)) ?? '(not an error)';
        };
        assert.match(await rejected(undefined), /passkey required/);
        assert.equal(await rejected(urlDataOption('/mallory/announce')), 'unknown passkey');
        assert.equal(
          await rejected(urlDataOption('/alice/announce'), randomId()),
          'torrent not registered with this tracker',
        );
        // BEP 15 scrape carries no passkey: refused in private mode.
        await assert.rejects(c.scrape([t1]), /tracker error: passkey required/);
      } finally {
        await c.close();
      }
    });
  }

  test('a user and a torrent the site adds can announce within seconds', async () => {
    const t2 = randomId();
    const path = privatePath('carol', peer(t2));
    assert.equal(failure(bodyDict(await httpGet(http(4), 4, path)))[0], 'unknown passkey');
    await ts.sql`INSERT INTO users (passkey) VALUES ('carol')`;
    await ts.sql`INSERT INTO torrents (info_hash) VALUES (${t2})`;
    const dir = tracker.directory!;
    await until(
      () =>
        dir.userByPasskey('carol') !== undefined &&
        dir.torrentByInfoHash(hashKey(t2)) !== undefined,
      'carol and her torrent',
    );
    okDict(await httpGet(http(4), 4, path));
    await ts.sql`UPDATE users SET enabled = false WHERE passkey = 'carol'`;
    await until(() => dir.userByPasskey('carol')?.enabled === false, 'carol disabled');
    assert.equal(failure(bodyDict(await httpGet(http(4), 4, path)))[0], 'account disabled');
  });
});

describe('private mode: start failures', () => {
  test('an unreachable database is a clear error', async () => {
    await assert.rejects(
      startTracker({
        private: {
          enabled: true,
          backend: {
            driver: 'postgres',
            options: { host: '127.0.0.1', port: 1, connectTimeout: 2 },
          },
        },
      }),
      /cannot connect to PostgreSQL at 127\.0\.0\.1:1/,
    );
  });

  test('bad backend options and an unknown driver are named', async () => {
    await assert.rejects(
      startTracker({
        private: { enabled: true, backend: { driver: 'postgres', options: { hots: 'x' } } },
      }),
      /cannot open backend "postgres": postgres backend options: unknown option: hots/,
    );
    await assert.rejects(
      startTracker({ private: { enabled: true, backend: { driver: 'mysql' } } }),
      /unknown backend driver "mysql"/,
    );
  });

  test('a public tracker does not route /<passkey>/announce', async () => {
    const t = await startTracker();
    try {
      const res = await httpGet(
        boundAddress(t, 'http', 4).port,
        4,
        privatePath('x', peer(randomId())),
      );
      assert.equal(res.status, 404);
      assert.equal(t.backend, null);
      assert.equal(t.directory, null);
    } finally {
      await t.close();
    }
  });
});
