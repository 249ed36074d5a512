import { randomBytes } from 'node:crypto';
import { SipKey, siphash24 } from './siphash.js';

/** Seconds per connection-ID window; an ID is accepted in its window and the next. */
export const CONNECTION_ID_WINDOW = 60;

/**
 * Stateless BEP 15 connection IDs: SipHash-2-4 under a secret key of (time window, client IP).
 * A spoofer who never receives our connect reply cannot produce a valid ID for the address it
 * forges, so announces and scrapes cannot be reflected at a victim. IDs stay valid 60-120 s
 * (BEP 15 asks clients to reconnect after 60 s), and instances sharing a key accept each
 * other's IDs. The port is left out so a client behind a NAT that changes its source port keeps
 * its ID.
 */
export class ConnectionIds {
  private readonly key: SipKey;
  private readonly now: () => number;
  private readonly input = Buffer.alloc(4 + 16);
  private readonly mac = Buffer.alloc(8);

  /**
   * @param key 16 bytes; when omitted a random key is made (IDs then do not survive a restart
   *   and are not shared between instances).
   * @param now clock in seconds (injectable for tests).
   */
  constructor(key?: Uint8Array, now?: () => number) {
    this.key = new SipKey(key ?? randomBytes(16));
    this.now = now ?? ((): number => Date.now() / 1000);
  }

  private compute(window: number, ip: Uint8Array, ipLen: number): void {
    const input = this.input;
    input[0] = window >>> 24;
    input[1] = (window >>> 16) & 0xff;
    input[2] = (window >>> 8) & 0xff;
    input[3] = window & 0xff;
    for (let i = 0; i < ipLen; i++) input[4 + i] = ip[i]!;
    siphash24(this.key, input, 0, 4 + ipLen, this.mac, 0);
  }

  /** Writes a new connection ID for `ip` (4 or 16 bytes) into `out[off..off+8)`. */
  issue(ip: Uint8Array, ipLen: number, out: Buffer, off: number): void {
    this.compute(Math.floor(this.now() / CONNECTION_ID_WINDOW), ip, ipLen);
    this.mac.copy(out, off);
  }

  /** True if `id[off..off+8)` is a valid ID for `ip`, compared in constant time. */
  verify(ip: Uint8Array, ipLen: number, id: Buffer, off: number): boolean {
    const w = Math.floor(this.now() / CONNECTION_ID_WINDOW);
    this.compute(w, ip, ipLen);
    const a = this.diff(id, off);
    this.compute(w - 1, ip, ipLen);
    const b = this.diff(id, off);
    // Both windows are always computed so timing does not reveal which one matched.
    return a === 0 || b === 0;
  }

  /** 0 when equal; no early exit. */
  private diff(id: Buffer, off: number): number {
    const m = this.mac;
    let d = 0;
    for (let i = 0; i < 8; i++) d |= id[off + i]! ^ m[i]!;
    return d;
  }
}
