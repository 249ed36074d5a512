import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { AnnounceRequest } from '../../bittorrent/announce.js';
import { ClientError } from '../../bittorrent/errors.js';
import type { BackendConnection, TorrentRecord, UserRecord } from '../../backend/backend.js';
import { Directory } from '../../backend/directory.js';
import { createLogger } from '../../log/logger.js';
import { PASSKEY_RETRY_IN, PasskeyHook } from './passkey-hook.js';

const hash = (s: string): Buffer => createHash('sha1').update(s).digest();

function user(id: number, passkey: string, over: Partial<UserRecord> = {}): UserRecord {
  const key = createHash('md5').update(passkey).digest();
  return { id, passkey, key, uploaded: 0, downloaded: 0, canLeech: true, enabled: true, ...over };
}

const torrent: TorrentRecord = {
  id: 1,
  infoHash: hash('t'),
  infoHashV2: hash('t2'),
  downloadFactor: 1,
  uploadFactor: 1,
  seeders: 0,
  leechers: 0,
  snatches: 0,
};

// Only what Directory.load reads: a fixed set of users and torrents, no subscribe.
const backend = {
  loadUsers: () =>
    Promise.resolve([
      user(1, 'good'),
      user(2, 'off', { enabled: false }),
      user(3, 'seedonly', { canLeech: false }),
    ]),
  loadTorrents: () => Promise.resolve([torrent]),
} as unknown as BackendConnection;

const dir = await Directory.load(backend, {
  log: createLogger('silent'),
  refreshSeconds: 3600,
});
const hook = new PasskeyHook(dir);

function outcome(passkey: string, infoHash: Buffer, left: number): string {
  const req = new AnnounceRequest();
  req.passkey = passkey;
  req.infoHash = infoHash;
  req.infoHashKey = infoHash.toString('latin1');
  req.left = left;
  try {
    hook.preAnnounce(req);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof ClientError);
    assert.ok((err.retryIn ?? 0) > 0, 'every rejection says when to retry');
    return `${err.message} (${err.retryIn})`;
  }
}

describe('PasskeyHook', () => {
  test('admits a known passkey on a registered torrent, by either hash', () => {
    assert.equal(outcome('good', hash('t'), 100), 'ok');
    assert.equal(outcome('good', hash('t2'), 0), 'ok');
  });

  test('rejects with a reason and a retry time', () => {
    const acc = PASSKEY_RETRY_IN.account;
    assert.match(outcome('', hash('t'), 0), new RegExp(`^passkey required.*\\(${acc}\\)$`));
    assert.equal(outcome('bad', hash('t'), 0), `unknown passkey (${acc})`);
    assert.equal(outcome('off', hash('t'), 0), `account disabled (${acc})`);
    assert.equal(
      outcome('good', hash('other'), 0),
      `torrent not registered with this tracker (${PASSKEY_RETRY_IN.torrent})`,
    );
    assert.match(outcome('seedonly', hash('t'), 1), /may not download/);
    assert.equal(outcome('seedonly', hash('t'), 0), 'ok', 'a seeder may seed');
  });

  test('checkPasskey (scrape) checks the passkey only', () => {
    assert.doesNotThrow(() => hook.checkPasskey('seedonly'));
    assert.throws(() => hook.checkPasskey('off'), /account disabled/);
    assert.throws(() => hook.checkPasskey(''), /passkey required/);
  });
});
