import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ShoalError } from '../../bittorrent/errors.js';
import {
  CRASH_TORRENTS,
  TestLedger,
  TestTorrents,
  announce,
  crashStep,
  hash,
} from '../../test-support/privtrak-support.js';
import { readSpool } from './delta-spool.js';
import type { DeltaSpool } from './delta-spool.js';
import { Privtrak } from './privtrak.js';
import { privtrakOptionsSchema } from './privtrak-options.js';
import type { PrivtrakOptionsInput } from './privtrak-options.js';

const md5 = (s: string): Buffer => createHash('md5').update(s, 'utf8').digest();
const dir = mkdtempSync(join(tmpdir(), 'shoal-spool-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `spool-${++n}.jsonl`);

function open(spool: string, ledger: TestLedger, options: PrivtrakOptionsInput = {}): Privtrak {
  const torrents = new TestTorrents();
  for (const t of CRASH_TORRENTS) torrents.add(t);
  return Privtrak.open(privtrakOptionsSchema.parse({ spool, maxBatch: 3, ...options }), {
    handler: ledger,
    torrents,
    timers: false,
  });
}

describe('privtrak spool', () => {
  it('keeps what close() could not send, and the next start sends it once', async () => {
    const spool = fresh();
    const down = new TestLedger();
    down.recordAnnounce = () => Promise.reject(new Error('database down'));
    const p1 = open(spool, down, { closeTimeout: 0 });
    for (let j = 0; j <= 3; j++) for (const r of crashStep(j)) p1.record(r);
    await p1.close();
    assert.equal(p1.pendingCount, 4);
    const ledger = new TestLedger();
    const p2 = open(spool, ledger);
    assert.equal(p2.pendingCount, 4);
    await p2.close();
    for (const u of ['alice-passkey', 'bob-passkey']) {
      assert.equal(ledger.user(md5(u)).uploaded, 6000);
      assert.equal(ledger.user(md5(u)).downloaded, 3000);
    }
    assert.equal(statSync(spool).size, 0, 'truncated once nothing is pending');
  });

  it('resends a batch in doubt under the same id, so an applied one is not counted twice', async () => {
    const spool = fresh();
    const ledger = new TestLedger();
    const p1 = open(spool, ledger, { closeTimeout: 0 });
    for (const r of crashStep(0)) p1.record(r);
    for (const r of crashStep(2)) p1.record(r);
    ledger.faults = ['apply-then-reject', 'reject'];
    await p1.flush();
    const firstId = ledger.state.applied[0]!;
    await p1.close(); // the second try is rejected too: the batch stays in doubt in the spool
    const replay = readSpool(spool);
    assert.equal(replay.inDoubt[0]?.id, firstId);
    const p2 = open(spool, ledger);
    await p2.close();
    assert.equal(new Set(ledger.state.applied).size, ledger.state.applied.length);
    assert.equal(ledger.user(md5('alice-passkey')).uploaded, 4000);
  });

  it('ignores a torn last line and duplicate sequence numbers', () => {
    const spool = fresh();
    const ledger = new TestLedger();
    const p = open(spool, ledger);
    p.record(announce('alice-passkey', hash(1), 'A', 0, 0, 1));
    p.record(announce('alice-passkey', hash(1), 'A', 10, 0, 1));
    const lines = readFileSync(spool, 'utf8');
    // The same records again (a duplicated write), then half a record (a power cut).
    appendFileSync(spool, lines + lines.slice(0, 20));
    const r = readSpool(spool);
    assert.equal(r.skipped, 1);
    assert.equal(r.lastSeq, 2);
    assert.equal([...r.pending.values()][0]!.uploaded, 10);
    (p as unknown as { spool: DeltaSpool }).spool.close();
  });

  it('refuses a spool another live process or instance holds', () => {
    const spool = fresh();
    const p = open(spool, new TestLedger());
    assert.throws(
      () => open(spool, new TestLedger()),
      (err: unknown) => err instanceof ShoalError && err.code === 'SHOAL_E_SPOOL_LOCKED',
    );
    (p as unknown as { spool: DeltaSpool }).spool.close();
    // A lock left by a dead process is taken over.
    writeFileSync(`${spool}.lock`, '999999999');
    open(spool, new TestLedger());
  });

  it('compacts the file when it grows past spoolCompactBytes and loses nothing', async () => {
    const spool = fresh();
    const ledger = new TestLedger();
    const p = open(spool, ledger, { spoolCompactBytes: 4096, maxBatch: 1, retryMin: 0.001 });
    for (let j = 0; j <= 40; j++) {
      for (const r of crashStep(j)) p.record(r);
      ledger.faults = ['ok', 'ok', 'ok', 'reject'];
      await p.flush(); // three of four keys committed, one stays pending and keeps the file alive
      await new Promise((r) => setTimeout(r, 3)); // past the 1 ms backoff
    }
    assert.ok(statSync(spool).size < 8192, `spool is ${statSync(spool).size} bytes`);
    (p as unknown as { spool: DeltaSpool }).spool.close();
    const p2 = open(spool, ledger);
    await p2.close();
    assert.equal(ledger.user(md5('alice-passkey')).uploaded, 80_000);
  });
});

const CHILD = fileURLToPath(new URL('../../test-support/privtrak-crash-child.js', import.meta.url));

function runChild(spool: string, ledger: string, scenario: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, spool, ledger, scenario], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

describe('privtrak after kill -9', () => {
  for (const scenario of [
    'pending',
    'committed-then-pending',
    'kill-before-apply',
    'kill-after-apply',
  ]) {
    it(`replays the spool exactly once (${scenario})`, async () => {
      const spool = fresh();
      const ledgerFile = `${spool}.ledger.json`;
      const out = await runChild(spool, ledgerFile, scenario);
      assert.match(out, /ack 4\n/, 'every step was acknowledged before the kill');
      const ledger = new TestLedger(ledgerFile);
      const appliedBefore = ledger.state.applied.length;
      const p = open(spool, ledger);
      // The rewritten spool still knows every peer's baseline, should it crash again now.
      assert.equal(readSpool(spool).latest.size, 4);
      // The restored counters are the baselines: step 5 credits only 1000 / 500 more per key.
      for (const r of crashStep(5)) p.record(r);
      await p.close();
      for (const u of ['alice-passkey', 'bob-passkey']) {
        assert.deepEqual(
          { up: ledger.user(md5(u)).uploaded, down: ledger.user(md5(u)).downloaded },
          { up: 10_000, down: 5000 },
          `${u} after ${scenario}`,
        );
      }
      assert.equal(new Set(ledger.state.applied).size, ledger.state.applied.length);
      if (scenario === 'kill-after-apply') {
        assert.ok(appliedBefore >= 2, 'the batch in doubt had been applied before the kill');
      }
    });
  }
});
