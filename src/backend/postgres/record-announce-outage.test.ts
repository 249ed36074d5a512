/**
 * The postgres backend when the connection to PostgreSQL drops while a batch is being recorded
 * (a network cut, a failover, a proxy restart): the batch is rejected, the process lives on, and
 * the same batch resent under its id is applied exactly once.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../log/logger.js';
import { TcpProxy } from '../../test-support/tcp-proxy.js';
import type { AnnounceDelta, BackendConnection } from '../backend.js';
import { openBackend } from '../registry.js';
import { TEST_PG_URL, createTestSchema, pgSkipReason } from './pg-test-support.js';
import type { TestSchema } from './pg-test-support.js';

const skip = await pgSkipReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe(
  'postgres backend: the connection drops during recordAnnounce',
  { skip: skip ?? false },
  () => {
    let ts: TestSchema;
    let proxy: TcpProxy;
    let b: BackendConnection;

    before(async () => {
      ts = await createTestSchema();
      const pg = new URL(TEST_PG_URL);
      proxy = await TcpProxy.start(pg.hostname, Number(pg.port || 5432));
      b = await openBackend(
        {
          driver: 'postgres',
          options: { ...ts.options, host: '127.0.0.1', port: proxy.port, connectTimeout: 2 },
        },
        { log: createLogger('silent') },
      );
    });
    after(async () => {
      await b?.close();
      await proxy?.close();
      await ts?.drop();
    });

    test('a batch cut off mid-statement is rejected without a crash and counts once when resent', async () => {
      await ts.sql`INSERT INTO users (passkey) VALUES ('olga')`;
      const infoHash = createHash('sha1').update('outage').digest();
      await ts.sql`INSERT INTO torrents (info_hash) VALUES (${infoHash})`;
      const delta: AnnounceDelta = {
        userKey: createHash('md5').update('olga').digest(),
        infoHash,
        peerId: Buffer.from('-qB4650-outage000000', 'latin1'),
        uploaded: 7,
        downloaded: 3,
        seedTime: 0,
        reportedUploaded: 7,
        reportedDownloaded: 3,
        left: 0,
        lastAnnounce: 1_700_000_000,
        client: '-qB4650-',
        snatched: true,
        active: true,
        seeders: 1,
        leechers: 0,
      };
      // Hold olga's row, so the batch is in flight (waiting for the lock) when the link drops.
      const lock = await ts.sql.reserve();
      try {
        await lock`BEGIN`;
        const [me] = await lock<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        await lock`SELECT 1 FROM users WHERE passkey = 'olga' FOR UPDATE`;
        const inFlight = b.recordAnnounce([delta], 'outage-1');
        for (let i = 0; ; i++) {
          const [w] = await ts.sql<{ n: number }[]>`
          SELECT count(*)::int4 AS n FROM pg_stat_activity WHERE ${me!.pid}::int4 = ANY(pg_blocking_pids(pid))`;
          if (w!.n > 0) break;
          assert.ok(i < 200, 'the batch never reached the locked row');
          await sleep(10);
        }
        proxy.cut();
        await assert.rejects(inFlight, { code: 'SHOAL_E_BACKEND' });
        // The driver's own clean-up after a dropped connection runs on later ticks: a bug there
        // (a write on the dead socket) is an uncaught exception that ends this process.
        await sleep(200);
        await lock`ROLLBACK`;
      } finally {
        lock.release();
      }
      proxy.restore();
      // The server may or may not have committed the orphaned statement: either way, the batch
      // resent under its id is counted once.
      for (let i = 0; ; i++) {
        try {
          await b.recordAnnounce([delta], 'outage-1');
          break;
        } catch (err) {
          assert.ok(i < 20, `the backend did not recover: ${(err as Error).message}`);
          await sleep(100);
        }
      }
      const [u] = await ts.sql<{ up: string; down: string }[]>`
      SELECT uploaded::text AS up, downloaded::text AS down FROM users WHERE passkey = 'olga'`;
      assert.deepEqual(u, { up: '7', down: '3' });
      const [t] = await ts.sql<{ snatches: number }[]>`SELECT snatches FROM torrents`;
      assert.equal(t!.snatches, 1);
      // And the backend keeps working for new batches.
      await b.recordAnnounce(
        [{ ...delta, uploaded: 5, downloaded: 0, snatched: false }],
        'outage-2',
      );
      const [u2] = await ts.sql<{ up: string }[]>`
      SELECT uploaded::text AS up FROM users WHERE passkey = 'olga'`;
      assert.equal(u2!.up, '12');
    });
  },
);
