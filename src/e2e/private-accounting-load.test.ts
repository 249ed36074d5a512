/**
 * Acceptance load test of private-mode accounting (issue 5): the real `shoal` CLI in private
 * mode on a real PostgreSQL reached through a TcpProxy, thousands of announces over HTTP and UDP
 * (BEP 41) from simulated peers, PostgreSQL cut off twice while announces go on, the tracker
 * SIGKILLed once during the second cut and restarted on the same spool, then SIGTERM — and the
 * database must hold exactly what a model computed from the acknowledged announces: per-user
 * credited bytes (after factors), snatches, torrent snatch counts, and the peer rows.
 *
 * The model (support/accounting-model.ts) counts only announces the tracker acknowledged with a
 * non-failure reply; a failed announce (the tracker was down) is "not sent", and the peer sends
 * the same cumulative counters again in a later round, as a real client does. Failures are
 * allowed only in the round where the tracker is killed.
 *
 * A failing run prints its seed; replay it with SHOAL_LOAD_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  TEST_PG_URL,
  createTestSchema,
  pgSkipReason,
} from '../backend/postgres/pg-test-support.js';
import type { TestSchema } from '../backend/postgres/pg-test-support.js';
import { TcpProxy } from '../test-support/tcp-proxy.js';
import { freePort, sleep, within } from './protocol-support/fixtures.js';
import { announcePath, bodyDict, httpGet } from './protocol-support/raw-http.js';
import {
  ANNOUNCE,
  announcePacket,
  connectPacket,
  errorMessage,
  urlDataOption,
} from './protocol-support/raw-udp.js';
import { LOAD_TORRENTS, STOP_ROUND, makeLoadPeers } from './support/accounting-load-plan.js';
import type { AnnounceStep, LoadPeer } from './support/accounting-load-plan.js';
import { AccountingModel, peerKey } from './support/accounting-model.js';
import { Proc } from './support/proc.js';
import { UdpRequester } from './support/udp-requester.js';

const skip = await pgSkipReason();

const CLI = fileURLToPath(new URL('../cli/shoal.js', import.meta.url));
const USERS = 20;
const PEERS = 150;
/** Announces in flight at once (each worker is one sequential client). */
const WORKERS = 16;
/** Rounds (each peer at most one step per round) while PostgreSQL is cut off. */
const FIRST_CUT = [4, 5, 6];
const SECOND_CUT = [STOP_ROUND, STOP_ROUND + 1];
/** During the second cut: the tracker is SIGKILLed after half of this round's announces. */
const KILL_ROUND = STOP_ROUND + 2;
/** Rounds during a cut last at least this long, so PostgreSQL stays away for seconds. */
const CUT_ROUND_MS = 800;
const UDP_TIMEOUT_MS = 1500;

const seed = Number(process.env['SHOAL_LOAD_SEED'] ?? randomBytes(4).readUInt32BE(0));

interface Failure {
  round: number;
  peer: number;
  why: string;
}

describe('private accounting under load, outages and a crash', { skip: skip ?? false }, () => {
  let ts: TestSchema;
  let proxy: TcpProxy;
  let dir: string;
  let tracker: Proc | null = null;

  before(async () => {
    ts = await createTestSchema(false);
    const pg = new URL(TEST_PG_URL);
    proxy = await TcpProxy.start(pg.hostname, Number(pg.port || 5432));
    dir = await mkdtemp(join(tmpdir(), 'shoal-acct-load-'));
  });
  after(async () => {
    await tracker?.stop(1000);
    await proxy?.close();
    await ts?.drop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  test(`database totals equal the model of acknowledged announces (seed ${seed})`, async (ctx) => {
    const port = await freePort();
    const spool = join(dir, 'accounting.spool');
    const config = join(dir, 'shoal.yaml');
    // JSON is YAML.
    await writeFile(
      config,
      JSON.stringify({
        listen: { http: [`127.0.0.1:${port}`], udp: [`127.0.0.1:${port}`] },
        log: { level: 'info' },
        private: {
          enabled: true,
          backend: {
            driver: 'postgres',
            options: {
              url: TEST_PG_URL,
              host: '127.0.0.1',
              port: proxy.port,
              schema: ts.schema,
              connectTimeout: 2,
            },
          },
          accounting: {
            spool,
            flushInterval: 0.2,
            maxBatch: 50,
            retryMin: 0.2,
            retryMax: 1,
            closeTimeout: 20,
          },
        },
      }),
    );
    const say = (what: string): string => `${what} (seed ${seed}; replay: SHOAL_LOAD_SEED=${seed})`;

    // The schema, through the real command (and the proxy).
    const migrate = new Proc('shoal db migrate', process.execPath, [
      CLI,
      'db',
      'migrate',
      '--config',
      config,
    ]);
    await within(migrate.exited, 20_000, 'shoal db migrate');
    assert.equal(migrate.child.exitCode, 0, migrate.tail());
    assert.match(migrate.tail(), /applied 2: /);

    // Users and torrents, as the site would insert them.
    const passkeys = Array.from({ length: USERS }, () => randomBytes(16).toString('hex'));
    for (const p of passkeys) await ts.sql`INSERT INTO users (passkey) VALUES (${p})`;
    const hashes = LOAD_TORRENTS.map((t) => ({
      v1: randomBytes(20),
      v2: t.hybrid ? randomBytes(20) : null,
    }));
    for (let i = 0; i < LOAD_TORRENTS.length; i++) {
      const t = LOAD_TORRENTS[i]!;
      const h = hashes[i]!;
      await ts.sql`INSERT INTO torrents (info_hash, info_hash_v2, upload_factor, download_factor)
        VALUES (${h.v1}, ${h.v2}, ${t.upload}, ${t.download})`;
    }

    const start = async (): Promise<Proc> => {
      const p = new Proc('shoal', process.execPath, [CLI, '--config', config]);
      const deadline = Date.now() + 20_000;
      while (!/shoal tracker started/.test(p.tail(1e6))) {
        if (p.hasExited || Date.now() > deadline) {
          throw new Error(`shoal did not start: ${p.describeExit()}\n${p.tail()}`);
        }
        await sleep(25);
      }
      return p;
    };

    const peers = makeLoadPeers(seed, USERS, PEERS);
    const model = new AccountingModel(
      USERS,
      LOAD_TORRENTS.map((t) => ({ upload: t.upload, download: t.download })),
    );
    const failures: Failure[] = [];
    const udp = await Promise.all(Array.from({ length: WORKERS }, () => UdpRequester.open()));

    /** One announce; null when acknowledged, else why not. */
    const send = async (p: LoadPeer, s: AnnounceStep, w: number): Promise<string | null> => {
      const h = hashes[p.torrent]!;
      const infoHash = s.hash === 'v2' && h.v2 !== null ? h.v2 : h.v1;
      const passkey = passkeys[p.user]!;
      const a = {
        infoHash,
        peerId: p.peerId,
        port: 10_000 + p.index,
        uploaded: s.uploaded,
        downloaded: s.downloaded,
        left: s.left,
      };
      try {
        if (p.proto === 'http') {
          const params = {
            ...a,
            ...(s.event === '' ? {} : { event: s.event }),
            ...(p.passkeyInQuery ? { extra: `passkey=${passkey}` } : {}),
          };
          const path = p.passkeyInQuery
            ? announcePath(params)
            : `/${passkey}${announcePath(params)}`;
          const d = bodyDict(await httpGet(port, 4, path));
          const f = d['failure reason'];
          return f === undefined ? null : `failure: ${Buffer.isBuffer(f) ? f.toString() : '?'}`;
        }
        const sock = udp[w]!;
        const t1 = randomBytes(4).readUInt32BE(0);
        const c = await sock.request(port, connectPacket(t1), t1, UDP_TIMEOUT_MS);
        if (c === null) return 'no UDP connect reply';
        if (c.length !== 16) return `UDP connect: ${errorMessage(c) ?? 'bad reply'}`;
        const t2 = randomBytes(4).readUInt32BE(0);
        const packet = announcePacket(c.subarray(8, 16), t2, {
          ...a,
          event: s.event === '' ? 'none' : s.event,
          options: urlDataOption(`/${passkey}/announce`),
        });
        const r = await sock.request(port, packet, t2, UDP_TIMEOUT_MS);
        if (r === null) return 'no UDP announce reply';
        if (r.length < 20 || r.readUInt32BE(0) !== ANNOUNCE) {
          return `UDP: ${errorMessage(r) ?? 'bad reply'}`;
        }
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    };

    /**
     * Every unfinished peer takes its next step (a pause, or an announce that is acknowledged
     * or left for a later round). `onAcked(n)` runs after each acknowledgement; once it returns
     * true (the tracker is being killed), each worker sends one more announce, to a tracker
     * that is gone (those fail, and are sent again in a later round), and the round ends.
     */
    const round = async (
      r: number,
      opts: { minMs?: number; skip?: (p: LoadPeer) => boolean; onAcked?: (n: number) => boolean },
    ): Promise<void> => {
      const t0 = Date.now();
      const todo = peers.filter((p) => p.next < p.steps.length && opts.skip?.(p) !== true);
      let i = 0;
      let acked = 0;
      let end = todo.length;
      const worker = async (w: number): Promise<void> => {
        while (i < end) {
          const p = todo[i++]!;
          const s = p.steps[p.next]!;
          if (s.kind === 'pause') {
            p.next++;
            continue;
          }
          const why = await send(p, s, w);
          if (why !== null) {
            failures.push({ round: r, peer: p.index, why });
            continue;
          }
          model.acknowledge({ ...s, user: p.user, torrent: p.torrent, peerId: p.peerId });
          p.next++;
          acked++;
          if (opts.onAcked?.(acked) === true) end = Math.min(end, i + WORKERS);
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      const rest = (opts.minMs ?? 0) - (Date.now() - t0);
      if (rest > 0) await sleep(rest);
    };

    const snapshot = async (): Promise<string> => {
      const [row] = await ts.sql<{ s: string }[]>`
        SELECT concat_ws(' ', (SELECT sum(uploaded) FROM users), (SELECT sum(downloaded) FROM users),
          (SELECT count(*) FROM snatches), (SELECT count(*) FROM shoal_batches)) AS s`;
      return row!.s;
    };

    try {
      tracker = await start();
      let r = 0;
      const normalRounds = async (until: number): Promise<void> => {
        for (; r < until; r++) await round(r, {});
      };

      await normalRounds(FIRST_CUT[0]!);
      // First outage: PostgreSQL unreachable, announces go on and are acknowledged.
      proxy.cut();
      await sleep(500); // a commit already on its way may still land
      const atCut = await snapshot();
      for (; r <= FIRST_CUT[FIRST_CUT.length - 1]!; r++) await round(r, { minMs: CUT_ROUND_MS });
      assert.equal(await snapshot(), atCut, say('nothing reaches PostgreSQL while it is cut off'));
      proxy.restore();

      await normalRounds(SECOND_CUT[0]!);
      // Second outage, and the crash during it: the spool holds deltas PostgreSQL never saw.
      proxy.cut();
      await sleep(500);
      const atCut2 = await snapshot();
      for (; r <= SECOND_CUT[SECOND_CUT.length - 1]!; r++) await round(r, { minMs: CUT_ROUND_MS });
      assert.equal(r, KILL_ROUND);
      const victim = tracker;
      const inKillRound = peers.filter((p) => p.next < p.steps.length).length;
      let spoolAtKill = -1;
      await round(r++, {
        // See LoadTorrent.fractional.
        skip: (p) => LOAD_TORRENTS[p.torrent]!.fractional,
        onAcked: (n) => {
          if (n < inKillRound / 2 || spoolAtKill >= 0) return false;
          spoolAtKill = statSync(spool).size;
          victim.child.kill('SIGKILL');
          return true;
        },
      });
      await within(victim.exited, 10_000, 'the killed tracker to exit');
      assert.match(victim.describeExit(), /signal SIGKILL/, victim.tail());
      assert.ok(spoolAtKill > 0, say('the spool held pending deltas when the tracker was killed'));
      assert.ok(failures.length > 0, 'announces sent after the kill failed');
      assert.equal(await snapshot(), atCut2, say('nothing reached PostgreSQL during the cut'));
      proxy.restore();

      // The same config and spool: in-doubt batches resent, pending deltas and counters restored.
      tracker = await start();
      assert.match(tracker.tail(1e6), /privtrak resumed from its spool/);
      while (peers.some((p) => p.next < p.steps.length)) {
        assert.ok(r < 60, say('every peer finishes its script'));
        await round(r++, {});
      }

      // SIGTERM: the tracker flushes what is pending and exits 0.
      const last = tracker;
      last.child.kill('SIGTERM');
      await within(last.exited, 30_000, 'the tracker to stop on SIGTERM');
      assert.equal(last.child.exitCode, 0, `${last.describeExit()}\n${last.tail()}`);
      assert.match(last.tail(1e6), /"msg":"stopped"/);
      tracker = null;
    } finally {
      await Promise.all(udp.map((u) => u.close()));
    }

    const [batches] = await ts.sql<{ n: number }[]>`SELECT count(*)::int4 AS n FROM shoal_batches`;
    ctx.diagnostic(
      `${model.acknowledged} announces acknowledged (${PEERS} peers, ${USERS} users, ` +
        `${LOAD_TORRENTS.length} torrents), ${failures.length} failed while the tracker was down ` +
        `and were sent again, ${batches!.n} batches applied`,
    );
    // Failures only where the tracker was down; everything else was acknowledged.
    assert.deepEqual(
      failures.filter((f) => f.round !== KILL_ROUND),
      [],
      say('announces fail only while the tracker is down'),
    );
    const total = peers.reduce(
      (n, p) => n + p.steps.filter((s) => s.kind === 'announce').length,
      0,
    );
    assert.equal(model.acknowledged, total);
    assert.ok(model.acknowledged >= 2500, `only ${model.acknowledged} announces`);
    assert.ok(proxy.accepted > 0, 'the tracker reached PostgreSQL through the proxy');
    assert.ok(!existsSync(spool) || statSync(spool).size === 0, 'the spool is empty after SIGTERM');

    // Users' credited totals.
    const users = await ts.sql<{ passkey: string; uploaded: string; downloaded: string }[]>`
      SELECT passkey, uploaded::text, downloaded::text FROM users`;
    const byPasskey = new Map(users.map((u) => [u.passkey, u]));
    const got = passkeys.map((p, i) => {
      const u = byPasskey.get(p)!;
      return `user ${i}: up ${u.uploaded} down ${u.downloaded}`;
    });
    const want = passkeys.map(
      (_, i) => `user ${i}: up ${model.uploaded[i]} down ${model.downloaded[i]}`,
    );
    assert.deepEqual(got, want, say('credited bytes per user'));

    // Snatches, once per (user, torrent), and each torrent's count.
    const userIndex = new Map(passkeys.map((p, i) => [p, i]));
    const torrentIndex = new Map(hashes.map((h, i) => [h.v1.toString('hex'), i]));
    const snatches = await ts.sql<{ passkey: string; info_hash: Buffer }[]>`
      SELECT u.passkey, t.info_hash FROM snatches s
      JOIN users u ON u.id = s.user_id JOIN torrents t ON t.id = s.torrent_id`;
    assert.deepEqual(
      snatches
        .map((s) => `${userIndex.get(s.passkey)}:${torrentIndex.get(s.info_hash.toString('hex'))}`)
        .sort(),
      [...model.snatches].sort(),
      say('snatches'),
    );
    const torrents = await ts.sql<{ info_hash: Buffer; snatches: number }[]>`
      SELECT info_hash, snatches FROM torrents`;
    assert.deepEqual(
      torrents
        .map((t) => `torrent ${torrentIndex.get(t.info_hash.toString('hex'))}: ${t.snatches}`)
        .sort(),
      LOAD_TORRENTS.map((_, i) => `torrent ${i}: ${model.snatchesOf(i)}`).sort(),
      say('torrents.snatches'),
    );
    assert.ok(model.snatches.size > 0);

    // Peer rows: exactly the peers that did not stop, with their last acknowledged counters.
    const rows = await ts.sql<
      { passkey: string; info_hash: Buffer; peer_id: Buffer; u: string; d: string; l: string }[]
    >`
      SELECT u.passkey, t.info_hash, p.peer_id, p.uploaded::text AS u, p.downloaded::text AS d,
             p."left"::text AS l
      FROM peers p JOIN users u ON u.id = p.user_id JOIN torrents t ON t.id = p.torrent_id`;
    const rowText = rows
      .map((p) => {
        const key = peerKey(
          userIndex.get(p.passkey)!,
          torrentIndex.get(p.info_hash.toString('hex'))!,
          p.peer_id,
        );
        return `${key} ${p.u}/${p.d}/${p.l}`;
      })
      .sort();
    const modelText = [...model.peers]
      .map(([key, s]) => `${key} ${s.uploaded}/${s.downloaded}/${s.left}`)
      .sort();
    assert.deepEqual(rowText, modelText, say('peer rows'));
    assert.ok(modelText.length > 0);
  });
});
