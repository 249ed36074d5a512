/**
 * A path-compressed binary trie (radix trie) of address prefixes for one address family, kept
 * in typed arrays. Hand-written because `contains` runs on the announce hot path for ban lists
 * and allow-lists: a lookup must cost about the address length (at most 32 or 128 bits, read a
 * 32-bit word at a time), whatever the number of stored networks, and must not allocate. A
 * generic map would need a string key per prefix length per lookup; a linear scan of networks
 * costs their number.
 *
 * Layout: node `n` has a prefix of `lens[n]` bits (`keys[n*W .. n*W+W)`, big-endian 32-bit
 * words, bits past the prefix zero), two children `child[2n]` and `child[2n+1]` (0 = none; node
 * 0 is the root, the empty prefix, which is never anyone's child) and `flags[n]`: which kinds of
 * entry end exactly there (the caller's bits, e.g. "a network" and "a single address"). Path
 * compression keeps the node count at most twice the number of entries, plus the root: a node
 * without flags always has two children, except the root. So an entry costs at most two nodes
 * of 14 bytes (IPv4: 4 key + 1 length + 8 children + 1 flags) or 26 bytes (IPv6: 16 key + ...),
 * plus spare capacity, at most as much again, since the arrays grow by doubling.
 *
 * Freed nodes go on a free list (linked through `child[2n]`) and are reused by later inserts.
 * The arrays never shrink (only `clear` releases them): a list that was large once is likely to
 * be large again, and shrinking would copy everything on a removal.
 */
export class NetworkTrie {
  /** Address length in bits: 32 or 128. */
  readonly bits: number;
  /** 32-bit words per key: 1 or 4. */
  private readonly words: number;
  private keys: Int32Array;
  private lens: Uint8Array;
  private child: Int32Array;
  private flags: Uint8Array;
  /** Nodes ever carved from the arrays (live plus free), including the root. */
  private used = 1;
  /** Head of the free list; 0 when empty (the root is never freed). */
  private freeHead = 0;
  private live = 1;
  /**
   * The key being looked up, inserted or removed, as words. Reused by every call: the trie is
   * synchronous, so one copy suffices and `contains` allocates nothing.
   */
  private readonly key: Int32Array;

  /** An empty trie for `bits`-bit addresses (32: IPv4, 128: IPv6). */
  constructor(bits: 32 | 128) {
    this.bits = bits;
    this.words = bits >>> 5;
    this.key = new Int32Array(this.words);
    const cap = 16;
    this.keys = new Int32Array(cap * this.words);
    this.lens = new Uint8Array(cap);
    this.child = new Int32Array(cap * 2);
    this.flags = new Uint8Array(cap);
  }

  /** Live nodes, the root included: 1 when empty. For tests and memory accounting. */
  get nodeCount(): number {
    return this.live;
  }

  /** Nodes the arrays have room for. */
  get capacity(): number {
    return this.lens.length;
  }

  /** Bytes held by the arrays. */
  get byteLength(): number {
    return (
      this.keys.byteLength + this.lens.byteLength + this.child.byteLength + this.flags.byteLength
    );
  }

  /**
   * Loads `bytes` (bits/8 of them, the caller checks) into the key words and clears the bits past
   * `prefix`, so a network's host bits are ignored.
   */
  private load(bytes: Uint8Array, prefix: number): void {
    const key = this.key;
    for (let w = 0; w < this.words; w++) {
      const o = w << 2;
      key[w] = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
    }
    if (prefix < this.bits) {
      const w = prefix >>> 5;
      const tail = prefix & 31;
      key[w] = tail === 0 ? 0 : key[w]! & ~(-1 >>> tail);
      for (let i = w + 1; i < this.words; i++) key[i] = 0;
    }
  }

  /** Bit `i` of the loaded key (0 = the most significant bit of the first byte). */
  private keyBit(i: number): number {
    return (this.key[i >>> 5]! >>> (31 - (i & 31))) & 1;
  }

  /** Bit `i` of node `n`'s prefix. */
  private nodeBit(n: number, i: number): number {
    return (this.keys[n * this.words + (i >>> 5)]! >>> (31 - (i & 31))) & 1;
  }

  /** How many leading bits (at most `limit`) the loaded key shares with node `n`'s prefix. */
  private common(n: number, limit: number): number {
    const base = n * this.words;
    for (let w = 0; w << 5 < limit; w++) {
      const x = this.key[w]! ^ this.keys[base + w]!;
      if (x !== 0) return Math.min(limit, (w << 5) + Math.clz32(x));
    }
    return limit;
  }

  /** A new node holding the loaded key cut to `len` bits; may grow (and so replace) the arrays. */
  private alloc(len: number, flags: number): number {
    let n = this.freeHead;
    if (n !== 0) {
      this.freeHead = this.child[2 * n]!;
    } else {
      if (this.used === this.lens.length) this.grow();
      n = this.used++;
    }
    this.live++;
    const base = n * this.words;
    const full = len >>> 5;
    for (let w = 0; w < this.words; w++) {
      let v = 0;
      if (w < full) v = this.key[w]!;
      else if (w === full && (len & 31) !== 0) v = this.key[w]! & ~(-1 >>> (len & 31));
      this.keys[base + w] = v;
    }
    this.lens[n] = len;
    this.child[2 * n] = 0;
    this.child[2 * n + 1] = 0;
    this.flags[n] = flags;
    return n;
  }

  private free(n: number): void {
    this.flags[n] = 0;
    this.child[2 * n + 1] = 0;
    this.child[2 * n] = this.freeHead;
    this.freeHead = n;
    this.live--;
  }

  private grow(): void {
    const cap = this.lens.length * 2;
    const keys = new Int32Array(cap * this.words);
    keys.set(this.keys);
    this.keys = keys;
    const lens = new Uint8Array(cap);
    lens.set(this.lens);
    this.lens = lens;
    const child = new Int32Array(cap * 2);
    child.set(this.child);
    this.child = child;
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
  }

  /**
   * Sets `flag` (one bit, 1..128) on the prefix `bytes/prefix` (host bits ignored). Returns
   * false if it was already set: adding an entry twice is the same as adding it once.
   */
  insert(bytes: Uint8Array, prefix: number, flag: number): boolean {
    this.load(bytes, prefix);
    let n = 0;
    // Invariant: the key matches node n's prefix and lens[n] <= prefix.
    for (;;) {
      const at = this.lens[n]!;
      if (at === prefix) {
        const f = this.flags[n]!;
        if ((f & flag) !== 0) return false;
        this.flags[n] = f | flag;
        return true;
      }
      const side = 2 * n + this.keyBit(at);
      const c = this.child[side]!;
      if (c === 0) {
        const leaf = this.alloc(prefix, flag);
        this.child[side] = leaf;
        return true;
      }
      const clen = this.lens[c]!;
      const d = this.common(c, Math.min(prefix, clen));
      if (d === clen) {
        n = c; // c's prefix starts the key: go down
        continue;
      }
      if (d === prefix) {
        // The key is a proper prefix of c's: it goes between n and c.
        const k = this.alloc(prefix, flag);
        this.child[2 * k + this.nodeBit(c, prefix)] = c;
        this.child[side] = k;
        return true;
      }
      // The key and c part at bit d: a flagless branch node at d holds both.
      const branch = this.alloc(d, 0);
      const leaf = this.alloc(prefix, flag);
      const b = this.keyBit(d);
      this.child[2 * branch + b] = leaf;
      this.child[2 * branch + (b ^ 1)] = c;
      this.child[side] = branch;
      return true;
    }
  }

  /**
   * Clears `flag` on the prefix `bytes/prefix` (host bits ignored); false if it was not set.
   * A node left without flags is freed when it has at most one child, and a branch node left
   * with one child is spliced out, so the trie stays as small as if the entry never was.
   */
  remove(bytes: Uint8Array, prefix: number, flag: number): boolean {
    this.load(bytes, prefix);
    let n = 0;
    let parent = -1;
    let grand = -1;
    while (this.lens[n]! < prefix) {
      const c = this.child[2 * n + this.keyBit(this.lens[n]!)]!;
      if (c === 0) return false;
      const clen = this.lens[c]!;
      if (clen > prefix || this.common(c, clen) !== clen) return false;
      grand = parent;
      parent = n;
      n = c;
    }
    const f = this.flags[n]!;
    if ((f & flag) === 0) return false;
    this.flags[n] = f & ~flag;
    if (f !== flag || n === 0) return true; // other entries still end here, or it is the root
    const left = this.child[2 * n]!;
    const right = this.child[2 * n + 1]!;
    if (left !== 0 && right !== 0) return true; // still needed as a branch node
    const side = 2 * parent + this.keyBit(this.lens[parent]!);
    if (left !== 0 || right !== 0) {
      this.child[side] = left | right; // one child: it takes n's place
      this.free(n);
      return true;
    }
    this.child[side] = 0;
    this.free(n);
    // A flagless parent other than the root now has one child: splice it out too.
    if (parent !== 0 && this.flags[parent] === 0) {
      const other = this.child[2 * parent]! | this.child[2 * parent + 1]!;
      this.child[2 * grand + this.keyBit(this.lens[grand]!)] = other;
      this.free(parent);
    }
    return true;
  }

  /**
   * True if some prefix with any flag contains the address `bytes` (bits/8 of them, the caller
   * checks). Walks one path from the root and stops at the first flagged prefix that matches,
   * or as soon as a bit differs: no node below a mismatch can match.
   */
  contains(bytes: Uint8Array): boolean {
    if (this.flags[0] !== 0) return true; // the /0 prefix
    const key = this.key;
    const W = this.words;
    for (let w = 0; w < W; w++) {
      const o = w << 2;
      key[w] = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
    }
    const keys = this.keys;
    const lens = this.lens;
    const child = this.child;
    const flags = this.flags;
    const max = this.bits;
    let n = 0;
    let at = 0;
    while (at < max) {
      const c = child[2 * n + ((key[at >>> 5]! >>> (31 - (at & 31))) & 1)]!;
      if (c === 0) return false;
      const to = lens[c]!;
      // Bits before `at` already matched n; compare the words holding bits at..to.
      const base = c * W;
      const last = (to - 1) >>> 5;
      for (let w = at >>> 5; w < last; w++) if (key[w] !== keys[base + w]) return false;
      const tail = to & 31;
      const mask = tail === 0 ? -1 : ~(-1 >>> tail);
      if (((key[last]! ^ keys[base + last]!) & mask) !== 0) return false;
      if (flags[c] !== 0) return true;
      n = c;
      at = to;
    }
    return false;
  }

  /** Removes every prefix and releases the arrays' memory. */
  clear(): void {
    this.keys = new Int32Array(16 * this.words);
    this.lens = new Uint8Array(16);
    this.child = new Int32Array(32);
    this.flags = new Uint8Array(16);
    this.used = 1;
    this.freeHead = 0;
    this.live = 1;
  }
}
