/**
 * A slab allocator for peer arrays: blocks carved from 64 KiB pages, each page holding blocks
 * of one size class and keeping its own free list and live count. Hand-written because memory
 * per peer is one of the tracker's numbers: a typed array per swarm costs a few hundred bytes of
 * object and malloc overhead, and growing arrays through malloc fragments the heap until RSS is
 * several times the live data. Here a block is a byte range of a shared page, addressed by a
 * numeric handle; a page whose blocks are all free is released, so swarms that grow together
 * (every swarm moving up one class) do not leave the smaller classes' pages behind.
 */

export const PAGE_SIZE = 64 * 1024;

/** Block sizes in bytes: about 1.25x apart, 8-byte aligned, up to a quarter page. */
const CLASS_SIZES: number[] = [];
for (let s = 16; s <= PAGE_SIZE / 4; s = Math.max(s + 8, Math.ceil((s * 1.25) / 8) * 8)) {
  CLASS_SIZES.push(s);
}
const LARGE = CLASS_SIZES.length;
/** At most 16 MiB of empty pages are kept for reuse. */
const MAX_SPARE_PAGES = 256;

class Page {
  readonly buf: Buffer;
  readonly slot: number;
  readonly cls: number;
  /** Offsets of freed blocks. */
  readonly free: number[] = [];
  /** Next never-used offset. */
  carve = 0;
  live = 0;
  /** Index in its class's list of pages with room; -1 when full. */
  partialIdx = -1;

  constructor(buf: Buffer, slot: number, cls: number) {
    this.buf = buf;
    this.slot = slot;
    this.cls = cls;
  }
}

export class Slab {
  private readonly pages: (Page | null)[] = [];
  /** Per class: pages that have room. */
  private readonly partial: Page[][] = CLASS_SIZES.map(() => []);
  private readonly freeSlots: number[] = [];
  /**
   * Emptied pages kept for reuse: swarms grow together, so one class's pages empty while the
   * next class needs new ones. Reusing them avoids waiting for V8 to collect the old
   * ArrayBuffers (their memory is only freed by a major GC, which a quiet tracker rarely runs).
   */
  private readonly spare: Buffer[] = [];
  /** Bytes in pages: what the slab holds from the OS. */
  bytesReserved = 0;

  /** The smallest class whose blocks hold `bytes`; LARGE when none does. */
  static classOf(bytes: number): number {
    let lo = 0;
    let hi = LARGE;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (CLASS_SIZES[mid]! < bytes) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Usable bytes of the block that `alloc(bytes)` returns. */
  static blockSize(bytes: number): number {
    const c = Slab.classOf(bytes);
    return c === LARGE ? bytes : CLASS_SIZES[c]!;
  }

  private newPage(size: number, cls: number): Page {
    const slot = this.freeSlots.pop() ?? this.pages.length;
    const reuse = size === PAGE_SIZE ? this.spare.pop() : undefined;
    const page = new Page(reuse ?? Buffer.alloc(size), slot, cls);
    this.pages[slot] = page;
    if (reuse === undefined) this.bytesReserved += size;
    return page;
  }

  private releasePage(page: Page): void {
    this.pages[page.slot] = null;
    this.freeSlots.push(page.slot);
    if (page.partialIdx >= 0) this.unlinkPartial(page);
    if (page.buf.length === PAGE_SIZE && this.spare.length < MAX_SPARE_PAGES) {
      this.spare.push(page.buf); // still reserved: counted in bytesReserved
      return;
    }
    this.bytesReserved -= page.buf.length;
  }

  private unlinkPartial(page: Page): void {
    const list = this.partial[page.cls]!;
    const last = list.pop()!;
    if (last !== page) {
      list[page.partialIdx] = last;
      last.partialIdx = page.partialIdx;
    }
    page.partialIdx = -1;
  }

  /**
   * Allocates a block of `Slab.blockSize(bytes)` bytes (contents unspecified); returns its
   * handle. Pass the same block size to `free`.
   */
  alloc(bytes: number): number {
    const c = Slab.classOf(bytes);
    if (c === LARGE) {
      const page = this.newPage(bytes, c);
      page.live = 1;
      return page.slot * PAGE_SIZE;
    }
    const size = CLASS_SIZES[c]!;
    const list = this.partial[c]!;
    let page = list[list.length - 1];
    if (page === undefined) {
      page = this.newPage(PAGE_SIZE, c);
      page.partialIdx = list.length;
      list.push(page);
    }
    let off = page.free.pop();
    if (off === undefined) {
      off = page.carve;
      page.carve += size;
    }
    page.live++;
    if (page.free.length === 0 && page.carve + size > PAGE_SIZE) this.unlinkPartial(page);
    return page.slot * PAGE_SIZE + off;
  }

  /** Frees a block; `bytes` is the block size it was allocated with. */
  free(handle: number, bytes: number): void {
    const slot = Math.floor(handle / PAGE_SIZE);
    const page = this.pages[slot]!;
    if (--page.live === 0) {
      this.releasePage(page);
      return;
    }
    page.free.push(handle % PAGE_SIZE);
    if (page.partialIdx < 0 && Slab.classOf(bytes) !== LARGE) {
      const list = this.partial[page.cls]!;
      page.partialIdx = list.length;
      list.push(page);
    }
  }

  /** The buffer of the page holding `handle`. */
  page(handle: number): Buffer {
    return this.pages[Math.floor(handle / PAGE_SIZE)]!.buf;
  }
}

/** Byte offset of `handle` in its page. */
export function offsetOf(handle: number): number {
  return handle % PAGE_SIZE;
}
