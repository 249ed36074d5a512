import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AnnounceDelta } from '../../backend/backend.js';
import { EVENT_STARTED, EVENT_STOPPED } from '../../bittorrent/event.js';
import { TestLedger, TestTorrents, announce, hash } from '../../test-support/privtrak-support.js';
import type { DeltaSpool } from './delta-spool.js';
import { Privtrak } from './privtrak.js';
import { privtrakOptionsSchema } from './privtrak-options.js';

/**
 * Counter baselines at start come from the spool first, then from the backend's peer rows
 * (restoreCounters). A backend row is older than anything the spool says about the same peer.
 */

const md5 = (s: string): Buffer => createHash('md5').update(s, 'utf8').digest();
const dir = mkdtempSync(join(tmpdir(), 'shoal-restore-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function open(spool: string, ledger: TestLedger): Privtrak {
  const torrents = new TestTorrents();
  torrents.add(hash(1));
  return Privtrak.open(privtrakOptionsSchema.parse({ spool, peerLifetime: 3600 }), {
    handler: ledger,
    torrents,
    timers: false,
  });
}

/** The peer row the backend holds after a batch carrying this peer at these counters. */
function backendRow(passkey: string, peer: string, up: number, down: number): AnnounceDelta {
  return {
    userKey: md5(passkey),
    infoHash: hash(1),
    peerId: Buffer.from(peer.padEnd(20, '0').slice(0, 20), 'latin1'),
    uploaded: 0,
    downloaded: 0,
    seedTime: 0,
    reportedUploaded: up,
    reportedDownloaded: down,
    left: 100,
    lastAnnounce: Math.floor(Date.now() / 1000),
    client: peer.slice(0, 8),
    snatched: false,
    active: true,
    seeders: -1,
    leechers: -1,
  };
}

describe('privtrak counter restore', () => {
  it('a peer whose stop was still pending at a crash is not revived from its backend row', async () => {
    const spool = join(dir, 'stop.spool');
    const ledger = new TestLedger();
    const p1 = open(spool, ledger);
    for (const [passkey, peer] of [
      ['alice', 'A'],
      ['bob', 'B'],
    ] as const) {
      p1.record(announce(passkey, hash(1), peer, 0, 0, 100, EVENT_STARTED));
      p1.record(announce(passkey, hash(1), peer, 1000, 500, 100));
    }
    assert.equal(await p1.flush(), true); // the backend rows say 1000/500; the spool is empty
    // The database is unreachable now: alice's stop stays pending, in the spool.
    p1.record(announce('alice', hash(1), 'A', 1500, 700, 100, EVENT_STOPPED));
    // The process is killed: the spool stays as it is (only its lock is released here).
    (p1 as unknown as { spool: DeltaSpool }).spool.close();

    const p2 = open(spool, ledger);
    // What the tracker does at start: baselines of the peers the spool does not know, from the
    // backend's rows. Alice's row is still active (the delta deleting it is pending).
    p2.restoreCounters([backendRow('alice', 'A', 1000, 500), backendRow('bob', 'B', 1000, 500)]);
    // Alice's client starts again with the counters it kept: a first announce after a stop
    // sets the baseline and credits nothing.
    p2.record(announce('alice', hash(1), 'A', 2000, 900, 100, EVENT_STARTED));
    // Bob never stopped: his counter comes from his row, so his next announce credits the rest.
    p2.record(announce('bob', hash(1), 'B', 1200, 600, 100));
    assert.equal(await p2.flush(), true);
    assert.deepEqual(
      [ledger.user(md5('alice')).uploaded, ledger.user(md5('alice')).downloaded],
      [1500, 700],
    );
    assert.deepEqual(
      [ledger.user(md5('bob')).uploaded, ledger.user(md5('bob')).downloaded],
      [1200, 600],
    );
    // And alice's counters go on from the new baseline.
    p2.record(announce('alice', hash(1), 'A', 2100, 950, 100));
    await p2.close();
    assert.equal(ledger.user(md5('alice')).uploaded, 1600);
    assert.equal(ledger.user(md5('alice')).downloaded, 750);
  });
});
