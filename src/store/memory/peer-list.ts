/**
 * The peers of one swarm and one address family, in one growable byte array of compact records
 * (6 bytes IPv4, 18 bytes IPv6) plus a parallel array of last-seen ticks.
 *
 * Layout: seeders occupy records [0, seeders), leechers [seeders, count); each region is kept
 * sorted by its bytes so a peer is found by binary search. A seeder's reply is a contiguous run
 * of the leecher region and a leecher's a contiguous run of the whole array, so peer selection
 * is one or two memcpy's into the reply, with nothing allocated per peer. Insert and delete
 * move the tail with copyWithin (memmove), which is cheap at swarm sizes trackers see.
 * Peers are keyed by their endpoint (address + port), as opentracker does: this is what other
 * peers connect to, and it keeps a peer at 8 bytes (IPv4) instead of carrying a 20-byte peer id.
 */
export class PeerList {
  readonly recSize: number;
  seeders = 0;
  count = 0;
  data: Buffer;
  /** Last-seen time in seconds, modulo 2^16 (see MemoryPeerStore for the wrap-around bound). */
  times: Uint16Array;

  constructor(recSize: number, capacity = 2) {
    this.recSize = recSize;
    this.data = Buffer.alloc(capacity * recSize);
    this.times = new Uint16Array(capacity);
  }

  get leechers(): number {
    return this.count - this.seeders;
  }

  /** Compares record `i` with `key`: negative, zero or positive. */
  private cmp(i: number, key: Uint8Array): number {
    const d = this.data;
    const rs = this.recSize;
    let o = i * rs;
    for (let k = 0; k < rs; k++, o++) {
      const diff = d[o]! - key[k]!;
      if (diff !== 0) return diff;
    }
    return 0;
  }

  /**
   * Binary search in records [lo, hi). Returns the index of `key`, or `-(insertion point) - 1`.
   */
  search(key: Uint8Array, lo: number, hi: number): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.cmp(mid, key);
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid;
      else return mid;
    }
    return -lo - 1;
  }

  private grow(): void {
    const cap = this.times.length;
    const next = cap < 8 ? cap * 2 : cap + (cap >>> 1);
    const data = Buffer.alloc(next * this.recSize);
    this.data.copy(data, 0, 0, this.count * this.recSize);
    const times = new Uint16Array(next);
    times.set(this.times.subarray(0, this.count));
    this.data = data;
    this.times = times;
  }

  private shrinkIfSparse(): void {
    const cap = this.times.length;
    if (cap <= 8 || this.count > cap >>> 2) return;
    const next = Math.max(4, this.count * 2);
    const data = Buffer.alloc(next * this.recSize);
    this.data.copy(data, 0, 0, this.count * this.recSize);
    this.data = data;
    this.times = this.times.slice(0, next);
  }

  /** Inserts `key` at record index `at`, shifting the tail. */
  insertAt(at: number, key: Uint8Array, tick: number): void {
    if (this.count === this.times.length) this.grow();
    const rs = this.recSize;
    const d = this.data;
    if (at < this.count) {
      d.copyWithin((at + 1) * rs, at * rs, this.count * rs);
      this.times.copyWithin(at + 1, at, this.count);
    }
    d.set(key, at * rs);
    this.times[at] = tick;
    this.count++;
  }

  /** Removes record `at`, shifting the tail. */
  removeAt(at: number): void {
    const rs = this.recSize;
    if (at < this.count - 1) {
      this.data.copyWithin(at * rs, (at + 1) * rs, this.count * rs);
      this.times.copyWithin(at, at + 1, this.count);
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
    out: Uint8Array,
    outOff: number,
  ): number {
    const avail = hi - lo - (skip >= lo && skip < hi ? 1 : 0);
    let k = want < avail ? want : avail;
    if (k <= 0) return 0;
    const total = k;
    const rs = this.recSize;
    const d = this.data;
    let i = lo + Math.floor(Math.random() * (hi - lo));
    while (k > 0) {
      if (i === skip) i++;
      if (i >= hi) i = lo;
      if (i === skip) i++;
      let end = i + k;
      if (end > hi) end = hi;
      if (skip >= i && skip < end) end = skip;
      const n = end - i;
      d.copy(out, outOff, i * rs, end * rs);
      outOff += n * rs;
      k -= n;
      i = end;
    }
    return total;
  }

  /**
   * Drops records whose age (now - tick, modulo 2^16) is at least `lifetime` seconds, keeping
   * both regions sorted. Returns the number removed.
   */
  expire(nowTick: number, lifetime: number): number {
    const rs = this.recSize;
    const d = this.data;
    const t = this.times;
    let w = 0;
    let seeders = 0;
    for (let r = 0; r < this.count; r++) {
      if (((nowTick - t[r]!) & 0xffff) >= lifetime) continue;
      if (r < this.seeders) seeders++;
      if (w !== r) {
        d.copyWithin(w * rs, r * rs, (r + 1) * rs);
        t[w] = t[r]!;
      }
      w++;
    }
    const removed = this.count - w;
    this.count = w;
    this.seeders = seeders;
    if (removed > 0) this.shrinkIfSparse();
    return removed;
  }
}
