import assert from 'node:assert/strict';
import type { KvStore } from '../kv-store.js';
import { KV_MAX_KEY_BYTES } from '../kv-store.js';
import type { StoreSuiteOptions, SuiteCase } from '../../store/suites/suite-support.js';
import { runCases } from '../../store/suites/suite-support.js';

/**
 * Options of `kvStoreSuite`: `create` returns a new, empty store that is NOT yet open (each
 * case opens it).
 */
export type KvStoreSuiteOptions = StoreSuiteOptions<KvStore>;

function bytes(...b: number[]): Uint8Array {
  return Uint8Array.from(b);
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: { code?: string }) => {
    assert.equal(err.code, code);
    return true;
  });
}

function hex(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : Buffer.from(b).toString('hex');
}

/** Keys found by `keys(prefix)`, as sorted hex. */
async function listed(s: KvStore, prefix: string | Uint8Array): Promise<string[]> {
  const keys = await s.keys!(prefix);
  return keys.map((k) => Buffer.from(k).toString('hex')).sort();
}

const CASES: SuiteCase<KvStore>[] = [
  {
    key: 'put-get-del',
    title: 'a value is there from put until del',
    async run(s) {
      await s.open();
      assert.equal(await s.get('a'), undefined);
      await s.put('a', bytes(1, 2, 3));
      assert.equal(hex(await s.get('a')), '010203');
      await s.del('a');
      assert.equal(await s.get('a'), undefined);
    },
  },
  {
    key: 'overwrite',
    title: 'a put replaces the previous value, of any length',
    async run(s) {
      await s.open();
      await s.put('k', Buffer.alloc(1000, 7));
      await s.put('k', bytes(9));
      assert.equal(hex(await s.get('k')), '09');
      await s.put('k', Buffer.alloc(3000, 8));
      assert.deepEqual(Buffer.from((await s.get('k'))!), Buffer.alloc(3000, 8));
    },
  },
  {
    key: 'del-absent',
    title: 'deleting an absent key is not an error and changes nothing else',
    async run(s) {
      await s.open();
      await s.put('x', bytes(1));
      await s.del('nothing here');
      await s.del('nothing here');
      assert.equal(hex(await s.get('x')), '01');
    },
  },
  {
    key: 'values',
    title: 'values round-trip exactly: empty, every byte, 1 MiB',
    async run(s) {
      await s.open();
      await s.put('empty', new Uint8Array(0));
      const empty = await s.get('empty');
      assert.ok(empty !== undefined, 'an empty value is a value, not an absent one');
      assert.equal(empty.length, 0);
      const every = Buffer.alloc(256);
      for (let i = 0; i < 256; i++) every[i] = i;
      await s.put('every', every);
      assert.deepEqual(Buffer.from((await s.get('every'))!), every);
      const big = Buffer.alloc(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
      await s.put('big', big);
      assert.ok(Buffer.from((await s.get('big'))!).equals(big));
    },
  },
  {
    key: 'keys-any-bytes',
    title: 'keys are any bytes: NUL, 0xFF, slashes, dots, Unicode, the longest allowed',
    async run(s) {
      await s.open();
      const keys: (string | Uint8Array)[] = [
        bytes(0),
        bytes(0, 0),
        bytes(0xff),
        bytes(0xff, 0xfe, 0),
        '/',
        '..',
        '../../etc/passwd',
        'a/b\\c:d*e?f"g<h>i|j',
        'CON',
        'Bäume 🌳 木',
        '.tmp-1-1',
        'x'.repeat(KV_MAX_KEY_BYTES),
        Buffer.alloc(KV_MAX_KEY_BYTES, 0xff),
      ];
      for (let i = 0; i < keys.length; i++) await s.put(keys[i]!, bytes(i));
      for (let i = 0; i < keys.length; i++) {
        assert.equal(hex(await s.get(keys[i]!)), Buffer.of(i).toString('hex'), `key ${i}`);
      }
      for (const k of keys) await s.del(k);
      for (const k of keys) assert.equal(await s.get(k), undefined);
    },
  },
  {
    key: 'string-is-utf8',
    title: 'a string key and the bytes of its UTF-8 are the same key; case matters',
    async run(s) {
      await s.open();
      await s.put('é', bytes(1));
      assert.equal(hex(await s.get(bytes(0xc3, 0xa9))), '01');
      await s.put(Buffer.from('key'), bytes(2));
      assert.equal(hex(await s.get('key')), '02');
      assert.equal(await s.get('KEY'), undefined);
      await s.del(bytes(0xc3, 0xa9));
      assert.equal(await s.get('é'), undefined);
    },
  },
  {
    key: 'bad-keys',
    title: 'an empty, too long or ill-formed key rejects with SHOAL_E_KV_KEY',
    async run(s) {
      await s.open();
      await rejectsWith(s.put('', bytes(1)), 'SHOAL_E_KV_KEY');
      await rejectsWith(s.get(new Uint8Array(0)), 'SHOAL_E_KV_KEY');
      await rejectsWith(s.del('x'.repeat(KV_MAX_KEY_BYTES + 1)), 'SHOAL_E_KV_KEY');
      await rejectsWith(s.put('\ud800', bytes(1)), 'SHOAL_E_KV_KEY');
    },
  },
  {
    key: 'copies',
    title: 'the store keeps its own copy of a value',
    async run(s) {
      await s.open();
      const v = Buffer.from([1, 2, 3]);
      await s.put('c', v);
      v[0] = 99;
      const got = await s.get('c');
      assert.equal(hex(got), '010203');
      got![1] = 99;
      assert.equal(hex(await s.get('c')), '010203');
    },
  },
  {
    key: 'concurrent',
    title: 'many operations in flight at once all land',
    async run(s) {
      await s.open();
      const n = 200;
      await Promise.all(
        Array.from({ length: n }, (_, i) => s.put(`c${i}`, Buffer.from(String(i)))),
      );
      const got = await Promise.all(Array.from({ length: n }, (_, i) => s.get(`c${i}`)));
      got.forEach((v, i) => assert.equal(Buffer.from(v!).toString(), String(i)));
      await Promise.all(
        Array.from({ length: n }, (_, i) => (i % 2 === 0 ? s.del(`c${i}`) : Promise.resolve())),
      );
      for (let i = 0; i < n; i++) {
        assert.equal((await s.get(`c${i}`)) === undefined, i % 2 === 0, `c${i}`);
      }
    },
  },
  {
    key: 'keys',
    title: 'keys(prefix) lists exactly the keys starting with the prefix, when supported',
    async run(s, t) {
      if (typeof s.keys !== 'function') {
        t.skip('the store does not list keys (optional capability)');
        return;
      }
      await s.open();
      await s.put('list/a', bytes(1));
      await s.put('list/b', bytes(2));
      await s.put(Buffer.concat([Buffer.from('list/'), Buffer.of(0, 0xff)]), bytes(3));
      await s.put('lis', bytes(4));
      await s.put('other', bytes(5));
      await s.put('L'.repeat(KV_MAX_KEY_BYTES), bytes(6));
      const h = (x: string | Uint8Array): string => Buffer.from(x).toString('hex');
      assert.deepEqual(
        await listed(s, 'list/'),
        [h('list/a'), h('list/b'), h(Buffer.from('list/\0\xff', 'latin1'))].sort(),
      );
      await s.del('list/a');
      assert.deepEqual(
        await listed(s, 'list/'),
        [h('list/b'), h(Buffer.from('list/\0\xff', 'latin1'))].sort(),
      );
      assert.deepEqual(await listed(s, 'L'), [h('L'.repeat(KV_MAX_KEY_BYTES))]);
      assert.deepEqual(await listed(s, 'nothing'), []);
      assert.equal((await listed(s, '')).length, 5);
    },
  },
  {
    key: 'abort',
    title: 'an aborted signal rejects with SHOAL_E_KV_ABORTED',
    async run(s) {
      await s.open();
      const signal = AbortSignal.abort();
      await rejectsWith(s.put('a', bytes(1), { signal }), 'SHOAL_E_KV_ABORTED');
      await rejectsWith(s.get('a', { signal }), 'SHOAL_E_KV_ABORTED');
      await rejectsWith(s.del('a', { signal }), 'SHOAL_E_KV_ABORTED');
      // A live signal and a generous timeout change nothing.
      const ok = { signal: new AbortController().signal, timeoutMs: 30_000 };
      await s.put('a', bytes(1), ok);
      assert.equal(hex(await s.get('a', ok)), '01');
      await s.del('a', ok);
    },
  },
  {
    key: 'lifecycle',
    title: 'operations reject with SHOAL_E_KV_CLOSED before open and after close',
    closes: true,
    async run(s) {
      await rejectsWith(s.get('a'), 'SHOAL_E_KV_CLOSED');
      await s.open();
      await s.open();
      await s.put('a', bytes(1));
      await s.close();
      await rejectsWith(s.get('a'), 'SHOAL_E_KV_CLOSED');
      await rejectsWith(s.put('a', bytes(1)), 'SHOAL_E_KV_CLOSED');
      await s.close();
    },
  },
];

/**
 * The chain store conformance suite (node:test): every documented behaviour of KvStore, each
 * case on a fresh store from `create()` (not yet open). A store that cannot list keys gets its
 * `keys` case skipped with that reason.
 */
export function kvStoreSuite(opts: KvStoreSuiteOptions): void {
  runCases('KvStore conformance', opts, CASES);
}
