import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipStoreDrivers, peerStoreDrivers, stringStoreDrivers } from '../registry.js';
import type { StringStore } from '../string-store.js';
import type { BenchInfo, BenchResult } from './bench-runner.js';
import { ipStoreBench, ipStoreBenchmarks } from './ip-store-bench.js';
import { peerStoreBench, peerStoreBenchmarks } from './peer-store-bench.js';
import { stringStoreBench, stringStoreBenchmarks } from './string-store-bench.js';

// Harness correctness only: every benchmark runs and counts operations. No timing is asserted.
const durationMs = 5;

function assertAllRan(results: readonly BenchResult[], listed: readonly BenchInfo[]): void {
  assert.deepEqual(
    results.map((r) => r.name),
    listed.map((b) => b.name),
  );
  for (const r of results) {
    assert.ok(r.ops > 0, `${r.name}: no operations`);
    assert.ok(r.opsPerSec > 0 && Number.isFinite(r.opsPerSec), `${r.name}: ops/s ${r.opsPerSec}`);
    assert.ok(r.nsPerOp > 0 && Number.isFinite(r.nsPerOp), `${r.name}: ns/op ${r.nsPerOp}`);
  }
}

/**
 * A StringStore whose every call returns a promise. It counts the calls and notes a `has` or
 * `remove` (the timed calls) made while an earlier call is still pending.
 */
class AsyncStringStore implements StringStore {
  private readonly set = new Set<string>();
  private pending = 0;
  overlaps = 0;
  puts = 0;
  removes = 0;
  closed = false;

  private later<T>(v: T): Promise<T> {
    this.pending++;
    return Promise.resolve().then(() => {
      this.pending--;
      return v;
    });
  }

  put(value: string): Promise<void> {
    this.puts++;
    this.set.add(value);
    return this.later(undefined);
  }

  has(value: string): Promise<boolean> {
    if (this.pending > 0) this.overlaps++;
    return this.later(this.set.has(value));
  }

  remove(value: string): Promise<boolean> {
    if (this.pending > 0) this.overlaps++;
    this.removes++;
    return this.later(this.set.delete(value));
  }

  get idle(): boolean {
    return this.pending === 0;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

describe('store benchmark suites', () => {
  it('peerStoreBench runs every benchmark on the memory driver', async () => {
    const driver = await peerStoreDrivers.get('memory');
    const namespaces: string[] = [];
    const results = await peerStoreBench({
      create: (ctx) => {
        namespaces.push(ctx.namespace);
        assert.equal(ctx.peerLifetime, 2700);
        assert.equal(ctx.maxNumWant, 200);
        assert.equal(ctx.now(), 1_000_000);
        return driver.create({ sweepInterval: 0 }, ctx);
      },
      durationMs,
      swarmPeers: 20,
    });
    assertAllRan(results, peerStoreBenchmarks);
    assert.equal(new Set(namespaces).size, peerStoreBenchmarks.length, 'one namespace each');
  });

  it('stringStoreBench runs every benchmark on the memory driver', async () => {
    const driver = await stringStoreDrivers.get('memory');
    const results = await stringStoreBench({ create: (ctx) => driver.create({}, ctx), durationMs });
    assertAllRan(results, stringStoreBenchmarks);
  });

  it(
    'ipStoreBench runs every benchmark on the memory driver',
    { skip: ipStoreDrivers.has('memory') ? false : 'no memory IPStore driver registered' },
    async () => {
      const driver = await ipStoreDrivers.get('memory');
      const results = await ipStoreBench({
        create: (ctx) => driver.create({}, ctx),
        durationMs,
        networks: 1000,
      });
      assertAllRan(results, ipStoreBenchmarks);
    },
  );

  it('awaits an async driver one operation at a time, and disposes each store', async () => {
    const stores: AsyncStringStore[] = [];
    const disposed: AsyncStringStore[] = [];
    const seen: string[] = [];
    const results = await stringStoreBench({
      create: () => {
        const s = new AsyncStringStore();
        stores.push(s);
        return s;
      },
      dispose: (s) => {
        disposed.push(s as AsyncStringStore);
      },
      only: /^(Has|RemovePut1k)$/,
      durationMs,
      onResult: (r) => seen.push(r.name),
    });
    assert.deepEqual(seen, ['Has', 'RemovePut1k']);
    assert.deepEqual(
      results.map((r) => r.name),
      seen,
    );
    assert.deepEqual(disposed, stores);
    for (const s of stores) {
      assert.equal(s.closed, false, 'dispose replaces close');
      assert.equal(s.overlaps, 0, 'each timed call starts after the previous one settled');
      assert.ok(s.idle);
    }
    // RemovePut1k: the 1000 puts of the setup, then one put after each remove.
    const rp = stores[1]!;
    assert.ok(rp.removes >= results[1]!.ops);
    assert.equal(rp.puts, 1000 + rp.removes);
  });

  it('runs one suite at a time', async () => {
    const create = (): StringStore => new AsyncStringStore();
    const first = stringStoreBench({ create, durationMs, only: /^Put$/ });
    await assert.rejects(stringStoreBench({ create, durationMs }), /already running/);
    assert.equal((await first).length, 1);
    assert.equal((await stringStoreBench({ create, durationMs, only: /^Put$/ })).length, 1);
  });

  it('rejects a bad duration', async () => {
    await assert.rejects(
      stringStoreBench({ create: () => new AsyncStringStore(), durationMs: 0 }),
      RangeError,
    );
  });
});
