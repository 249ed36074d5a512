import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KvError } from '../kv-error.js';
import { ControlledKvStore } from '../stores/controlled-kv-store.js';
import { LruKvStore } from './lru-kv-store.js';

describe('LruKvStore', () => {
  it('removes the least recently used values from the store it wraps', async () => {
    const store = new ControlledKvStore();
    // Entries of 1-byte key + 99-byte value = 100 bytes; room for 3.
    const lru = new LruKvStore({ store, maxBytes: 300 });
    await lru.open();
    for (const k of ['a', 'b', 'c']) await lru.put(k, Buffer.alloc(99, k));
    assert.equal(lru.bytes, 300);
    await lru.get('a'); // a is now the most recent: b is the least
    await lru.put('d', Buffer.alloc(99, 'd'));
    assert.equal(await lru.get('b'), undefined);
    assert.equal(await store.get('b'), undefined, 'evicted from the wrapped store');
    for (const k of ['a', 'c', 'd']) assert.ok((await store.get(k)) !== undefined, k);
    assert.equal(lru.bytes, 300);
    await lru.del('a');
    assert.equal(lru.bytes, 200);
    await lru.close();
  });

  it('tracks keys that were in the store before, from their first get', async () => {
    const store = new ControlledKvStore();
    await store.open();
    await store.put('old', Buffer.alloc(99));
    const lru = new LruKvStore({ store, maxBytes: 200 });
    await lru.open();
    assert.equal((await lru.get('old'))?.length, 99);
    assert.equal(lru.bytes, 102);
    await lru.put('n1', Buffer.alloc(97));
    await lru.put('n2', Buffer.alloc(97));
    assert.equal(await store.get('old'), undefined);
    await lru.close();
  });

  it('a value bigger than maxBytes is not kept', async () => {
    const store = new ControlledKvStore();
    const lru = new LruKvStore({ store, maxBytes: 10 });
    await lru.open();
    await lru.put('big', Buffer.alloc(100));
    assert.equal(await lru.get('big'), undefined);
    assert.equal(await store.get('big'), undefined);
    await lru.close();
  });

  it('a failed eviction is reported as an error event', async () => {
    class FailingDel extends ControlledKvStore {
      protected override doDel(): Promise<void> {
        return Promise.reject(new Error('cannot delete'));
      }
    }
    const lru = new LruKvStore({ store: new FailingDel(), maxBytes: 100 });
    const errors: KvError[] = [];
    lru.on('error', (e: KvError) => errors.push(e));
    await lru.open();
    await lru.put('a', Buffer.alloc(90));
    await lru.put('b', Buffer.alloc(90));
    await lru.get('b');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'SHOAL_E_KV_BACKGROUND');
    await lru.close();
  });

  it('rejects a bad maxBytes', () => {
    assert.throws(() => new LruKvStore({ store: new ControlledKvStore(), maxBytes: 0 }), {
      code: 'SHOAL_E_KV_OPTIONS',
    });
  });
});
