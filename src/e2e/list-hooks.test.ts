import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScrapeEntry, createTracker } from '../index.js';
import type {
  ClientListHook,
  InfoHashListHook,
  IPListHook,
  ShoalConfigInput,
  Tracker,
} from '../index.js';
import type { Family } from './protocol-support/fixtures.js';
import { FAMILIES, boundAddress, peerPort, randomId } from './protocol-support/fixtures.js';
import { announcePath, failureReason, httpGet, okDict } from './protocol-support/raw-http.js';
import { UdpConn } from './protocol-support/raw-udp.js';

/**
 * The built-in list hooks end to end: each rejecting and admitting over HTTP and UDP on both
 * address families, runtime changes through the hook and through its store, and list files
 * re-read by `reload()` (what SIGHUP calls). Failures must be a `failure reason` (HTTP) or an
 * error action (UDP) carrying the hook's text, and a rejected peer must not be stored.
 */

const PROTOCOLS = ['http', 'udp'] as const;
type Proto = (typeof PROTOCOLS)[number];

function peerId(prefix: string): Buffer {
  const id = randomId();
  id.write(prefix, 0, 'latin1');
  return id;
}

interface Try {
  infoHash: Buffer;
  peerId: Buffer;
  /** HTTP `ip=` parameter (believed only with announce.trustClientIp). */
  ip?: string;
}

/** Announces once; 'ok', or the failure text the client received. */
async function verdict(tracker: Tracker, proto: Proto, family: Family, t: Try): Promise<string> {
  const port = peerPort();
  if (proto === 'http') {
    const p = {
      infoHash: t.infoHash,
      peerId: t.peerId,
      port,
      ...(t.ip === undefined ? {} : { extra: `ip=${t.ip}` }),
    };
    const res = await httpGet(boundAddress(tracker, 'http', family).port, family, announcePath(p));
    try {
      okDict(res);
      return 'ok';
    } catch {
      return failureReason(res);
    }
  }
  const c = await UdpConn.open(boundAddress(tracker, 'udp', family).port, family);
  try {
    await c.announce({ infoHash: t.infoHash, peerId: t.peerId, port });
    return 'ok';
  } catch (err) {
    const m = /^tracker error: (.*)$/.exec((err as Error).message);
    if (m === null) throw err;
    return m[1]!;
  } finally {
    await c.close();
  }
}

/** Peers stored in a swarm, both kinds, read from the tracker's own store. */
async function stored(tracker: Tracker, infoHash: Buffer): Promise<number> {
  const e = new ScrapeEntry();
  await tracker.store.scrape(infoHash.toString('latin1'), e);
  return e.complete + e.incomplete;
}

/** Runs `check` for every protocol and family, naming the combination on failure. */
async function everyWay(fn: (proto: Proto, family: Family) => Promise<void>): Promise<void> {
  for (const proto of PROTOCOLS) {
    for (const family of FAMILIES) {
      try {
        await fn(proto, family);
      } catch (err) {
        (err as Error).message = `${proto} IPv${family}: ${(err as Error).message}`;
        throw err;
      }
    }
  }
}

async function startWith(config: ShoalConfigInput, baseDir: string): Promise<Tracker> {
  return createTracker(
    {
      ...config,
      listen: { http: ['127.0.0.1:0', '[::1]:0'], udp: ['127.0.0.1:0', '[::1]:0'] },
      log: { level: 'silent' },
    },
    { baseDir },
  );
}

const NOT_ALLOWED = 'torrent is not allowed on this tracker';
const NOT_REGISTERED = 'torrent is not registered on this tracker';
const BAD_CLIENT = 'client is not allowed on this tracker';
const BANNED = 'your address is banned from this tracker';
const NOT_ADMITTED = 'your address is not allowed on this tracker';

describe('list hooks end to end', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-e2e-lists-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('deny lists', () => {
    let tracker: Tracker;
    const denied = randomId();
    const fine = randomId();

    before(async () => {
      await writeFile(join(dir, 'dmca.txt'), `# taken down\n${denied.toString('hex')}\n`);
      await writeFile(join(dir, 'bans.txt'), '');
      tracker = await startWith(
        {
          announce: { trustClientIp: true },
          hooks: [
            { type: 'infohash-list', name: 'dmca', mode: 'deny', file: 'dmca.txt' },
            { type: 'client-list', mode: 'deny', entries: ['-XX', 'M7-'] },
            { type: 'ip-list', name: 'bans', mode: 'deny', file: 'bans.txt' },
          ],
        },
        dir,
      );
    });
    after(() => tracker.close());

    it('infohash-list rejects a listed torrent and stores nothing, admits others', async () => {
      await everyWay(async (proto, family) => {
        assert.equal(
          await verdict(tracker, proto, family, { infoHash: denied, peerId: peerId('-AB1000-') }),
          NOT_ALLOWED,
        );
        assert.equal(await stored(tracker, denied), 0);
        const before = await stored(tracker, fine);
        assert.equal(
          await verdict(tracker, proto, family, { infoHash: fine, peerId: peerId('-AB1000-') }),
          'ok',
        );
        assert.equal(await stored(tracker, fine), before + 1);
      });
    });

    it('client-list rejects both peer_id styles by prefix, admits others', async () => {
      await everyWay(async (proto, family) => {
        const ih = randomId();
        for (const id of ['-XX0001-', '-XX2210-', 'M7-2-2--']) {
          assert.equal(
            await verdict(tracker, proto, family, { infoHash: ih, peerId: peerId(id) }),
            BAD_CLIENT,
            id,
          );
        }
        assert.equal(await stored(tracker, ih), 0);
        for (const id of ['-XY0001-', 'M6-2-2--', 'XX-']) {
          assert.equal(
            await verdict(tracker, proto, family, { infoHash: ih, peerId: peerId(id) }),
            'ok',
            id,
          );
        }
      });
    });

    it('ip-list bans take effect at runtime, through the hook and through its store', async () => {
      const bans = tracker.hooks.get('bans') as IPListHook;
      const t = (): { infoHash: Buffer; peerId: Buffer } => ({
        infoHash: randomId(),
        peerId: peerId('-AB1000-'),
      });
      await everyWay(async (proto, family) => {
        assert.equal(await verdict(tracker, proto, family, t()), 'ok');
      });
      await bans.add('::1');
      await everyWay(async (proto, family) => {
        assert.equal(await verdict(tracker, proto, family, t()), family === 6 ? BANNED : 'ok');
      });
      await bans.store.addNetwork({ family: 4, bytes: Buffer.from([127, 0, 0, 0]), prefix: 8 });
      await everyWay(async (proto, family) => {
        assert.equal(await verdict(tracker, proto, family, t()), BANNED);
      });
      assert.equal(await bans.remove('::1'), true);
      assert.equal(await bans.remove('127.0.0.0/8'), true);
      await everyWay(async (proto, family) => {
        assert.equal(await verdict(tracker, proto, family, t()), 'ok');
      });
    });

    it('ip-list also checks the address a client announces for itself', async () => {
      const bans = tracker.hooks.get('bans') as IPListHook;
      await bans.add('10.0.0.0/8');
      try {
        const t = { infoHash: randomId(), peerId: peerId('-AB1000-') };
        assert.equal(await verdict(tracker, 'http', 4, { ...t, ip: '10.1.2.3' }), BANNED);
        assert.equal(await verdict(tracker, 'http', 4, { ...t, ip: '192.0.2.1' }), 'ok');
      } finally {
        await bans.remove('10.0.0.0/8');
      }
    });

    it('a changed list file is followed on reload, and a bad one changes nothing', async () => {
      const dmca = tracker.hooks.get('dmca') as InfoHashListHook;
      const other = randomId();
      await writeFile(join(dir, 'dmca.txt'), `${other.toString('hex')}\n`);
      await writeFile(join(dir, 'bans.txt'), '::1\n');
      assert.deepEqual(await tracker.reload(), []);
      await everyWay(async (proto, family) => {
        const id = peerId('-AB1000-');
        if (family === 6) {
          assert.equal(await verdict(tracker, proto, 6, { infoHash: fine, peerId: id }), BANNED);
          return;
        }
        assert.equal(await verdict(tracker, proto, 4, { infoHash: denied, peerId: id }), 'ok');
        assert.equal(
          await verdict(tracker, proto, 4, { infoHash: other, peerId: id }),
          NOT_ALLOWED,
        );
      });
      await writeFile(join(dir, 'bans.txt'), 'not an address\n');
      assert.deepEqual(await tracker.reload(), ['bans']);
      assert.equal(
        await verdict(tracker, 'udp', 6, { infoHash: fine, peerId: peerId('-AB1000-') }),
        BANNED,
        'the previous list stays in force',
      );
      await writeFile(join(dir, 'bans.txt'), '');
      assert.deepEqual(await tracker.reload(), []);
      assert.equal(await dmca.store.has(other.toString('latin1')), true);
    });
  });

  describe('allow lists', () => {
    let tracker: Tracker;
    const registered = randomId();

    before(async () => {
      tracker = await startWith(
        {
          hooks: [
            { type: 'ip-list', mode: 'allow', entries: ['127.0.0.1'] },
            { type: 'client-list', mode: 'allow', entries: ['-qB', 'T'] },
            { type: 'infohash-list', mode: 'allow', entries: [registered.toString('hex')] },
          ],
        },
        dir,
      );
    });
    after(() => tracker.close());

    it('admit only what is listed, over both protocols', async () => {
      for (const proto of PROTOCOLS) {
        const id = (p: string): Buffer => peerId(p);
        assert.equal(
          await verdict(tracker, proto, 6, { infoHash: registered, peerId: id('-qB4250-') }),
          NOT_ADMITTED,
        );
        assert.equal(
          await verdict(tracker, proto, 4, { infoHash: registered, peerId: id('-TR3000-') }),
          BAD_CLIENT,
        );
        assert.equal(
          await verdict(tracker, proto, 4, { infoHash: randomId(), peerId: id('-qB4250-') }),
          NOT_REGISTERED,
        );
        assert.equal(
          await verdict(tracker, proto, 4, { infoHash: registered, peerId: id('-qB4250-') }),
          'ok',
        );
        assert.equal(
          await verdict(tracker, proto, 4, { infoHash: registered, peerId: id('T03I--00') }),
          'ok',
        );
      }
    });

    it('a torrent or client added at runtime is admitted from the next announce', async () => {
      const ih = randomId();
      const tryIt = (prefix: string): Promise<string> =>
        verdict(tracker, 'udp', 4, { infoHash: ih, peerId: peerId(prefix) });
      assert.equal(await tryIt('-qB4250-'), NOT_REGISTERED);
      await (tracker.hooks.get('infohash-list') as InfoHashListHook).add(ih.toString('hex'));
      assert.equal(await tryIt('-qB4250-'), 'ok');
      assert.equal(await tryIt('-DE13F0-'), BAD_CLIENT);
      await (tracker.hooks.get('client-list') as ClientListHook).store.put('-DE');
      assert.equal(await tryIt('-DE13F0-'), 'ok');
      assert.equal(await stored(tracker, ih), 2);
    });
  });

  it('a bad list file stops the start, naming the hook, file and line', async () => {
    await writeFile(join(dir, 'broken.txt'), '10.0.0.0/8\n10.0.0.0/99\n');
    await assert.rejects(
      startWith({ hooks: [{ type: 'ip-list', mode: 'deny', file: 'broken.txt' }] }, dir),
      /hooks\.0 \(ip-list\): .*broken\.txt:2: bad prefix/,
    );
    await assert.rejects(
      startWith({ hooks: [{ type: 'no-such-hook' }] }, dir),
      /hooks\.0 \(no-such-hook\): unknown hook type "no-such-hook"/,
    );
  });
});
