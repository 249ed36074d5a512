import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { kvStoreSuite } from '../suites/kv-store-suite.js';
import { S3KvStore } from './s3-kv-store.js';
import { startLocalS3 } from './s3rver-test-support.js';
import type { LocalS3 } from './s3rver-test-support.js';

// S3 against s3rver (npm, in-process) on 127.0.0.1: nothing to install or skip.
const s3: LocalS3 = await startLocalS3();
after(() => s3.close());

let n = 0;
kvStoreSuite({
  name: 'S3KvStore conformance (s3rver)',
  create: () => new S3KvStore(s3.storeOptions(`case${++n}/`)),
});

describe('S3KvStore', () => {
  let store: S3KvStore;
  before(async () => {
    store = new S3KvStore(s3.storeOptions('own/'));
    await store.open();
  });
  after(() => store.close());

  it('keeps keys of different prefixes apart', async () => {
    const other = new S3KvStore(s3.storeOptions('other/'));
    await other.open();
    await store.put('k', Buffer.from('mine'));
    assert.equal(await other.get('k'), undefined);
    assert.deepEqual(await other.keys(''), []);
    await other.close();
  });

  it('creates a missing bucket when asked, and fails to open without it otherwise', async () => {
    const o = { ...s3.storeOptions(''), bucket: 'made-by-open', timeoutMs: 10_000 };
    await assert.rejects(new S3KvStore(o).open(), { code: 'SHOAL_E_KV_IO' });
    const made = new S3KvStore({ ...o, createBucket: true });
    await made.open();
    await made.put('x', Buffer.from('y'));
    assert.equal(Buffer.from((await made.get('x'))!).toString(), 'y');
    await made.close();
  });

  it('a server that does not answer times out with SHOAL_E_KV_TIMEOUT', async () => {
    // Accepts connections and never answers.
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const dead = new S3KvStore({ ...s3.storeOptions(''), endpoint: `http://127.0.0.1:${port}` });
    await assert.rejects(dead.open({ timeoutMs: 300 }), { code: 'SHOAL_E_KV_TIMEOUT' });
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });
});
