import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { kvStoreSuite } from '../suites/kv-store-suite.js';
import { LmdbKvStore } from './lmdb-kv-store.js';
import { TempDirs } from './temp-dirs.js';

const temp = new TempDirs();
after(() => temp.removeAll());

kvStoreSuite({
  name: 'LmdbKvStore conformance',
  create: () => new LmdbKvStore({ path: temp.make('lmdb') }),
});
kvStoreSuite({
  name: 'LmdbKvStore conformance (named database, no sync)',
  create: () => new LmdbKvStore({ path: temp.make('lmdb'), name: 'kv', sync: false }),
});

describe('LmdbKvStore', () => {
  it('keeps values across a reopen', async () => {
    const path = temp.make('lmdb');
    const a = new LmdbKvStore({ path });
    await a.open();
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => a.put(`k${i}`, Buffer.from([i & 255]))),
    );
    await a.close();
    const b = new LmdbKvStore({ path });
    await b.open();
    assert.equal(Buffer.from((await b.get('k999'))!)[0], 999 & 255);
    assert.equal((await b.keys('k')).length, 1000);
    await b.close();
  });
});
