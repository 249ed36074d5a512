import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../log/logger.js';
import type { BackendConnection } from './backend.js';
import { Directory } from './directory.js';
import { createTestSchema, pgSkipReason } from './postgres/pg-test-support.js';
import type { TestSchema } from './postgres/pg-test-support.js';
import { openBackend } from './registry.js';

const log = createLogger('silent');
const skip = await pgSkipReason();
const hash = (s: string): Buffer => createHash('sha1').update(s).digest();
const key = (b: Buffer): string => b.toString('latin1');

/** Polls `ok` every 20 ms for up to `ms`. */
async function until(ok: () => boolean, what: string, ms = 3000): Promise<void> {
  for (let t = 0; t < ms && !ok(); t += 20) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

for (const mode of ['notified', 'polled'] as const) {
  describe(`Directory on PostgreSQL (${mode})`, { skip: skip ?? false }, () => {
    let ts: TestSchema;
    let backend: BackendConnection;
    let dir: Directory;
    before(async () => {
      ts = await createTestSchema();
      await ts.sql`INSERT INTO users (passkey, can_leech) VALUES ('early', false)`;
      await ts.sql`INSERT INTO torrents (info_hash, info_hash_v2) VALUES (${hash('v1')}, ${hash('v2')})`;
      backend = await openBackend({ driver: 'postgres', options: ts.options }, { log });
      dir = await Directory.load(backend, {
        log,
        refreshSeconds: 1,
        subscribe: mode === 'notified',
      });
    });
    after(async () => {
      await dir?.close();
      await backend?.close();
      await ts?.drop();
    });

    test('loads every user and torrent at start, indexed by passkey, key and both hashes', () => {
      assert.equal(dir.subscribed, mode === 'notified');
      const u = dir.userByPasskey('early');
      assert.equal(u?.canLeech, false);
      assert.equal(dir.userByKey(key(createHash('md5').update('early').digest())), u);
      const t = dir.torrentByInfoHash(key(hash('v1')));
      assert.ok(t !== undefined);
      assert.equal(dir.torrentByInfoHash(key(hash('v2'))), t);
      assert.equal(dir.torrentByInfoHash(key(hash('nope'))), undefined);
      assert.equal(dir.userByPasskey('nobody'), undefined);
    });

    test('a user inserted, disabled, re-keyed and deleted in the database is seen', async () => {
      const [row] = await ts.sql<
        { id: string }[]
      >`INSERT INTO users (passkey) VALUES ('fresh') RETURNING id`;
      await until(() => dir.userByPasskey('fresh') !== undefined, 'the inserted user');
      assert.equal(dir.userById(Number(row!.id))?.enabled, true);
      await ts.sql`UPDATE users SET enabled = false WHERE passkey = 'fresh'`;
      await until(() => dir.userByPasskey('fresh')?.enabled === false, 'the disabled user');
      await ts.sql`UPDATE users SET passkey = 'fresh2' WHERE passkey = 'fresh'`;
      await until(() => dir.userByPasskey('fresh2') !== undefined, 'the new passkey');
      assert.equal(dir.userByPasskey('fresh'), undefined, 'the old passkey is gone');
      await ts.sql`DELETE FROM users WHERE passkey = 'fresh2'`;
      await until(() => dir.userByPasskey('fresh2') === undefined, 'the deleted user');
      assert.equal(dir.userById(Number(row!.id)), undefined);
    });

    test('a torrent inserted, made freeleech and deleted is seen, by both hashes', async () => {
      await ts.sql`INSERT INTO torrents (info_hash, info_hash_v2) VALUES (${hash('new1')}, ${hash('new2')})`;
      await until(() => dir.torrentByInfoHash(key(hash('new2'))) !== undefined, 'the torrent');
      await ts.sql`UPDATE torrents SET download_factor = 0 WHERE info_hash = ${hash('new1')}`;
      await until(
        () => dir.torrentByInfoHash(key(hash('new1')))?.downloadFactor === 0,
        'the freeleech factor',
      );
      await ts.sql`DELETE FROM torrents WHERE info_hash = ${hash('new1')}`;
      await until(
        () =>
          dir.torrentByInfoHash(key(hash('new1'))) === undefined &&
          dir.torrentByInfoHash(key(hash('new2'))) === undefined,
        'the deleted torrent',
      );
    });

    test(
      'a change made while the LISTEN connection was cut is seen after it reconnects',
      { skip: mode === 'polled' ? 'polling does not listen' : false },
      async () => {
        const cut = await ts.sql<{ ok: boolean }[]>`
          SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE datname = current_database() AND query ILIKE ${`listen%${ts.schema}%`}`;
        assert.ok(cut.length > 0 && cut.every((r) => r.ok), 'the LISTEN connection was found');
        // Sent while nobody listens: only the full reload after the reconnect can see it.
        await ts.sql`INSERT INTO users (passkey) VALUES ('while-cut')`;
        await until(() => dir.userByPasskey('while-cut') !== undefined, 'the user', 8000);
        // And notifications flow again.
        await ts.sql`INSERT INTO users (passkey) VALUES ('after-cut')`;
        await until(() => dir.userByPasskey('after-cut') !== undefined, 'the next user');
      },
    );

    test('refreshRow reloads one row at once (a change the tracker made itself)', async () => {
      const u = await backend.addUser({ passkey: 'row-1' });
      await dir.refreshRow({ kind: 'user', id: u.id });
      assert.equal(dir.userByPasskey('row-1')?.id, u.id);
      await backend.updateUser!(u.id, { passkey: 'row-2', enabled: false });
      await dir.refreshRow({ kind: 'user', id: u.id });
      assert.equal(dir.userByPasskey('row-1'), undefined, 'the old passkey is gone');
      assert.equal(dir.userByPasskey('row-2')?.enabled, false);
      const t = await backend.addTorrent({ infoHash: hash('row-t') });
      await dir.refreshRow({ kind: 'torrent', id: t.id });
      assert.equal(dir.torrentByInfoHash(key(hash('row-t')))?.id, t.id);
      await backend.deleteTorrent(t.id);
      await backend.deleteUser(u.id);
      await dir.refreshRow({ kind: 'torrent', id: t.id });
      await dir.refreshRow({ kind: 'user', id: u.id });
      assert.equal(dir.torrentByInfoHash(key(hash('row-t'))), undefined);
      assert.equal(dir.userById(u.id), undefined);
    });

    test('a failing reload keeps what was loaded', async () => {
      const before = dir.userCount;
      const broken = await openBackend({ driver: 'postgres', options: ts.options }, { log });
      const d2 = await Directory.load(broken, { log, refreshSeconds: 1, subscribe: false });
      await broken.close();
      await assert.rejects(d2.refresh(), { code: 'SHOAL_E_BACKEND' });
      assert.equal(d2.userCount, before);
      await d2.close();
    });
  });
}
