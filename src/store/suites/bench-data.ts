/**
 * Deterministic inputs for the store benchmarks: the same data on every run and every machine,
 * so two drivers (or two commits) are measured on equal terms.
 */

/**
 * A 32-bit mix that is a bijection (a multiply by an odd constant and an xor-shift are each
 * invertible), so distinct inputs always give distinct outputs: distinct addresses without a
 * uniqueness check.
 */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x9e3779b1);
  x = Math.imul(x ^ (x >>> 15), 0x85ebca77);
  return (x ^ (x >>> 13)) >>> 0;
}

/** Pseudo-random 32-bit numbers: a counter stepped by an odd constant, then mixed. */
export class BenchRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    return mix32(this.state);
  }

  /** A number in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }

  fill(buf: Uint8Array): void {
    for (let i = 0; i < buf.length; i += 4) {
      const r = this.next();
      for (let k = 0; k < 4 && i + k < buf.length; k++) buf[i + k] = (r >>> (8 * k)) & 0xff;
    }
  }
}

/** `n` distinct 20-byte info hashes as latin1 map keys (distinct: bytes 0-3 are mix32(i)). */
export function infoHashKeys(n: number, seed: number): string[] {
  const rnd = new BenchRandom(seed);
  const keys: string[] = [];
  const b = Buffer.alloc(20);
  for (let i = 0; i < n; i++) {
    rnd.fill(b);
    b.writeUInt32BE(mix32((i + seed) >>> 0), 0);
    keys.push(b.toString('latin1'));
  }
  return keys;
}

/** The `i`-th IPv4 address (4 bytes): distinct for distinct `i`. */
export function ip4(i: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(mix32(i), 0);
  return b;
}

/** The `i`-th IPv6 address (16 bytes, in 2001:db8::/32): distinct for distinct `i`. */
export function ip6(i: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0x20010db8, 0);
  b.writeUInt32BE(mix32(i ^ 0x5bd1e995), 4);
  b.writeUInt32BE(mix32(i ^ 0x1b873593), 8);
  b.writeUInt32BE(mix32(i), 12);
  return b;
}

/** Port of every benchmark peer (the address alone makes them distinct). */
const PORT = 6881;

/** The `i`-th IPv4 compact peer (6 bytes). */
export function peer4(i: number): Buffer {
  const b = Buffer.alloc(6);
  ip4(i).copy(b, 0);
  b.writeUInt16BE(PORT, 4);
  return b;
}

/** The `i`-th IPv6 compact peer (18 bytes). */
export function peer6(i: number): Buffer {
  const b = Buffer.alloc(18);
  ip6(i).copy(b, 0);
  b.writeUInt16BE(PORT, 16);
  return b;
}

/** A list of `n` values made by `make(0..n-1)`. */
export function listOf<T>(n: number, make: (i: number) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(make(i));
  return out;
}
