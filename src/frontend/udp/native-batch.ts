/**
 * Optional batched UDP I/O (Linux recvmmsg/sendmmsg) through the native addon built from
 * `native/udp_batch.c` by `scripts/build-native.mjs`. Everything here degrades to "unavailable"
 * (`openBatchSocket` resolves null) when the addon is not built, not loadable, stale, or the
 * platform is not Linux; the caller then uses node:dgram. `SHOAL_NATIVE_UDP=0` forces that.
 *
 * Data path: each socket owns ONE ArrayBuffer shared with C (layout in udp_batch.c). C receives
 * up to 64 datagrams per recvmmsg, writes length/family/port and the source address into
 * metadata slots and calls `dispatch(count)` once; the handler gets a Buffer view of the packet
 * and a pre-made view of the source address. Replies are copied into the send region at once and
 * go out in one sendmmsg when the batch's handlers return (or on setImmediate when queued
 * outside a batch).
 */
import { addonPath, bindHost, loadAddon, makeView } from '../../native/addon.js';
import type { AddonLoad } from '../../native/addon.js';

export type Family = 4 | 6;

/**
 * Replies are sent in groups of this many even inside a receive batch, so clients (and the
 * kernel) get the first answers while the rest of the batch is still being handled, instead
 * of the two sides taking turns a whole batch at a time.
 */
const FLUSH_EVERY = Number(process.env['SHOAL_UDP_FLUSH_EVERY'] ?? 16);

/**
 * Called once per received datagram. `msg` and `ip` are views into reused native memory, valid
 * only during the call. `ip` is 4 bytes (IPv4) or 16 bytes (IPv6; an IPv4-mapped source is
 * reported as family 4 with 4 bytes).
 */
export type PacketHandler = (msg: Buffer, ip: Buffer, family: Family, port: number) => void;

export interface BatchSocketStats {
  /** Datagrams handed to the handler. */
  received: number;
  /** Datagrams the kernel accepted for sending. */
  sent: number;
  /** Replies not sent: kernel buffer full (EAGAIN/ENOBUFS), refused, invalid, or after close. */
  dropped: number;
  /** Handler batches (one recvmmsg each). */
  batches: number;
  /** Received datagrams longer than `maxDatagramBytes`, discarded unseen. */
  truncated: number;
}

export interface BatchSocket {
  readonly family: Family;
  address(): { address: string; port: number };
  /**
   * Queue a reply; copied immediately into the native send batch, flushed with ONE sendmmsg after
   * the current receive batch's handlers return (or on the next setImmediate if called outside a
   * batch). Drops (and counts) when the kernel says EAGAIN/ENOBUFS rather than blocking or
   * queueing without bound.
   */
  send(reply: Buffer, ip: Buffer, family: Family, port: number): void;
  close(): Promise<void>;
  readonly stats: BatchSocketStats;
  /** The socket buffer sizes the kernel actually granted (Linux reports twice the request). */
  readonly bufferBytes: { recv: number; send: number };
}

export interface BatchSocketOptions {
  host: string;
  port: number;
  family: Family;
  /** SO_RCVBUF and SO_SNDBUF (0: the OS default). */
  bufferBytes: number;
  onPacket: PacketHandler;
  /** Largest datagram delivered; longer ones are counted in `stats.truncated` and dropped. Default 2048. */
  maxDatagramBytes?: number;
}

interface NativeLayout {
  abi: number;
  recvBatch: number;
  sendMax: number;
  sendBytes: number;
  statsN: number;
  statsOff: number;
  recvMetaOff: number;
  recvIpOff: number;
  sendMetaOff: number;
  sendIpOff: number;
  sendDataOff: number;
  recvDataOff: number;
  minSlot: number;
  maxSlot: number;
  statReceived: number;
  statSent: number;
  statDropped: number;
  statBatches: number;
  statTruncated: number;
}

interface NativeOpened {
  handle: object;
  buffer: ArrayBuffer;
  address: string;
  port: number;
  recvBufferBytes: number;
  sendBufferBytes: number;
}

interface NativeAddon {
  layout: NativeLayout;
  open(
    family: number,
    host: string,
    port: number,
    bufferBytes: number,
    slotBytes: number,
    onBatch: (count: number) => void,
  ): NativeOpened;
  flush(handle: object, count: number): void;
  close(handle: object, onClosed: () => void): void;
}

const DEFAULT_MAX_DATAGRAM = 2048;
/** Largest UDP payload over IPv6 (IPv4's is 65507; the kernel refuses and we count a drop). */
const MAX_REPLY = 65527;

let loaded: AddonLoad<NativeAddon> | undefined;

function loadNative(): NativeAddon | null {
  loaded ??= loadAddon<NativeAddon>('udp_batch', 'SHOAL_NATIVE_UDP', ['open', 'flush', 'close']);
  return loaded.addon;
}

/** Where node-gyp puts the addon. */
export const ADDON_PATH = addonPath('udp_batch');

/** True when the native addon loads; cached after the first call. */
export function nativeBatchAvailable(): boolean {
  return loadNative() !== null;
}

/** Why the addon is unavailable (for a log line), or undefined when it is available. */
export function nativeBatchUnavailableReason(): string | undefined {
  loadNative();
  return loaded?.reason;
}

/** null when the native addon is unavailable (not built, not Linux, load error) — caller falls back to node:dgram. */
export async function openBatchSocket(opts: BatchSocketOptions): Promise<BatchSocket | null> {
  const native = loadNative();
  if (native === null) return null;
  const host = await bindHost(opts.host, opts.family);
  return new NativeBatchSocket(native, opts, host);
}

class NativeBatchSocket implements BatchSocket {
  readonly family: Family;
  readonly bufferBytes: { recv: number; send: number };
  readonly #native: NativeAddon;
  readonly #handle: object;
  readonly #address: { address: string; port: number };
  readonly #onPacket: PacketHandler;
  readonly #stats: Float64Array;
  readonly #statReceived: number;
  readonly #statSent: number;
  readonly #statDropped: number;
  readonly #statBatches: number;
  readonly #statTruncated: number;
  // Receive side.
  readonly #ab: ArrayBuffer;
  readonly #recvDataOff: number;
  readonly #recvMeta: Int32Array;
  readonly #slot: number;
  readonly #ip4: Buffer[] = [];
  readonly #ip6: Buffer[] = [];
  // Send side.
  readonly #sendData: Buffer;
  readonly #sendMeta: Int32Array;
  readonly #sendIp: Buffer;
  readonly #sendMax: number;
  readonly #sendBytes: number;
  #sendCount = 0;
  #sendUsed = 0;
  #inBatch = false;
  #flushScheduled = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(native: NativeAddon, opts: BatchSocketOptions, host: string) {
    const L = native.layout;
    const maxDatagram = opts.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM;
    const slot = Math.min(Math.max(maxDatagram, L.minSlot), L.maxSlot);
    this.#native = native;
    this.family = opts.family;
    this.#onPacket = opts.onPacket;
    const opened = native.open(
      opts.family,
      host,
      opts.port,
      opts.bufferBytes,
      slot,
      this.#dispatch,
    );
    this.#handle = opened.handle;
    this.#address = { address: opened.address, port: opened.port };
    this.bufferBytes = { recv: opened.recvBufferBytes, send: opened.sendBufferBytes };
    const ab = opened.buffer;
    this.#slot = (slot + 7) & ~7; // as rounded in C
    this.#stats = new Float64Array(ab, L.statsOff, L.statsN);
    this.#statReceived = L.statReceived;
    this.#statSent = L.statSent;
    this.#statDropped = L.statDropped;
    this.#statBatches = L.statBatches;
    this.#statTruncated = L.statTruncated;
    this.#recvMeta = new Int32Array(ab, L.recvMetaOff, L.recvBatch * 4);
    this.#ab = ab;
    this.#recvDataOff = L.recvDataOff;
    for (let i = 0; i < L.recvBatch; i++) {
      this.#ip4.push(Buffer.from(ab, L.recvIpOff + i * 16, 4));
      this.#ip6.push(Buffer.from(ab, L.recvIpOff + i * 16, 16));
    }
    this.#sendMax = L.sendMax;
    this.#sendBytes = L.sendBytes;
    this.#sendMeta = new Int32Array(ab, L.sendMetaOff, L.sendMax * 4);
    this.#sendIp = Buffer.from(ab, L.sendIpOff, L.sendMax * 16);
    this.#sendData = Buffer.from(ab, L.sendDataOff, L.sendBytes);
  }

  /** Called by C once per recvmmsg batch with the number of slots filled. */
  readonly #dispatch = (count: number): void => {
    const meta = this.#recvMeta;
    const ab = this.#ab;
    const slot = this.#slot;
    const base = this.#recvDataOff;
    const onPacket = this.#onPacket;
    this.#inBatch = true;
    try {
      for (let i = 0, m = 0; i < count; i++, m += 4) {
        const len = meta[m]!;
        if (len < 0) continue;
        const family = meta[m + 1] as Family;
        onPacket(
          makeView(ab, base + i * slot, len),
          family === 4 ? this.#ip4[i]! : this.#ip6[i]!,
          family,
          meta[m + 2]!,
        );
        if (this.#closed) break;
      }
    } finally {
      this.#inBatch = false;
      this.#flush();
    }
  };

  readonly #flushImmediate = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  #flush(): void {
    const n = this.#sendCount;
    if (n === 0) return;
    this.#sendCount = 0;
    this.#sendUsed = 0;
    this.#native.flush(this.#handle, n);
  }

  address(): { address: string; port: number } {
    return { address: this.#address.address, port: this.#address.port };
  }

  send(reply: Buffer, ip: Buffer, family: Family, port: number): void {
    const len = reply.length;
    const ipLen = ip.length;
    if (
      this.#closed ||
      len > MAX_REPLY ||
      !(family === 4 ? ipLen === 4 : family === 6 && ipLen === 16)
    ) {
      this.#stats[this.#statDropped]! += 1;
      return;
    }
    if (
      this.#sendCount >= FLUSH_EVERY ||
      this.#sendCount === this.#sendMax ||
      this.#sendUsed + len > this.#sendBytes
    ) {
      this.#flush();
    }
    const n = this.#sendCount;
    const off = this.#sendUsed;
    this.#sendData.set(reply, off);
    const m = n * 4;
    const meta = this.#sendMeta;
    meta[m] = off;
    meta[m + 1] = len;
    meta[m + 2] = family;
    meta[m + 3] = port;
    const sip = this.#sendIp;
    const io = n * 16;
    if (ipLen === 4) {
      sip[io] = ip[0]!;
      sip[io + 1] = ip[1]!;
      sip[io + 2] = ip[2]!;
      sip[io + 3] = ip[3]!;
    } else {
      sip.set(ip, io);
    }
    this.#sendUsed = off + len;
    this.#sendCount = n + 1;
    if (!this.#inBatch && !this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushImmediate);
    }
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#flush(); // replies already queued still go out
    this.#closed = true;
    this.#closing = new Promise<void>((resolve) => this.#native.close(this.#handle, resolve));
    return this.#closing;
  }

  get stats(): BatchSocketStats {
    const s = this.#stats;
    return {
      received: s[this.#statReceived]!,
      sent: s[this.#statSent]!,
      dropped: s[this.#statDropped]!,
      batches: s[this.#statBatches]!,
      truncated: s[this.#statTruncated]!,
    };
  }
}
