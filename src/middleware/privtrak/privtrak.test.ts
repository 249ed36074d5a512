import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Registry, register as globalRegistry } from 'prom-client';
import { ClientError } from '../../bittorrent/errors.js';
import { EVENT_COMPLETED, EVENT_STARTED, EVENT_STOPPED } from '../../bittorrent/event.js';
import { TestLedger, TestTorrents, announce, hash } from '../../test-support/privtrak-support.js';
import type { TorrentRecord } from '../../backend/backend.js';
import { Privtrak } from './privtrak.js';
import { privtrakOptionsSchema } from './privtrak-options.js';
import type { PrivtrakOptionsInput } from './privtrak-options.js';

const md5 = (s: string): Buffer => createHash('md5').update(s, 'utf8').digest();
const ALICE = md5('alice-passkey');
const BOB = md5('bob-passkey');

function setup(options: PrivtrakOptionsInput = {}, factors: Partial<TorrentRecord> = {}) {
  const ledger = new TestLedger();
  const torrents = new TestTorrents();
  const t = torrents.add(hash(1), factors);
  const clock = { now: 1_000_000 };
  const registry = new Registry();
  const p = Privtrak.open(privtrakOptionsSchema.parse({ peerLifetime: 3600, ...options }), {
    handler: ledger,
    torrents,
    registry,
    now: () => clock.now,
    timers: false,
  });
  return { p, ledger, torrents, t, clock, registry };
}

describe('privtrak accounting rules', () => {
  it('the first announce sets the baseline and credits nothing; the next credits the increase', async () => {
    const { p, ledger, t } = setup();
    p.record(announce('alice-passkey', t.infoHash, 'A', 5000, 7000, 100, EVENT_STARTED));
    await p.flush();
    assert.deepEqual(ledger.user(ALICE), { uploaded: 0, downloaded: 0, seedTime: 0, snatches: [] });
    p.record(announce('alice-passkey', t.infoHash, 'A', 6000, 7500, 50));
    await p.flush();
    assert.equal(ledger.user(ALICE).uploaded, 1000);
    assert.equal(ledger.user(ALICE).downloaded, 500);
    assert.equal(p.counterCount, 1);
    assert.equal(p.userCount, 1);
  });

  it('a counter that went down credits nothing and re-baselines', async () => {
    const { p, ledger, t } = setup();
    p.record(announce('alice-passkey', t.infoHash, 'A', 5000, 5000, 100));
    p.record(announce('alice-passkey', t.infoHash, 'A', 100, 200, 100)); // client restarted
    await p.flush();
    assert.equal(ledger.user(ALICE).uploaded, 0);
    assert.equal(ledger.user(ALICE).downloaded, 0);
    p.record(announce('alice-passkey', t.infoHash, 'A', 400, 250, 100));
    await p.flush();
    assert.equal(ledger.user(ALICE).uploaded, 300);
    assert.equal(ledger.user(ALICE).downloaded, 50);
  });

  it('stopped credits the final delta, drops the counter and deactivates the peer', async () => {
    const { p, ledger, t } = setup();
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 100));
    p.record(announce('alice-passkey', t.infoHash, 'A', 900, 300, 100, EVENT_STOPPED));
    assert.equal(p.counterCount, 0);
    assert.equal(p.userCount, 0);
    await p.flush();
    assert.equal(ledger.user(ALICE).uploaded, 900);
    const batch = ledger.batches[0]!;
    assert.equal(batch.length, 1);
    assert.equal(batch[0]!.active, false);
  });

  it('completed sets snatched once', async () => {
    const { p, ledger, t } = setup();
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 100));
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 100, 0, EVENT_COMPLETED));
    await p.flush();
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 100, 0, EVENT_COMPLETED));
    await p.flush();
    assert.deepEqual(ledger.user(ALICE).snatches, [t.infoHash.toString('hex')]);
    assert.equal(ledger.batches[0]![0]!.snatched, true);
    assert.equal(ledger.batches[1]![0]!.snatched, false);
  });

  it('seed time accumulates while left is 0 between announces, in whole seconds', async () => {
    const { p, ledger, t, clock } = setup();
    p.record(announce('alice-passkey', t.infoHash, 'S', 0, 0, 0));
    clock.now += 100_400;
    p.record(announce('alice-passkey', t.infoHash, 'S', 0, 0, 0));
    clock.now += 99_700;
    p.record(announce('alice-passkey', t.infoHash, 'S', 0, 0, 0));
    // A leecher accrues none.
    p.record(announce('alice-passkey', t.infoHash, 'L', 0, 0, 10));
    clock.now += 50_000;
    p.record(announce('alice-passkey', t.infoHash, 'L', 0, 0, 10));
    await p.flush();
    assert.equal(ledger.user(ALICE).seedTime, 200);
  });

  it('freeleech (download factor 0) credits upload only', async () => {
    const { p, ledger, t } = setup({}, { downloadFactor: 0 });
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 100));
    p.record(announce('alice-passkey', t.infoHash, 'A', 300, 1000, 100));
    await p.flush();
    assert.equal(ledger.user(ALICE).uploaded, 300);
    assert.equal(ledger.user(ALICE).downloaded, 0);
  });

  it('neutral (both factors 0) credits nothing but still reports the peer', async () => {
    const { p, ledger, t } = setup({}, { downloadFactor: 0, uploadFactor: 0 });
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 100));
    p.record(announce('alice-passkey', t.infoHash, 'A', 300, 1000, 100));
    await p.flush();
    assert.equal(ledger.user(ALICE).uploaded, 0);
    assert.equal(ledger.user(ALICE).downloaded, 0);
    assert.equal(ledger.batches[0]![0]!.reportedUploaded, 300);
  });

  it('double upload (upload factor 2) doubles the upload, fractional factors floor', async () => {
    const { p, ledger, t } = setup({}, { uploadFactor: 2, downloadFactor: 0.5 });
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 100));
    p.record(announce('alice-passkey', t.infoHash, 'A', 301, 1001, 100));
    await p.flush();
    assert.equal(ledger.user(ALICE).uploaded, 602);
    assert.equal(ledger.user(ALICE).downloaded, 500);
  });

  it('a hybrid torrent announced under both hashes is one counter, credited once', async () => {
    const { p, ledger, torrents } = setup();
    const hybrid = torrents.add(hash(7), { infoHashV2: hash(8) });
    p.record(announce('alice-passkey', hash(7), 'A', 0, 0, 100));
    p.record(announce('alice-passkey', hash(8), 'A', 1000, 0, 100));
    p.record(announce('alice-passkey', hash(7), 'A', 1500, 0, 100));
    assert.equal(p.counterCount, 1);
    await p.flush();
    assert.equal(ledger.user(ALICE).uploaded, 1500);
    assert.equal(ledger.batches[0]!.length, 1);
    assert.ok(ledger.batches[0]![0]!.infoHash.equals(hybrid.infoHash));
  });

  it('ignores announces without a passkey or for an unknown torrent', async () => {
    const { p, ledger, t } = setup();
    p.record(announce('', t.infoHash, 'A', 0, 0, 100));
    p.record(announce('alice-passkey', hash(99), 'A', 0, 0, 100));
    assert.equal(p.pendingCount, 0);
    await p.flush();
    assert.equal(ledger.calls, 0);
  });
});

describe('privtrak aggregation and batching', () => {
  it('aggregates the deltas of one (user, torrent, peer) into one, latest state kept', async () => {
    const { p, ledger, t } = setup();
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 100));
    for (let i = 1; i <= 5; i++)
      p.record(announce('alice-passkey', t.infoHash, 'A', i * 10, i, 100 - i));
    p.record(announce('bob-passkey', t.infoHash, 'B', 0, 0, 0));
    assert.equal(p.pendingCount, 2);
    await p.flush();
    assert.equal(ledger.batches.length, 1);
    const a = ledger.batches[0]!.find((d) => d.userKey.equals(ALICE))!;
    assert.equal(a.uploaded, 50);
    assert.equal(a.downloaded, 5);
    assert.equal(a.reportedUploaded, 50);
    assert.equal(a.left, 95);
    assert.equal(a.client, 'A0000000');
    assert.ok(ledger.batches[0]!.some((d) => d.userKey.equals(BOB)));
  });

  it('sends batches of at most maxBatch, and reaching maxBatch starts a flush by itself', async () => {
    const { p, ledger, t } = setup({ maxBatch: 3 });
    for (let i = 0; i < 2; i++) p.record(announce('alice-passkey', t.infoHash, `P${i}`, 0, 0, 1));
    await new Promise((r) => setImmediate(r));
    assert.equal(ledger.calls, 0, 'below maxBatch nothing is sent without the interval');
    p.record(announce('alice-passkey', t.infoHash, 'P2', 0, 0, 1));
    await new Promise((r) => setImmediate(r));
    await p.flush();
    assert.deepEqual(
      ledger.batches.map((b) => b.length),
      [3],
    );
    for (let i = 3; i < 10; i++) p.record(announce('alice-passkey', t.infoHash, `P${i}`, 0, 0, 1));
    await new Promise((r) => setImmediate(r));
    await p.flush();
    assert.deepEqual(
      ledger.batches.map((b) => b.length),
      [3, 3, 3, 1],
    );
    assert.equal(p.pendingCount, 0);
  });

  it('flushes on the interval timer', async () => {
    const ledger = new TestLedger();
    const torrents = new TestTorrents();
    const t = torrents.add(hash(1));
    const p = Privtrak.open(privtrakOptionsSchema.parse({ flushInterval: 0.02 }), {
      handler: ledger,
      torrents,
    });
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 1));
    for (let i = 0; i < 100 && ledger.calls === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ledger.batches.length, 1);
    await p.close();
  });

  it('keeps at most one flush in flight', async () => {
    let release!: () => void;
    let calls = 0;
    const torrents = new TestTorrents();
    const t = torrents.add(hash(1));
    const p = Privtrak.open(privtrakOptionsSchema.parse({}), {
      handler: {
        recordAnnounce: () => {
          calls++;
          return new Promise<void>((r) => (release = r));
        },
      },
      torrents,
      timers: false,
    });
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 1));
    const f1 = p.flush();
    const f2 = p.flush();
    assert.equal(f1, f2);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    release();
    assert.equal(await f1, true);
  });

  it('a rejected batch stays, is resent after the backoff under its id, and counts once', async () => {
    const { p, ledger, t, clock } = setup({ retryMin: 1, retryMax: 8 });
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 1));
    p.record(announce('alice-passkey', t.infoHash, 'A', 100, 10, 1));
    ledger.faults = ['reject'];
    assert.equal(await p.flush(), false);
    assert.equal(p.pendingCount, 1);
    // Newer deltas for the same key keep aggregating meanwhile.
    p.record(announce('alice-passkey', t.infoHash, 'A', 250, 20, 1));
    assert.equal(await p.flush(), false, 'still backing off');
    assert.equal(ledger.calls, 1);
    clock.now += 1000;
    // The acknowledgement of this try is lost although it committed: the resend must not count.
    ledger.faults = ['apply-then-reject'];
    assert.equal(await p.flush(), false);
    clock.now += 1999;
    assert.equal(await p.flush(), false, 'backoff doubled');
    clock.now += 1;
    assert.equal(await p.flush(), true);
    assert.equal(ledger.user(ALICE).uploaded, 250);
    assert.equal(ledger.user(ALICE).downloaded, 20);
    assert.equal(p.pendingCount, 0);
  });

  it('above maxPending new keys fail with a ClientError carrying retry in; known keys still count', async () => {
    const { p, ledger, t, registry, clock } = setup({ maxPending: 2, busyRetryIn: 30 });
    ledger.faults = ['reject'];
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 1));
    p.record(announce('bob-passkey', t.infoHash, 'B', 0, 0, 1));
    assert.throws(
      () => p.record(announce('carol-passkey', t.infoHash, 'C', 0, 0, 1)),
      (err: unknown) =>
        err instanceof ClientError && err.retryIn === 30 && /retry in 30 seconds/.test(err.message),
    );
    p.record(announce('alice-passkey', t.infoHash, 'A', 10, 0, 1));
    assert.equal(p.pendingCount, 2);
    assert.equal(p.counterCount, 2, 'the rejected announce left no counter');
    await new Promise((r) => setImmediate(r));
    await p.flush(); // rejected (fault)
    const json = await registry.getSingleMetric('shoal_privtrak_busy_rejections_total')!.get();
    assert.equal(json.values[0]!.value, 1);
    clock.now += 1000; // past the backoff
    assert.equal(await p.flush(), true);
    p.record(announce('carol-passkey', t.infoHash, 'C', 0, 0, 1));
    assert.equal(ledger.user(ALICE).uploaded, 10);
  });

  it('purges counters after peerLifetime, flushing an inactive delta for each', async () => {
    const { p, ledger, t, clock } = setup({ peerLifetime: 60, shards: 4 });
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 1));
    p.record(announce('bob-passkey', t.infoHash, 'B', 0, 0, 1));
    await p.flush();
    clock.now += 30_000;
    p.record(announce('bob-passkey', t.infoHash, 'B', 70, 0, 1));
    clock.now += 31_000;
    p.sweepAll();
    assert.equal(p.counterCount, 1, 'only the peer silent for longer than 60 s is gone');
    await p.flush();
    const last = ledger.batches.at(-1)!;
    const a = last.find((d) => d.userKey.equals(ALICE))!;
    const b = last.find((d) => d.userKey.equals(BOB))!;
    assert.equal(a.active, false);
    assert.equal(b.active, true);
    assert.equal(ledger.user(BOB).uploaded, 70);
  });

  it('close() sends everything pending', async () => {
    const { p, ledger, t } = setup({ maxBatch: 2, retryMin: 0.01 });
    for (let i = 0; i < 5; i++) p.record(announce('alice-passkey', t.infoHash, `P${i}`, 0, 0, 1));
    for (let i = 0; i < 5; i++) p.record(announce('alice-passkey', t.infoHash, `P${i}`, 7, 0, 1));
    ledger.faults = ['reject', 'reject'];
    await p.close();
    assert.equal(p.pendingCount, 0);
    assert.equal(ledger.user(ALICE).uploaded, 35);
    assert.throws(() => p.record(announce('bob-passkey', t.infoHash, 'B', 0, 0, 1)), ClientError);
    assert.throws(
      () => p.record(announce('alice-passkey', t.infoHash, 'P0', 9, 0, 1)),
      ClientError,
    );
    assert.equal(await p.flush(), true);
  });

  it('registers its metrics on the registry it is given, not the global one', async () => {
    const { p, t, registry } = setup();
    p.record(announce('alice-passkey', t.infoHash, 'A', 0, 0, 1));
    const text = await registry.metrics();
    assert.match(text, /shoal_privtrak_counters 1/);
    assert.match(text, /shoal_privtrak_users 1/);
    assert.match(text, /shoal_privtrak_pending_deltas 1/);
    await p.flush();
    const after = await registry.metrics();
    assert.match(after, /shoal_privtrak_deltas_flushed_total 1/);
    assert.match(after, /shoal_privtrak_flush_duration_seconds_count 1/);
    p.sweepAll();
    assert.match(await registry.metrics(), /shoal_privtrak_sweep_duration_seconds_count 16/);
    assert.equal(globalRegistry.getSingleMetric('shoal_privtrak_counters'), undefined);
  });
});
