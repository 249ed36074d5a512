import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createLogger } from '../../log/logger.js';
import type { Network } from '../../bittorrent/cidr.js';
import { maskNetwork, networkContains } from '../../bittorrent/cidr.js';
import { ipStoreDrivers } from '../registry.js';
import { memoryIPs } from './drivers.js';
import { MemoryIPStore } from './memory-ip-store.js';

/** The reference: networks in a list, addresses in a set, `networkContains` over all of them. */
class NaiveIPStore {
  private readonly nets = new Map<string, Network>();
  private readonly ips = new Set<string>();

  private static netKey(net: Network): string {
    const m = maskNetwork(net);
    return `${m.family}/${m.bytes.toString('hex')}/${m.prefix}`;
  }

  addIP(ip: Uint8Array): void {
    this.ips.add(Buffer.from(ip).toString('hex'));
  }

  removeIP(ip: Uint8Array): boolean {
    return this.ips.delete(Buffer.from(ip).toString('hex'));
  }

  addNetwork(net: Network): void {
    this.nets.set(NaiveIPStore.netKey(net), net);
  }

  removeNetwork(net: Network): boolean {
    return this.nets.delete(NaiveIPStore.netKey(net));
  }

  contains(ip: Uint8Array): boolean {
    if (this.ips.has(Buffer.from(ip).toString('hex'))) return true;
    const family = ip.length === 4 ? 4 : 6;
    for (const net of this.nets.values()) if (networkContains(net, ip, family)) return true;
    return false;
  }
}

/** `base` with bit `bit` (0 = the first byte's top bit) inverted; -1 leaves it as it is. */
function flipped(base: Uint8Array, bit: number): Buffer {
  const b = Buffer.from(base);
  if (bit >= 0) b[bit >>> 3]! ^= 0x80 >>> (bit & 7);
  return b;
}

const KINDS = ['addIP', 'removeIP', 'addNetwork', 'removeNetwork', 'contains'] as const;

/**
 * One operation on an address drawn from a small per-run pool, with one bit flipped or not: so
 * networks overlap, nest and repeat, and probes land just inside and just outside them.
 */
const opArb = fc.record({
  kind: fc.constantFrom(...KINDS),
  v6: fc.boolean(),
  base: fc.nat(3),
  flip: fc.integer({ min: -1, max: 127 }),
  prefix: fc.nat(128),
});

const poolArb = (bytes: number) =>
  fc.array(fc.uint8Array({ minLength: bytes, maxLength: bytes }), { minLength: 1, maxLength: 4 });

describe('MemoryIPStore', () => {
  it('agrees with a naive model on random operations over both families', () => {
    fc.assert(
      fc.property(
        poolArb(4),
        poolArb(16),
        fc.array(opArb, { maxLength: 80 }),
        (pool4, pool6, ops) => {
          const store = new MemoryIPStore();
          const model = new NaiveIPStore();
          for (const op of ops) {
            const pool = op.v6 ? pool6 : pool4;
            const bits = op.v6 ? 128 : 32;
            const addr = flipped(pool[op.base % pool.length]!, op.flip % bits);
            const net: Network = {
              family: op.v6 ? 6 : 4,
              bytes: addr,
              prefix: op.prefix % (bits + 1),
            };
            switch (op.kind) {
              case 'addIP':
                store.addIP(addr);
                model.addIP(addr);
                break;
              case 'removeIP':
                assert.equal(store.removeIP(addr), model.removeIP(addr));
                break;
              case 'addNetwork':
                store.addNetwork(net);
                model.addNetwork(net);
                break;
              case 'removeNetwork':
                assert.equal(store.removeNetwork(net), model.removeNetwork(net));
                break;
              case 'contains':
                assert.equal(store.contains(addr), model.contains(addr));
                break;
            }
          }
          // Every pool address and each of its one-bit neighbours.
          for (const [pool, bits] of [
            [pool4, 32],
            [pool6, 128],
          ] as const) {
            for (const base of pool) {
              for (let bit = -1; bit < bits; bit++) {
                const a = flipped(base, bit);
                assert.equal(store.contains(a), model.contains(a), a.toString('hex'));
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws RangeError for an address that is not 4 or 16 bytes', () => {
    const s = new MemoryIPStore();
    for (const n of [0, 3, 5, 6, 15, 17, 20]) {
      const b = new Uint8Array(n);
      assert.throws(() => s.addIP(b), RangeError);
      assert.throws(() => s.removeIP(b), RangeError);
      assert.throws(() => s.contains(b), RangeError);
      assert.throws(() => s.containsAll([b]), RangeError);
      assert.throws(() => s.containsAny([b]), RangeError);
    }
  });

  it('throws RangeError for a network with a bad family, byte count or prefix', () => {
    const s = new MemoryIPStore();
    const bad: Network[] = [
      { family: 4, bytes: Buffer.alloc(16), prefix: 8 },
      { family: 6, bytes: Buffer.alloc(4), prefix: 8 },
      { family: 4, bytes: Buffer.alloc(4), prefix: 33 },
      { family: 6, bytes: Buffer.alloc(16), prefix: 129 },
      { family: 4, bytes: Buffer.alloc(4), prefix: -1 },
      { family: 4, bytes: Buffer.alloc(4), prefix: 1.5 },
      { family: 5 as 4, bytes: Buffer.alloc(4), prefix: 8 },
    ];
    for (const net of bad) {
      assert.throws(() => s.addNetwork(net), RangeError);
      assert.throws(() => s.removeNetwork(net), RangeError);
    }
  });

  it('is the memory ip store driver, which takes no options', async () => {
    const ctx = { namespace: 'test', now: () => 0, log: createLogger('silent') };
    assert.equal(await ipStoreDrivers.get('memory'), memoryIPs);
    assert.ok(memoryIPs.create({}, ctx) instanceof MemoryIPStore);
    assert.throws(() => memoryIPs.create({ size: 1 }, ctx), /takes no options \(got size\)/);
  });
});
