import { Slab, offsetOf } from './slab.js';

/**
 * The peers of one swarm and one address family: one slab block holding `cap` compact records
 * (6 bytes IPv4, 18 bytes IPv6) followed by `cap` one-byte last-seen ticks.
 *
 * Layout: seeders occupy records [0, seeders), leechers [seeders, count); each region is kept
 * sorted by its bytes so a peer is found by binary search. A seeder's reply is a contiguous run
 * of the leecher region and a leecher's a contiguous run of the whole array, so peer selection
 * is one or two memcpy's into the reply, with nothing allocated per peer. Insert and delete
 * move the tail with copyWithin (memmove), which is cheap at swarm sizes trackers see.
 * Peers are keyed by their endpoint (address + port), as opentracker does: this is what other
 * peers connect to, and it keeps an IPv4 peer at 7 bytes instead of carrying a 20-byte peer id.
 */
export class PeerList {
  readonly slab: Slab;
  readonly recSize: number;
  seeders = 0;
  count = 0;
  cap: number;
  handle: number;
  /** Size of the block, which is what the slab frees by. */
  blockBytes: number;
  /** The page holding the block, and the block's offset in it. */
  buf: Buffer;
  base: number;

  constructor(slab: Slab, recSize: number) {
    this.slab = slab;
    this.recSize = recSize;
    this.blockBytes = Slab.blockSize(recSize + 1);
    this.cap = Math.floor(this.blockBytes / (recSize + 1));
    this.handle = slab.alloc(this.blockBytes);
    this.buf = slab.page(this.handle);
    this.base = offsetOf(this.handle);
  }

  get leechers(): number {
    return this.count - this.seeders;
  }

  /** Byte offset of the tick of record `i`. */
  tickAt(i: number): number {
    return this.base + this.cap * this.recSize + i;
  }

  /** Binary search in records [lo, hi): the index of `key`, or `-(insertion point) - 1`. */
  search(key: Uint8Array, lo: number, hi: number): number {
    const d = this.buf;
    const rs = this.recSize;
    const base = this.base;
    if (rs === 6) {
      // IPv4, the common case: compare as (address, port) numbers instead of byte by byte.
      const ka = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0;
      const kp = (key[4]! << 8) | key[5]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const o = base + mid * 6;
        const a = ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
        const c = a !== ka ? a - ka : ((d[o + 4]! << 8) | d[o + 5]!) - kp;
        if (c < 0) lo = mid + 1;
        else if (c > 0) hi = mid;
        else return mid;
      }
      return -lo - 1;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      let o = base + mid * rs;
      let c = 0;
      for (let k = 0; k < rs; k++, o++) {
        c = d[o]! - key[k]!;
        if (c !== 0) break;
      }
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid;
      else return mid;
    }
    return -lo - 1;
  }

  /** Moves the records and ticks into a block for at least `n` records. */
  private resize(n: number): void {
    const rs = this.recSize;
    const blockBytes = Slab.blockSize(n * (rs + 1));
    const cap = Math.floor(blockBytes / (rs + 1));
    const handle = this.slab.alloc(blockBytes);
    const buf = this.slab.page(handle);
    const base = offsetOf(handle);
    this.buf.copy(buf, base, this.base, this.base + this.count * rs);
    const oldTicks = this.base + this.cap * rs;
    this.buf.copy(buf, base + cap * rs, oldTicks, oldTicks + this.count);
    this.slab.free(this.handle, this.blockBytes);
    this.blockBytes = blockBytes;
    this.handle = handle;
    this.buf = buf;
    this.base = base;
    this.cap = cap;
  }

  private shrinkIfSparse(): void {
    if (this.cap > 8 && this.count < this.cap >>> 2) {
      this.resize(this.count * 2);
    }
  }

  /** Inserts `key` at record index `at`, shifting the tail. */
  insertAt(at: number, key: Uint8Array, tick: number): void {
    if (this.count === this.cap) this.resize(this.count + 1);
    const rs = this.recSize;
    const d = this.buf;
    const ticks = this.base + this.cap * rs;
    if (at < this.count) {
      d.copyWithin(this.base + (at + 1) * rs, this.base + at * rs, this.base + this.count * rs);
      d.copyWithin(ticks + at + 1, ticks + at, ticks + this.count);
    }
    d.set(key, this.base + at * rs);
    d[ticks + at] = tick;
    this.count++;
  }

  /** Removes record `at`, shifting the tail. */
  removeAt(at: number): void {
    const rs = this.recSize;
    const d = this.buf;
    if (at < this.count - 1) {
      const ticks = this.base + this.cap * rs;
      d.copyWithin(this.base + at * rs, this.base + (at + 1) * rs, this.base + this.count * rs);
      d.copyWithin(ticks + at, ticks + at + 1, ticks + this.count);
    }
    this.count--;
    if (at < this.seeders) this.seeders--;
    this.shrinkIfSparse();
  }

  /** Adds a seeder not present; returns its index. */
  insertSeeder(key: Uint8Array, tick: number): number {
    const at = -this.search(key, 0, this.seeders) - 1;
    this.insertAt(at, key, tick);
    this.seeders++;
    return at;
  }

  /** Adds a leecher not present; returns its index. */
  insertLeecher(key: Uint8Array, tick: number): number {
    const at = -this.search(key, this.seeders, this.count) - 1;
    this.insertAt(at, key, tick);
    return at;
  }

  /**
   * Copies up to `want` records from [lo, hi) into `out` at byte `outOff`, starting at a random
   * record and wrapping around, never the record at `skip` (-1: none). Returns records copied.
   */
  copyRandomRun(
    lo: number,
    hi: number,
    skip: number,
    want: number,
    out: Buffer,
    outOff: number,
  ): number {
    const avail = hi - lo - (skip >= lo && skip < hi ? 1 : 0);
    let k = want < avail ? want : avail;
    if (k <= 0) return 0;
    const total = k;
    const rs = this.recSize;
    const base = this.base;
    let i = lo + Math.floor(Math.random() * (hi - lo));
    while (k > 0) {
      if (i === skip) i++;
      if (i >= hi) i = lo;
      if (i === skip) i++;
      let end = i + k;
      if (end > hi) end = hi;
      if (skip >= i && skip < end) end = skip;
      const n = end - i;
      this.buf.copy(out, outOff, base + i * rs, base + end * rs);
      outOff += n * rs;
      k -= n;
      i = end;
    }
    return total;
  }

  /**
   * Drops records whose tick, counted from `startTick` (modulo 256), is at most `cutoff`, keeping
   * both regions sorted: the caller knows every tick lies in the 256-tick window from
   * `startTick`, and `cutoff` is the last offset in it that is expired (below 0: none; 255 or
   * more: all). Returns the number removed.
   */
  expire(startTick: number, cutoff: number): number {
    const rs = this.recSize;
    const d = this.buf;
    const base = this.base;
    const ticks = base + this.cap * rs;
    let w = 0;
    let seeders = 0;
    for (let r = 0; r < this.count; r++) {
      if (((d[ticks + r]! - startTick) & 0xff) <= cutoff) continue;
      if (r < this.seeders) seeders++;
      if (w !== r) {
        d.copyWithin(base + w * rs, base + r * rs, base + (r + 1) * rs);
        d[ticks + w] = d[ticks + r]!;
      }
      w++;
    }
    const removed = this.count - w;
    this.count = w;
    this.seeders = seeders;
    if (removed > 0) this.shrinkIfSparse();
    return removed;
  }

  /** Returns the block to the slab; the list must not be used afterwards. */
  release(): void {
    this.slab.free(this.handle, this.blockBytes);
    this.count = this.seeders = this.cap = 0;
  }
}
