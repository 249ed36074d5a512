import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { kvStoreSuite } from '../suites/kv-store-suite.js';
import { FsKvStore } from './fs-kv-store.js';
import { TempDirs } from './temp-dirs.js';

const temp = new TempDirs();
after(() => temp.removeAll());

kvStoreSuite({
  name: 'FsKvStore conformance',
  create: () => new FsKvStore({ dir: join(temp.make('fs'), 'store') }),
});
kvStoreSuite({
  name: 'FsKvStore conformance (fsync off)',
  create: () => new FsKvStore({ dir: temp.make('fs'), fsync: false }),
});

describe('FsKvStore', () => {
  it('keeps values across a reopen, and names files only with safe characters', async () => {
    const dir = temp.make('fs');
    const a = new FsKvStore({ dir });
    await a.open();
    await a.put('../../escape', Buffer.from('v1'));
    await a.put(Buffer.alloc(300, 0x2f), Buffer.from('long'));
    await a.close();
    const b = new FsKvStore({ dir });
    await b.open();
    assert.equal(Buffer.from((await b.get('../../escape'))!).toString(), 'v1');
    assert.equal(Buffer.from((await b.get(Buffer.alloc(300, 0x2f)))!).toString(), 'long');
    for (const sub of await readdir(dir)) {
      assert.match(sub, /^[0-9a-f]{2}$/);
      for (const name of await readdir(join(dir, sub))) assert.match(name, /^[kh][A-Za-z0-9_-]+$/);
    }
    await b.close();
  });

  it('removes temporary files a crash left, and ignores a corrupt file', async () => {
    const dir = temp.make('fs');
    const a = new FsKvStore({ dir });
    await a.open();
    await a.put('k', Buffer.from('v'));
    await a.close();
    const [sub] = await readdir(dir);
    await writeFile(join(dir, sub!, '.tmp-1-1'), 'half a value');
    const [name] = (await readdir(join(dir, sub!))).filter((n) => n.startsWith('k'));
    const b = new FsKvStore({ dir });
    await b.open();
    assert.deepEqual(
      (await readdir(join(dir, sub!))).filter((n) => n.startsWith('.tmp')),
      [],
    );
    // A file whose header names another key is not this key's value.
    await writeFile(join(dir, sub!, name!), Buffer.from([0, 1, 0x41, 0x42]));
    assert.equal(await b.get('k'), undefined);
    await b.close();
  });
});
