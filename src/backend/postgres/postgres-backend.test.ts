import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../log/logger.js';
import type { AnnounceDelta, BackendChange, BackendConnection } from '../backend.js';
import { backendDrivers, openBackend } from '../registry.js';
import { createTestSchema, pgSkipReason } from './pg-test-support.js';
import type { TestSchema } from './pg-test-support.js';

const log = createLogger('silent');
const skip = await pgSkipReason();

const hash = (s: string): Buffer => createHash('sha1').update(s).digest();
const md5 = (s: string): Buffer => createHash('md5').update(s, 'utf8').digest();
const peerId = (s: string): Buffer => Buffer.from(s.padEnd(20, '0').slice(0, 20), 'latin1');

function delta(over: Partial<AnnounceDelta>): AnnounceDelta {
  return {
    userKey: md5('alice'),
    infoHash: hash('t1'),
    peerId: peerId('-qB4650-a'),
    uploaded: 0,
    downloaded: 0,
    seedTime: 0,
    reportedUploaded: 0,
    reportedDownloaded: 0,
    left: 0,
    lastAnnounce: 1_700_000_000,
    client: '-qB4650-',
    snatched: false,
    active: true,
    seeders: 0,
    leechers: 0,
    ...over,
  };
}

describe('backend registry', () => {
  test('noop and postgres are registered; a name twice and an unknown name are errors', async () => {
    assert.deepEqual(
      ['noop', 'postgres'].filter((n) => backendDrivers.has(n)),
      ['noop', 'postgres'],
    );
    assert.throws(
      () => backendDrivers.register('noop', { open: () => Promise.reject(new Error('x')) }),
      { code: 'SHOAL_E_DRIVER_EXISTS' },
    );
    await assert.rejects(openBackend({ driver: 'nope' }, { log }), {
      code: 'SHOAL_E_DRIVER_UNKNOWN',
    });
  });

  test('noop: nothing stored, announces accepted, options refused', async () => {
    const b = await openBackend({ driver: 'noop' }, { log });
    await b.ping();
    await b.recordAnnounce([delta({ uploaded: 5 })]);
    assert.deepEqual(await b.loadUsers(), []);
    assert.deepEqual(await b.loadTorrents(), []);
    assert.equal(await b.getUserByPasskey('alice'), null);
    assert.equal(await b.getTorrentByInfoHash(hash('t1')), null);
    await assert.rejects(b.addUser({ passkey: 'x' }), { code: 'SHOAL_E_BACKEND_NOOP' });
    assert.equal(await b.updateUser?.(1, { enabled: false }), null);
    assert.equal(await b.updateTorrent?.(1, { downloadFactor: 0 }), null);
    await b.close();
    await assert.rejects(openBackend({ driver: 'noop', options: { a: 1 } }, { log }), {
      code: 'SHOAL_E_BACKEND_OPEN',
      message: /takes no options \(got: a\)/,
    });
  });

  test('postgres: unknown and bad options are named', async () => {
    await assert.rejects(
      openBackend({ driver: 'postgres', options: { hots: 'x', max: 0 } }, { log }),
      (err: Error) => {
        assert.match(err.message, /unknown option: hots/);
        assert.match(err.message, /max:/);
        return true;
      },
    );
    await assert.rejects(
      openBackend({ driver: 'postgres', options: { schema: 'Bad-Name' } }, { log }),
      /schema: expected a lower-case identifier/,
    );
  });

  test('postgres: an unreachable server is a clear error', async () => {
    await assert.rejects(
      openBackend(
        { driver: 'postgres', options: { host: '127.0.0.1', port: 1, connectTimeout: 2 } },
        { log },
      ),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'SHOAL_E_BACKEND_OPEN');
        assert.match(err.message, /cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
        return true;
      },
    );
  });
});

describe('postgres backend', { skip: skip ?? false }, () => {
  let ts: TestSchema;
  let b: BackendConnection;
  before(async () => {
    ts = await createTestSchema();
    b = await openBackend({ driver: 'postgres', options: ts.options }, { log });
  });
  after(async () => {
    await b?.close();
    await ts?.drop();
  });

  test('a schema without tables is refused with a hint to migrate', async () => {
    const empty = await createTestSchema(false);
    try {
      await assert.rejects(openBackend({ driver: 'postgres', options: empty.options }, { log }), {
        code: 'SHOAL_E_BACKEND_OPEN',
        message: /has no tables; run `shoal db migrate/,
      });
    } finally {
      await empty.drop();
    }
  });

  test('users: add, find by passkey, load, delete', async () => {
    await b.ping();
    const u = await b.addUser({ passkey: 'pk-user-1', canLeech: false });
    assert.equal(u.passkey, 'pk-user-1');
    assert.deepEqual(u.key, md5('pk-user-1'));
    assert.equal(u.canLeech, false);
    assert.equal(u.enabled, true);
    assert.equal(u.uploaded, 0);
    assert.deepEqual(await b.getUserByPasskey('pk-user-1'), u);
    assert.equal(await b.getUserByPasskey('nobody'), null);
    assert.deepEqual(await b.loadUsers([u.id]), [u]);
    assert.ok((await b.loadUsers()).some((x) => x.id === u.id));
    await assert.rejects(b.addUser({ passkey: 'pk-user-1' }), { code: 'SHOAL_E_BACKEND_CONFLICT' });
    assert.equal(await b.deleteUser(u.id), true);
    assert.equal(await b.deleteUser(u.id), false);
    assert.deepEqual(await b.loadUsers([u.id]), []);
  });

  test('torrents: add (hybrid), find by either hash, load, delete', async () => {
    const t = await b.addTorrent({
      infoHash: hash('hy1'),
      infoHashV2: hash('hy2'),
      downloadFactor: 0,
      uploadFactor: 2,
    });
    assert.deepEqual(t.infoHash, hash('hy1'));
    assert.deepEqual(t.infoHashV2, hash('hy2'));
    assert.equal(t.downloadFactor, 0);
    assert.equal(t.uploadFactor, 2);
    assert.deepEqual(await b.getTorrentByInfoHash(hash('hy1')), t);
    assert.deepEqual(await b.getTorrentByInfoHash(hash('hy2')), t);
    assert.equal(await b.getTorrentByInfoHash(hash('none')), null);
    assert.deepEqual(await b.loadTorrents([t.id]), [t]);
    const plain = await b.addTorrent({ infoHash: hash('plain') });
    assert.equal(plain.infoHashV2, null);
    assert.equal(plain.downloadFactor, 1);
    const all = await b.loadTorrents();
    assert.ok(all.some((x) => x.id === t.id) && all.some((x) => x.id === plain.id));
    assert.equal(await b.deleteTorrent(t.id), true);
    assert.equal(await b.deleteTorrent(plain.id), true);
    assert.equal(await b.deleteTorrent(plain.id), false);
  });

  test('updateUser: flags and passkey rotation; unknown id null; a taken passkey conflicts', async () => {
    const u = await b.addUser({ passkey: 'pk-upd-1' });
    const other = await b.addUser({ passkey: 'pk-upd-2' });
    const off = await b.updateUser!(u.id, { enabled: false });
    assert.deepEqual([off?.enabled, off?.canLeech, off?.passkey], [false, true, 'pk-upd-1']);
    const seedOnly = await b.updateUser!(u.id, { canLeech: false, enabled: true });
    assert.deepEqual([seedOnly?.enabled, seedOnly?.canLeech], [true, false]);
    const rotated = await b.updateUser!(u.id, { passkey: 'pk-upd-3' });
    assert.equal(rotated?.passkey, 'pk-upd-3');
    assert.deepEqual(rotated?.key, md5('pk-upd-3'), 'user_key follows the passkey');
    assert.equal(await b.getUserByPasskey('pk-upd-1'), null);
    assert.equal(await b.updateUser!(999_999_999, { enabled: false }), null);
    await assert.rejects(b.updateUser!(u.id, { passkey: other.passkey }), {
      code: 'SHOAL_E_BACKEND_CONFLICT',
    });
    assert.deepEqual(await b.updateUser!(u.id, {}), rotated, 'no change keeps every field');
    await b.deleteUser(u.id);
    await b.deleteUser(other.id);
  });

  test('updateTorrent: factors and v2 hash; unknown id null; a taken hash conflicts', async () => {
    const t = await b.addTorrent({ infoHash: hash('upd-t1') });
    const o = await b.addTorrent({ infoHash: hash('upd-t2'), infoHashV2: hash('upd-t2v2') });
    await assert.rejects(b.addTorrent({ infoHash: hash('upd-t1') }), {
      code: 'SHOAL_E_BACKEND_CONFLICT',
    });
    const free = await b.updateTorrent!(t.id, { downloadFactor: 0 });
    assert.deepEqual([free?.downloadFactor, free?.uploadFactor], [0, 1]);
    const dbl = await b.updateTorrent!(t.id, { downloadFactor: 1, uploadFactor: 2.5 });
    assert.deepEqual([dbl?.downloadFactor, dbl?.uploadFactor], [1, 2.5]);
    const hy = await b.updateTorrent!(t.id, { infoHashV2: hash('upd-t1v2') });
    assert.deepEqual(hy?.infoHashV2, hash('upd-t1v2'));
    assert.equal(hy?.uploadFactor, 2.5, 'factors kept');
    assert.equal((await b.getTorrentByInfoHash(hash('upd-t1v2')))?.id, t.id);
    const plain = await b.updateTorrent!(t.id, { infoHashV2: null });
    assert.equal(plain?.infoHashV2, null);
    await assert.rejects(b.updateTorrent!(t.id, { infoHashV2: hash('upd-t2v2') }), {
      code: 'SHOAL_E_BACKEND_CONFLICT',
    });
    assert.equal(await b.updateTorrent!(999_999_999, { uploadFactor: 1 }), null);
    await b.deleteTorrent(t.id);
    await b.deleteTorrent(o.id);
  });

  test('recordAnnounce: one batch, exact values, unknown users and torrents dropped', async () => {
    const alice = await b.addUser({ passkey: 'alice' });
    const bob = await b.addUser({ passkey: 'bob' });
    const t1 = await b.addTorrent({ infoHash: hash('t1') });
    const t2 = await b.addTorrent({ infoHash: hash('t2') });
    await ts.sql`INSERT INTO peers (user_id, torrent_id, peer_id, seed_time) VALUES (${bob.id}, ${t2.id}, ${peerId('-TR300-gone')}, 5)`;
    await ts.sql`INSERT INTO peers (user_id, torrent_id, peer_id, seed_time) VALUES (${alice.id}, ${t1.id}, ${peerId('-qB4650-a')}, 100)`;
    await b.recordAnnounce([
      delta({
        uploaded: 1000,
        downloaded: 10,
        seedTime: 60,
        reportedUploaded: 5000,
        reportedDownloaded: 700,
        left: 0,
        lastAnnounce: 1_700_000_100,
        seeders: 3,
        leechers: 1,
      }),
      // Same user, another torrent: the user's totals add up across rows.
      delta({
        infoHash: hash('t2'),
        peerId: peerId('-qB4650-b'),
        uploaded: 24,
        downloaded: 2 ** 40,
        reportedDownloaded: 2 ** 40,
        left: 123,
        snatched: true,
        lastAnnounce: 1_700_000_050,
        seeders: 7,
        leechers: 8,
      }),
      // Bob stopped: his peer row goes, his credit stays; a second snatch of t2.
      delta({
        userKey: md5('bob'),
        infoHash: hash('t2'),
        peerId: peerId('-TR300-gone'),
        uploaded: 1,
        active: false,
        snatched: true,
        lastAnnounce: 1_700_000_200,
        seeders: 6,
        leechers: 8,
      }),
      delta({ userKey: md5('stranger'), uploaded: 99 }),
      delta({ infoHash: hash('unregistered'), uploaded: 77 }),
    ]);
    const users = await b.loadUsers([alice.id, bob.id]);
    assert.deepEqual(
      users.map((u) => [u.passkey, u.uploaded, u.downloaded]),
      [
        ['alice', 1000 + 24, 10 + 2 ** 40],
        ['bob', 1, 0],
      ],
    );
    const peers = await ts.sql<
      {
        user_id: string;
        torrent_id: string;
        uploaded: string;
        downloaded: string;
        left: string;
        seed_time: string;
        la: number;
        client: string;
      }[]
    >`SELECT user_id, torrent_id, uploaded, downloaded, "left", seed_time, extract(epoch FROM last_announce)::int8::float8 AS la, client FROM peers ORDER BY torrent_id`;
    assert.deepEqual(
      peers.map((p) => [
        Number(p.user_id),
        Number(p.torrent_id),
        Number(p.uploaded),
        Number(p.downloaded),
        Number(p.left),
        Number(p.seed_time),
        p.la,
        p.client,
      ]),
      [
        [alice.id, t1.id, 5000, 700, 0, 160, 1_700_000_100, '-qB4650-'],
        [alice.id, t2.id, 0, 2 ** 40, 123, 0, 1_700_000_050, '-qB4650-'],
      ],
    );
    const [r1, r2] = await b.loadTorrents([t1.id, t2.id]);
    assert.deepEqual([r1!.seeders, r1!.leechers, r1!.snatches], [3, 1, 0]);
    // t2's counts come from its latest announce (bob's), snatches from two new snatches.
    assert.deepEqual([r2!.seeders, r2!.leechers, r2!.snatches], [6, 8, 2]);
    // A snatch already recorded is not counted again.
    await b.recordAnnounce([
      delta({
        infoHash: hash('t2'),
        snatched: true,
        seeders: 6,
        leechers: 8,
        peerId: peerId('-qB4650-b'),
        left: 0,
      }),
    ]);
    const [again] = await b.loadTorrents([t2.id]);
    assert.equal(again!.snatches, 2);
    const snatches = await ts.sql`SELECT 1 FROM snatches WHERE torrent_id = ${t2.id}`;
    assert.equal(snatches.length, 2);
  });

  test('recordAnnounce: duplicate peer keys in one batch are folded, the latest wins', async () => {
    const carol = await b.addUser({ passkey: 'carol' });
    const t = await b.addTorrent({ infoHash: hash('dup') });
    const base = { userKey: md5('carol'), infoHash: hash('dup'), peerId: peerId('-DE13F0-c') };
    await b.recordAnnounce([
      delta({ ...base, uploaded: 10, seedTime: 5, reportedUploaded: 10, seeders: 1 }),
      delta({ ...base, uploaded: 20, seedTime: 7, reportedUploaded: 30, seeders: 2 }),
    ]);
    const [u] = await b.loadUsers([carol.id]);
    assert.equal(u!.uploaded, 30);
    const rows = await ts.sql<
      { uploaded: string; seed_time: string }[]
    >`SELECT uploaded, seed_time FROM peers WHERE torrent_id = ${t.id}`;
    assert.deepEqual(
      rows.map((r) => [Number(r.uploaded), Number(r.seed_time)]),
      [[30, 12]],
    );
    const [tr] = await b.loadTorrents([t.id]);
    assert.equal(tr!.seeders, 2);
  });

  test('recordAnnounce: a batch failing in its last statement leaves nothing behind', async () => {
    const dave = await b.addUser({ passkey: 'dave' });
    const t = await b.addTorrent({ infoHash: hash('full') });
    // The snatch count overflows int4 in the third statement, after users and peers were written.
    await ts.sql`UPDATE torrents SET snatches = 2147483647 WHERE id = ${t.id}`;
    const batch = [
      delta({
        userKey: md5('dave'),
        infoHash: hash('full'),
        uploaded: 500,
        snatched: true,
        seedTime: 9,
      }),
    ];
    await assert.rejects(b.recordAnnounce(batch), {
      code: 'SHOAL_E_BACKEND',
      message: /recording a batch of 1 deltas/,
    });
    const [u] = await b.loadUsers([dave.id]);
    assert.equal(u!.uploaded, 0);
    assert.equal((await ts.sql`SELECT 1 FROM peers WHERE user_id = ${dave.id}`).length, 0);
    assert.equal((await ts.sql`SELECT 1 FROM snatches WHERE user_id = ${dave.id}`).length, 0);
    // Fixed, the same batch retried applies once.
    await ts.sql`UPDATE torrents SET snatches = 0 WHERE id = ${t.id}`;
    await b.recordAnnounce(batch);
    const [u2] = await b.loadUsers([dave.id]);
    assert.equal(u2!.uploaded, 500);
    const [t2] = await b.loadTorrents([t.id]);
    assert.equal(t2!.snatches, 1);
  });

  test('recordAnnounce with a batch id applies a retried batch once', async () => {
    const fred = await b.addUser({ passkey: 'fred' });
    const t = await b.addTorrent({ infoHash: hash('once') });
    const batch = [
      delta({ userKey: md5('fred'), infoHash: hash('once'), uploaded: 7, snatched: true }),
    ];
    await b.recordAnnounce(batch, 'batch-1');
    await b.recordAnnounce(batch, 'batch-1'); // the acknowledgement was lost: resent
    await Promise.all([b.recordAnnounce(batch, 'batch-2'), b.recordAnnounce(batch, 'batch-2')]);
    const [u] = await b.loadUsers([fred.id]);
    assert.equal(u!.uploaded, 14);
    const [tr] = await b.loadTorrents([t.id]);
    assert.equal(tr!.snatches, 1);
    const ids = await ts.sql<
      { id: string }[]
    >`SELECT id FROM shoal_batches WHERE id LIKE 'batch-%' ORDER BY id`;
    assert.deepEqual(
      ids.map((r) => r.id),
      ['batch-1', 'batch-2'],
    );
  });

  test('recordAnnounce: unknown swarm counts (-1) leave the torrent counts alone', async () => {
    await b.addUser({ passkey: 'gina' });
    const t = await b.addTorrent({ infoHash: hash('counts') });
    const base = { userKey: md5('gina'), infoHash: hash('counts') };
    await b.recordAnnounce([delta({ ...base, seeders: 4, leechers: 2 })]);
    await b.recordAnnounce([
      delta({ ...base, seeders: -1, leechers: -1, snatched: true, lastAnnounce: 1_800_000_000 }),
    ]);
    const [tr] = await b.loadTorrents([t.id]);
    assert.deepEqual([tr!.seeders, tr!.leechers, tr!.snatches], [4, 2, 1]);
    // Within one batch, the latest delta that knows the counts wins.
    await b.recordAnnounce([
      delta({
        ...base,
        peerId: peerId('p1'),
        seeders: 9,
        leechers: 9,
        lastAnnounce: 1_800_000_001,
      }),
      delta({
        ...base,
        peerId: peerId('p2'),
        seeders: -1,
        leechers: -1,
        lastAnnounce: 1_800_000_002,
      }),
    ]);
    const [tr2] = await b.loadTorrents([t.id]);
    assert.deepEqual([tr2!.seeders, tr2!.leechers], [9, 9]);
  });

  test('a schema behind the latest migration is refused with a hint to migrate', async () => {
    const old = await createTestSchema(false);
    try {
      const { migrateSchema } = await import('./migrate.js');
      const { MIGRATIONS } = await import('./migrations.js');
      await migrateSchema(old.sql, old.schema, MIGRATIONS.slice(0, 1));
      await assert.rejects(openBackend({ driver: 'postgres', options: old.options }, { log }), {
        message: /is at version 1, this Shoal needs \d+; run `shoal db migrate/,
      });
    } finally {
      await old.drop();
    }
  });

  test('recordAnnounce on a closed connection fails and applies nothing', async () => {
    const other = await openBackend({ driver: 'postgres', options: ts.options }, { log });
    const erin = await b.addUser({ passkey: 'erin' });
    await other.close();
    await assert.rejects(other.recordAnnounce([delta({ userKey: md5('erin'), uploaded: 1 })]), {
      code: 'SHOAL_E_BACKEND',
    });
    const [u] = await b.loadUsers([erin.id]);
    assert.equal(u!.uploaded, 0);
  });

  test('subscribe: inserts, updates and deletes notify; tracker writes do not', async () => {
    const seen: BackendChange[] = [];
    const stop = await b.subscribe!((c) => seen.push(c));
    try {
      const [row] = await ts.sql<
        { id: string }[]
      >`INSERT INTO users (passkey) VALUES ('sub-1') RETURNING id`;
      const id = Number(row!.id);
      await ts.sql`UPDATE users SET enabled = false WHERE id = ${id}`;
      await ts.sql`UPDATE users SET uploaded = 5 WHERE id = ${id}`; // totals: no notification
      const [tr] = await ts.sql<
        { id: string }[]
      >`INSERT INTO torrents (info_hash) VALUES (${hash('sub-t')}) RETURNING id`;
      await ts.sql`DELETE FROM users WHERE id = ${id}`;
      const tid = Number(tr!.id);
      for (let i = 0; i < 200 && seen.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen, [
        { kind: 'user', id },
        { kind: 'user', id },
        { kind: 'torrent', id: tid },
        { kind: 'user', id },
      ]);
    } finally {
      await stop();
    }
  });
});
