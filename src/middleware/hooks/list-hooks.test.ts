import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnnounceRequest } from '../../bittorrent/announce.js';
import { ClientError } from '../../bittorrent/errors.js';
import { MemoryStringStore } from '../../store/memory/memory-string-store.js';
import { ClientListHook, parseClientPrefix } from './client-list-hook.js';
import { InfoHashListHook, parseInfoHash } from './infohash-list-hook.js';
import { checkListOptions } from './list-hook.js';

function request(infoHashHex: string, peerId: string): AnnounceRequest {
  const req = new AnnounceRequest();
  req.infoHash = Buffer.from(infoHashHex, 'hex');
  req.infoHashKey = req.infoHash.toString('latin1');
  req.peerId = Buffer.from(peerId.padEnd(20, '0'), 'latin1');
  req.peer = Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]);
  req.clientIp = req.peer.subarray(0, 4);
  return req;
}

/** 'ok' when the hook admits the request, else the ClientError's message. */
function verdict(run: () => void | Promise<void>): string {
  try {
    const r = run();
    assert.equal(r, undefined, 'a memory-backed list hook stays synchronous');
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof ClientError, `expected a ClientError, got ${String(err)}`);
    return err.message;
  }
}

const A = 'aa'.repeat(20);
const B = 'bb'.repeat(20);

describe('infohash-list hook', () => {
  it('parses 40 and 64 hex digits to the 20-byte key, rejects anything else', () => {
    assert.equal(parseInfoHash(A), Buffer.from(A, 'hex').toString('latin1'));
    assert.equal(parseInfoHash('CC'.repeat(32)), Buffer.alloc(20, 0xcc).toString('latin1'));
    for (const bad of ['', 'aa', 'zz'.repeat(20), 'aa'.repeat(21), `${A} `]) {
      assert.throws(() => parseInfoHash(bad), RangeError, bad);
    }
  });

  it('deny rejects listed hashes only, and follows runtime changes', async () => {
    const hook = new InfoHashListHook('deny', 'deny', new MemoryStringStore());
    await hook.add(A);
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-AB1000-'))),
      'torrent is not allowed on this tracker',
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(B, '-AB1000-'))),
      'ok',
    );
    assert.equal(await hook.remove(A), true);
    assert.equal(await hook.remove(A), false);
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-AB1000-'))),
      'ok',
    );
    await hook.store.put(Buffer.from(B, 'hex').toString('latin1'));
    assert.equal(
      verdict(() => hook.preAnnounce(request(B, '-AB1000-'))),
      'torrent is not allowed on this tracker',
    );
  });

  it('allow admits listed hashes only', async () => {
    const hook = new InfoHashListHook('allow', 'allow', new MemoryStringStore());
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-AB1000-'))),
      'torrent is not registered on this tracker',
    );
    await hook.add(A.toUpperCase());
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-AB1000-'))),
      'ok',
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(B, '-AB1000-'))),
      'torrent is not registered on this tracker',
    );
  });
});

describe('client-list hook', () => {
  it('accepts 1 to 8 printable characters as a prefix', () => {
    assert.equal(parseClientPrefix('-qB4250-'), '-qB4250-');
    assert.equal(parseClientPrefix('M'), 'M');
    for (const bad of ['', '-qB4250-x', 'a b', '\u00e9', '\t']) {
      assert.throws(() => parseClientPrefix(bad), RangeError, JSON.stringify(bad));
    }
  });

  it('matches Azureus-style and single-letter-style peer ids by prefix', async () => {
    const hook = new ClientListHook('c', 'deny', new MemoryStringStore());
    await hook.add('-XX');
    await hook.add('-qB4250-');
    await hook.add('M7-');
    const denied = 'client is not allowed on this tracker';
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-XX0001-'))),
      denied,
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-XX9999-'))),
      denied,
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-qB4250-'))),
      denied,
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-qB4260-'))),
      'ok',
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, 'M7-2-2--'))),
      denied,
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, 'M6-2-2--'))),
      'ok',
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, 'XX-'))),
      'ok',
    );
  });

  it('allow admits only listed clients', async () => {
    const hook = new ClientListHook('c', 'allow', new MemoryStringStore());
    await hook.add('T');
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, 'T03I--00'))),
      'ok',
    );
    assert.equal(
      verdict(() => hook.preAnnounce(request(A, '-TR3000-'))),
      'client is not allowed on this tracker',
    );
  });
});

describe('list options and files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-lists-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the bad option or entry', () => {
    assert.throws(() => checkListOptions({}, parseInfoHash), /mode/);
    assert.throws(() => checkListOptions({ mode: 'block' }, parseInfoHash), /mode/);
    assert.throws(
      () => checkListOptions({ mode: 'deny', colour: 1 }, parseInfoHash),
      /unknown option: colour/,
    );
    assert.throws(
      () => checkListOptions({ mode: 'deny', entries: [A, 'nope'] }, parseInfoHash),
      /entries\.1: not an info hash/,
    );
    assert.deepEqual(checkListOptions({ mode: 'allow' }, parseInfoHash), {
      mode: 'allow',
      entries: [],
    });
  });

  it('seeds from a file (comments, blanks, CRLF) then from inline entries', async () => {
    await writeFile(join(dir, 'hashes.txt'), `# deny list\r\n\r\n${A}  # a bad torrent\r\n   \n`);
    const hook = new InfoHashListHook('d', 'deny', new MemoryStringStore());
    const n = await hook.seed({ mode: 'deny', file: 'hashes.txt', entries: [B] }, dir);
    assert.equal(n, 2);
    assert.equal(hook.store.count?.(), 2);
  });

  it('reports the file and line of a bad entry, and an unreadable file', async () => {
    await writeFile(join(dir, 'bad.txt'), `${A}\n# fine\nnot-a-hash\n`);
    const hook = new InfoHashListHook('d', 'deny', new MemoryStringStore());
    await assert.rejects(
      hook.seed({ mode: 'deny', file: 'bad.txt', entries: [] }, dir),
      /bad\.txt:3: not an info hash/,
    );
    assert.equal(hook.store.count?.(), 0, 'nothing is added from a file with a bad line');
    await assert.rejects(
      hook.seed({ mode: 'deny', file: 'missing.txt', entries: [] }, dir),
      /cannot read list file .*missing\.txt/,
    );
  });

  it('reload follows the file and keeps runtime and inline entries', async () => {
    const C = 'cc'.repeat(20);
    const D = 'dd'.repeat(20);
    const key = (hex: string): string => Buffer.from(hex, 'hex').toString('latin1');
    const path = join(dir, 'reload.txt');
    await writeFile(path, `${A}\n${B}\n`);
    const hook = new InfoHashListHook('d', 'deny', new MemoryStringStore());
    await hook.seed({ mode: 'deny', file: path, entries: [D] }, dir);
    await hook.add(C); // a runtime change
    await writeFile(path, `${B}\n`);
    assert.equal(await hook.reload(), 1);
    assert.equal(hook.store.has(key(A)), false, 'removed from the file');
    assert.equal(hook.store.has(key(B)), true);
    assert.equal(hook.store.has(key(C)), true, 'runtime entry kept');
    assert.equal(hook.store.has(key(D)), true, 'inline entry kept');
    await writeFile(path, `${A}\nbroken\n`);
    await assert.rejects(hook.reload(), /reload\.txt:2/);
    assert.equal(hook.store.has(key(A)), false, 'a bad file changes nothing');
    assert.equal(hook.store.has(key(B)), true);
  });
});
