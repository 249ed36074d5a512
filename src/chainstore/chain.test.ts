import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChainKvStore } from './chain.js';
import type { KvError } from './kv-error.js';
import { ControlledKvStore } from './stores/controlled-kv-store.js';
import { MemoryKvStore } from './stores/memory-kv-store.js';

const text = (v: Uint8Array | undefined): string | undefined =>
  v === undefined ? undefined : Buffer.from(v).toString();

async function chainOf(n: number, opts: { hashKeys?: boolean } = {}) {
  const stores = Array.from({ length: n }, () => new ControlledKvStore());
  const chain = new ChainKvStore({ stores, ...opts });
  await chain.open();
  return { stores, chain };
}

describe('ChainKvStore', () => {
  it('put writes the first store before resolving and the others in the background', async () => {
    const { stores, chain } = await chainOf(3);
    await chain.put('k', Buffer.from('v'));
    assert.equal(text(await stores[0]!.get('k')), 'v');
    await chain.flush();
    assert.equal(text(await stores[1]!.get('k')), 'v');
    assert.equal(text(await stores[2]!.get('k')), 'v');
    await chain.close();
  });

  it('a failed background write is reported as an error event and to onError', async () => {
    const top = new ControlledKvStore();
    const bottom = new ControlledKvStore();
    const seen: KvError[] = [];
    const chain = new ChainKvStore({ stores: [top, bottom], onError: (e) => seen.push(e) });
    const events: KvError[] = [];
    chain.on('error', (e: KvError) => events.push(e));
    await chain.open();
    bottom.failPuts = new Error('disk full');
    await chain.put('k', Buffer.from('v')); // resolves: the first store has it
    await chain.flush();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.code, 'SHOAL_E_KV_BACKGROUND');
    assert.match(events[0]!.message, /store 1 \(memory\).*disk full/);
    assert.equal((events[0]!.cause as { cause?: Error }).cause?.message, 'disk full');
    assert.deepEqual(seen, events);
    assert.equal(chain.backgroundErrors, 1);
    await chain.close();
  });

  it('a failed background write with no listener becomes a process warning, not a crash', async () => {
    const bottom = new ControlledKvStore();
    const chain = new ChainKvStore({ stores: [new MemoryKvStore(), bottom] });
    await chain.open();
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    bottom.failPuts = new Error('gone');
    await chain.put('k', Buffer.from('v'));
    const w = await warned;
    assert.match(w.message, /SHOAL_E_KV_BACKGROUND/);
    await chain.close();
  });

  it('a failed first store fails the put, and nothing is written below', async () => {
    const { stores, chain } = await chainOf(2);
    stores[0]!.failPuts = new Error('top broken');
    await assert.rejects(chain.put('k', Buffer.from('v')), { code: 'SHOAL_E_KV_IO' });
    await chain.flush();
    assert.equal(await stores[1]!.get('k'), undefined);
    await chain.close();
  });

  it('get walks down and back-fills the stores above the one that had the value', async () => {
    const { stores, chain } = await chainOf(3);
    await stores[2]!.put('deep', Buffer.from('found'));
    assert.equal(text(await chain.get('deep')), 'found');
    await chain.flush();
    assert.equal(text(await stores[0]!.get('deep')), 'found');
    assert.equal(text(await stores[1]!.get('deep')), 'found');
    const below = stores[2]!.gets;
    assert.equal(text(await chain.get('deep')), 'found');
    assert.equal(stores[2]!.gets, below, 'the second get stops at the first store');
    await stores[1]!.put('mid', Buffer.from('m'));
    assert.equal(text(await chain.get('mid')), 'm');
    await chain.flush();
    assert.equal(text(await stores[0]!.get('mid')), 'm');
    assert.equal(await stores[2]!.get('mid'), undefined, 'back-fill goes up, never down');
    assert.equal(await chain.get('nowhere'), undefined);
    await chain.close();
  });

  it('del removes the key from every store, after the background writes of that key', async () => {
    const { stores, chain } = await chainOf(3);
    await chain.put('k', Buffer.from('v'));
    await chain.del('k'); // background puts still queued: del must wait for them
    await chain.flush();
    for (const s of stores) assert.equal(await s.get('k'), undefined);
    assert.equal(await chain.get('k'), undefined);
    await chain.close();
  });

  it('background writes of one key land in order: the last put wins below', async () => {
    const { stores, chain } = await chainOf(2);
    for (let i = 0; i < 50; i++) await chain.put('k', Buffer.from(String(i)));
    await chain.flush();
    assert.equal(text(await stores[1]!.get('k')), '49');
    await chain.close();
  });

  it('hashKeys stores the SHA-256 of the key and has no keys()', async () => {
    const { stores, chain } = await chainOf(2, { hashKeys: true });
    await chain.put('some key', Buffer.from('v'));
    await chain.flush();
    const digest = createHash('sha256').update('some key').digest();
    assert.equal(text(await stores[1]!.get(digest)), 'v');
    assert.equal(await stores[1]!.get('some key'), undefined);
    assert.equal(text(await chain.get('some key')), 'v');
    assert.equal(chain.keys, undefined);
    await chain.del('some key');
    assert.equal(await stores[0]!.get(digest), undefined);
    await chain.close();
  });

  it('keys() is the union over the stores', async () => {
    const { stores, chain } = await chainOf(2);
    await stores[0]!.put('p/top', Buffer.from('1'));
    await stores[1]!.put('p/bottom', Buffer.from('2'));
    await chain.put('p/both', Buffer.from('3'));
    const keys = (await chain.keys!('p/')).map((k) => Buffer.from(k).toString()).sort();
    assert.deepEqual(keys, ['p/both', 'p/bottom', 'p/top']);
    await chain.close();
  });

  it('a store that hangs makes the chain operation time out with SHOAL_E_KV_TIMEOUT', async () => {
    const { stores, chain } = await chainOf(2);
    stores[0]!.hangGets = true;
    await assert.rejects(chain.get('k', { timeoutMs: 50 }), { code: 'SHOAL_E_KV_TIMEOUT' });
    const ac = new AbortController();
    const p = chain.get('k', { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, { code: 'SHOAL_E_KV_ABORTED' });
    const slow = new ChainKvStore({ stores: [stores[0]!], timeoutMs: 30 });
    await assert.rejects(
      slow.open().then(() => slow.get('k')),
      { code: 'SHOAL_E_KV_TIMEOUT' },
    );
    stores[0]!.hangGets = false;
    await chain.close();
  });

  it('refuses an empty chain', () => {
    assert.throws(() => new ChainKvStore({ stores: [] }), { code: 'SHOAL_E_KV_OPTIONS' });
  });
});
