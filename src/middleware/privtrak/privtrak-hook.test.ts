import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { AnnounceResponse } from '../../bittorrent/announce.js';
import { TestLedger, TestTorrents, announce, hash } from '../../test-support/privtrak-support.js';
import { createPrivtrak } from './privtrak-hook.js';
import { privtrakOptionsSchema } from './privtrak-options.js';
import { PasskeyUserIdentifier } from './user-identifier.js';

describe('PasskeyUserIdentifier', () => {
  it('derives MD5 of the passkey (as users.user_key), cached in a bounded map', () => {
    const id = new PasskeyUserIdentifier(2);
    const a = id.identify(announce('pässkey', hash(1), 'A', 0, 0, 0))!;
    assert.ok(a.key.equals(createHash('md5').update('pässkey', 'utf8').digest()));
    assert.equal(a.id, a.key.toString('latin1'));
    assert.equal(id.identify(announce('pässkey', hash(1), 'A', 0, 0, 0)), a, 'cached');
    id.identify(announce('k2', hash(1), 'A', 0, 0, 0));
    id.identify(announce('k3', hash(1), 'A', 0, 0, 0));
    assert.equal(id.size, 2);
    assert.equal(id.identify(announce('', hash(1), 'A', 0, 0, 0)), undefined);
  });
});

describe('privtrak hook', () => {
  it('accounts in preAnnounce, attaches swarm counts in postAnnounce, flushes on close', async () => {
    const ledger = new TestLedger();
    const torrents = new TestTorrents();
    torrents.add(hash(1));
    const hook = createPrivtrak({
      handler: ledger,
      torrents,
      registry: new Registry(),
      timers: false,
    });
    assert.equal(hook.name, 'privtrak');
    assert.equal(hook.preAnnounce(announce('k', hash(1), 'A', 0, 0, 5)), undefined);
    const req = announce('k', hash(1), 'A', 40, 0, 5);
    hook.preAnnounce(req);
    const res = new AnnounceResponse();
    res.complete = 3;
    res.incomplete = 9;
    hook.postAnnounce(req, res);
    await hook.close();
    const d = ledger.batches[0]![0]!;
    assert.equal(d.uploaded, 40);
    assert.deepEqual([d.seeders, d.leechers], [3, 9]);
  });

  it('checks its options and names the bad one', () => {
    assert.throws(() => privtrakOptionsSchema.parse({ maxBatch: 0 }), /maxBatch/);
    assert.throws(() => privtrakOptionsSchema.parse({ flushEvery: 1 }), /flushEvery/);
    const o = privtrakOptionsSchema.parse({});
    assert.equal(o.spool, null);
    assert.equal(o.shards, 16);
  });
});
