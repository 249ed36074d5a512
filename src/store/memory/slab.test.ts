import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PAGE_SIZE, Slab, offsetOf } from './slab.js';

describe('Slab', () => {
  it('hands out disjoint blocks that keep their contents through any alloc/free order', () => {
    const slab = new Slab();
    const live = new Map<number, { bytes: number; size: number; fill: number }>();
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let step = 0; step < 20000; step++) {
      if (live.size > 0 && rnd(3) === 0) {
        // free a random live block after checking its contents
        const keys = [...live.keys()];
        const h = keys[rnd(keys.length)]!;
        const b = live.get(h)!;
        const page = slab.page(h);
        const off = offsetOf(h);
        for (let i = 0; i < b.size; i += 97) assert.equal(page[off + i], b.fill, 'block intact');
        slab.free(h, b.size);
        live.delete(h);
      } else {
        // mostly small blocks, sometimes one past a quarter page (its own page)
        const bytes = rnd(50) === 0 ? PAGE_SIZE / 4 + 1 + rnd(PAGE_SIZE) : 1 + rnd(3000);
        const size = Slab.blockSize(bytes);
        assert.ok(size >= bytes);
        const h = slab.alloc(size);
        assert.ok(!live.has(h), 'handle not in use');
        const fill = step & 0xff;
        slab.page(h).fill(fill, offsetOf(h), offsetOf(h) + size);
        live.set(h, { bytes, size, fill });
      }
    }
    for (const [h, b] of live) {
      const page = slab.page(h);
      for (let i = 0; i < b.size; i += 31) assert.equal(page[offsetOf(h) + i], b.fill);
      slab.free(h, b.size);
    }
  });

  it('reuses emptied pages and accounts reserved bytes', () => {
    const slab = new Slab();
    const size = Slab.blockSize(1000);
    const hs: number[] = [];
    for (let i = 0; i < 500; i++) hs.push(slab.alloc(size));
    const reserved = slab.bytesReserved;
    assert.ok(reserved >= 500 * size && reserved < 500 * size + 2 * PAGE_SIZE);
    for (const h of hs) slab.free(h, size);
    // Emptied pages are kept as spares: a different class fills them without new memory.
    const other = Slab.blockSize(3000);
    const again: number[] = [];
    for (let i = 0; i < 100; i++) again.push(slab.alloc(other));
    assert.equal(slab.bytesReserved, reserved);
    for (const h of again) slab.free(h, other);
  });
});
