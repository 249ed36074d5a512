/**
 * Optional native TCP accept/read/write/close (Linux) through the addon built from
 * `native/tcp_native.c` by `scripts/build-native.mjs`, for the HTTP frontend to use instead of
 * net.Socket. Everything degrades to "unavailable" (`openNativeTcp` resolves null) when the
 * addon is not built, not loadable, stale, or the platform is not Linux; the caller then uses
 * node:net. `SHOAL_NATIVE_TCP=0` forces that.
 *
 * Data path: the server owns a private epoll instance polled by one libuv handle. Per loop round
 * C accepts, reads and flushes every ready socket and records opens, data and closes in ONE
 * ArrayBuffer shared with JS, then calls `#dispatch(count)` once; the handlers get a Buffer view
 * of the received bytes (valid only during the call). Writes go straight to send(2) from the
 * calling JS stack; what the kernel does not take is queued in C and sent when writable.
 *
 * onClose is called exactly once per connection: from the dispatch when C found the connection
 * gone (EOF, reset, error, queued bytes written after end()), or — when our own call closed it
 * (destroy(), end() with nothing queued, a failed or over-cap write) — after the current
 * dispatch returns, or on process.nextTick when called outside a dispatch (like net.Socket's
 * 'close').
 */
import { addonPath, bindHost, loadAddon, makeView } from '../../native/addon.js';
import type { AddonLoad } from '../../native/addon.js';

export type Family = 4 | 6;

export interface NativeTcpHandlers {
  /**
   * A new connection. `ip` is 4 or 16 bytes (IPv4-mapped reported as 4), a copy the caller may
   * keep. Return an opaque per-connection object (the caller's state) — it is passed back to
   * onData/onClose.
   */
  onOpen(id: number, ip: Buffer, family: Family, port: number): unknown;
  /** Bytes read; `data` is a view into reused native memory valid only during the call. */
  onData(state: unknown, data: Buffer): void;
  /** The connection is gone (peer closed, error, or after our close()). Called exactly once. */
  onClose(state: unknown): void;
}

export interface NativeTcpStats {
  /** Connections accepted and handed to onOpen. */
  accepted: number;
  /** Connections accepted and closed at once because maxConnections were open. */
  rejected: number;
  /** JS dispatch calls (each carries every event of one loop round). */
  dispatches: number;
  /** Connections destroyed for queueing more than maxQueuedBytes. */
  overflowed: number;
}

export interface NativeTcpServer {
  address(): { address: string; port: number };
  /**
   * Queue bytes for connection `id` (copied immediately; written at once with send(2) when the
   * socket accepts it, the rest when writable). A string is written as latin1 (one byte per
   * char, like `Buffer.from(s, 'latin1')`), without a JS Buffer. Returns false if the connection
   * is gone or ending (and when this write destroyed it: socket error or maxQueuedBytes
   * exceeded, onClose follows).
   */
  write(id: number, data: Buffer | Uint8Array | string): boolean;
  /** Close after everything queued is written (then onClose). `data`, when given, is written first. */
  end(id: number, data?: Buffer | Uint8Array | string): void;
  /** Close now, dropping unwritten bytes (then onClose). */
  destroy(id: number): void;
  /** Bytes queued and not yet written for `id` (0 when gone). */
  pending(id: number): number;
  /**
   * Hands connection `id` over: returns a duplicate of its file descriptor, which the caller now
   * owns (e.g. `new net.Socket({ fd })` for a WebSocket upgrade), and forgets the connection
   * (onClose follows, as after destroy()). -1 when the connection is gone, ending or has queued
   * bytes, or when the addon was built without detach (rebuild it).
   */
  detach(id: number): number;
  /**
   * Stop accepting (listening socket closed, port released at once); existing connections
   * stay. Once the last connection is gone the server releases its event-loop handle.
   */
  closeListener(): Promise<void>;
  readonly connections: number;
  readonly stats: NativeTcpStats;
}

export interface NativeTcpOptions {
  host: string;
  port: number;
  family: Family;
  backlog: number;
  maxConnections: number;
  handlers: NativeTcpHandlers;
  /** Per-connection cap on queued unwritten bytes; a write beyond it destroys the connection. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** TCP_NODELAY on accepted sockets. Default true. */
  noDelay?: boolean;
}

interface NativeLayout {
  abi: number;
  slotSpace: number;
  maxEvents: number;
  evInts: number;
  statsN: number;
  statsOff: number;
  metaOff: number;
  dataOff: number;
  dataBytes: number;
  evOpen: number;
  evData: number;
  evClose: number;
  rGone: number;
  rOk: number;
  rClosed: number;
  statAccepted: number;
  statRejected: number;
  statDispatches: number;
  statOverflow: number;
}

interface NativeOpened {
  handle: object;
  buffer: ArrayBuffer;
  address: string;
  port: number;
}

type Data = Buffer | Uint8Array | string;

interface NativeAddon {
  layout: NativeLayout;
  open(
    family: number,
    host: string,
    port: number,
    backlog: number,
    maxConnections: number,
    maxQueuedBytes: number,
    noDelay: boolean,
    onEvents: (count: number) => void,
  ): NativeOpened;
  write(handle: object, id: number, data: Data): number;
  end(handle: object, id: number, data?: Data): number;
  destroy(handle: object, id: number): number;
  pending(handle: object, id: number): number;
  /** Optional: absent from builds older than the WebSocket upgrade. */
  detach?(handle: object, id: number): number;
  closeListener(handle: object): void;
}

const DEFAULT_MAX_QUEUED = 1 << 20;

let loaded: AddonLoad<NativeAddon> | undefined;

function loadNative(): NativeAddon | null {
  loaded ??= loadAddon<NativeAddon>('tcp_native', 'SHOAL_NATIVE_TCP', [
    'open',
    'write',
    'end',
    'destroy',
    'pending',
    'closeListener',
  ]);
  return loaded.addon;
}

/** Where node-gyp puts the addon. */
export const TCP_ADDON_PATH = addonPath('tcp_native');

/** True when the native TCP addon loads; cached after the first call. */
export function nativeTcpAvailable(): boolean {
  return loadNative() !== null;
}

/** Why the addon is unavailable (for a log line), or undefined when it is available. */
export function nativeTcpUnavailableReason(): string | undefined {
  loadNative();
  return loaded?.reason;
}

/**
 * null when the native addon is unavailable (not built, not Linux, load error) — the caller
 * falls back to node:net. Rejects with a Node-style system Error (`.code` such as EADDRINUSE,
 * `.syscall`, `.address`, `.port`) when the address cannot be bound.
 */
export async function openNativeTcp(opts: NativeTcpOptions): Promise<NativeTcpServer | null> {
  const native = loadNative();
  if (native === null) return null;
  const host = await bindHost(opts.host, opts.family);
  return new NativeTcp(native, opts, host);
}

class NativeTcp implements NativeTcpServer {
  readonly #native: NativeAddon;
  readonly #handle: object;
  readonly #address: { address: string; port: number };
  readonly #onOpen: NativeTcpHandlers['onOpen'];
  readonly #onData: NativeTcpHandlers['onData'];
  readonly #onClose: NativeTcpHandlers['onClose'];
  readonly #ab: ArrayBuffer;
  readonly #u8: Uint8Array;
  readonly #meta: Int32Array;
  readonly #stats: Float64Array;
  readonly #L: NativeLayout;
  readonly #evInts: number;
  readonly #evOpen: number;
  readonly #evData: number;
  readonly #dataOff: number;
  readonly #slotSpace: number;
  readonly #slotMask: number;
  /** Per slot: the id of the live connection there (-1: none) and the caller's state. */
  readonly #ids: Float64Array;
  readonly #states: unknown[];
  #count = 0;
  /** States whose onClose is owed because one of our calls closed the connection. */
  #closed: unknown[] = [];
  #inDispatch = false;
  #tickScheduled = false;
  /** The id whose onOpen is running (its state is not known yet), and whether it was closed. */
  #opening = -1;
  #openingClosed = false;
  #listenerClosed = false;

  constructor(native: NativeAddon, opts: NativeTcpOptions, host: string) {
    const L = native.layout;
    this.#native = native;
    this.#L = L;
    this.#onOpen = opts.handlers.onOpen.bind(opts.handlers);
    this.#onData = opts.handlers.onData.bind(opts.handlers);
    this.#onClose = opts.handlers.onClose.bind(opts.handlers);
    const maxConnections = Math.max(1, Math.min(Math.floor(opts.maxConnections), L.slotSpace));
    const opened = native.open(
      opts.family,
      host,
      opts.port,
      Math.max(1, Math.floor(opts.backlog) || 511),
      maxConnections,
      Math.max(1, opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED),
      opts.noDelay ?? true,
      this.#dispatch,
    );
    this.#handle = opened.handle;
    this.#address = { address: opened.address, port: opened.port };
    const ab = opened.buffer;
    this.#ab = ab;
    this.#u8 = new Uint8Array(ab);
    this.#meta = new Int32Array(ab, L.metaOff, L.maxEvents * L.evInts);
    this.#stats = new Float64Array(ab, L.statsOff, L.statsN);
    this.#evInts = L.evInts;
    this.#evOpen = L.evOpen;
    this.#evData = L.evData;
    this.#dataOff = L.dataOff;
    this.#slotSpace = L.slotSpace;
    this.#slotMask = L.slotSpace - 1;
    this.#ids = new Float64Array(maxConnections).fill(-1);
    this.#states = new Array<unknown>(maxConnections).fill(undefined);
  }

  /** Called by C once per loop round with the number of events recorded. */
  readonly #dispatch = (count: number): void => {
    // A throwing handler must not make us lose the rest of the round (an unseen open would leak
    // its slot): the first error is rethrown once every event has been delivered.
    const stride = this.#evInts;
    let failed = false;
    let error: unknown;
    this.#inDispatch = true;
    for (let i = 0, m = 0; i < count; i++, m += stride) {
      try {
        this.#event(m);
      } catch (err) {
        if (!failed) {
          failed = true;
          error = err;
        }
      }
    }
    this.#inDispatch = false;
    try {
      this.#flushClosed();
    } catch (err) {
      if (!failed) {
        failed = true;
        error = err;
      }
    }
    if (failed) throw error;
  };

  #event(m: number): void {
    const meta = this.#meta;
    const ids = this.#ids;
    const type = meta[m]!;
    const slot = meta[m + 1]!;
    const id = meta[m + 2]! * this.#slotSpace + slot;
    if (type === this.#evData) {
      if (ids[slot] === id)
        this.#onData(
          this.#states[slot],
          makeView(this.#ab, this.#dataOff + meta[m + 3]!, meta[m + 4]!),
        );
    } else if (type === this.#evOpen) {
      const off = this.#dataOff + meta[m + 3]!;
      const ip = Buffer.from(this.#u8.subarray(off, off + meta[m + 4]!)); // a copy
      ids[slot] = id;
      this.#states[slot] = undefined;
      this.#count++;
      this.#opening = id;
      this.#openingClosed = false;
      let state: unknown;
      try {
        state = this.#onOpen(id, ip, meta[m + 5] as Family, meta[m + 6]!);
      } finally {
        this.#opening = -1;
        if (this.#openingClosed) this.#closed.push(state);
        else if (ids[slot] === id) this.#states[slot] = state;
      }
    } else if (ids[slot] === id) {
      // EV_CLOSE: C found the connection gone.
      const state = this.#states[slot];
      ids[slot] = -1;
      this.#states[slot] = undefined;
      this.#count--;
      this.#onClose(state);
    }
  }

  /** Our own call closed `id` in C: forget it and owe its onClose. */
  #forget(id: number): void {
    const slot = id & this.#slotMask;
    if (this.#ids[slot] !== id) return;
    this.#ids[slot] = -1;
    this.#count--;
    if (id === this.#opening) {
      this.#openingClosed = true;
    } else {
      this.#closed.push(this.#states[slot]);
      this.#states[slot] = undefined;
    }
    if (!this.#inDispatch && !this.#tickScheduled) {
      this.#tickScheduled = true;
      process.nextTick(this.#flushClosedTick);
    }
  }

  readonly #flushClosedTick = (): void => {
    this.#tickScheduled = false;
    if (!this.#inDispatch) this.#flushClosed();
  };

  #flushClosed(): void {
    // onClose may close more connections: keep going until nothing is owed. Every owed onClose
    // is delivered even if one throws; the first error is rethrown afterwards.
    let failed = false;
    let error: unknown;
    while (this.#closed.length > 0) {
      const owed = this.#closed;
      this.#closed = [];
      for (const state of owed) {
        try {
          this.#onClose(state);
        } catch (err) {
          if (!failed) {
            failed = true;
            error = err;
          }
        }
      }
    }
    if (failed) throw error;
  }

  #live(id: number): boolean {
    return this.#ids[id & this.#slotMask] === id;
  }

  address(): { address: string; port: number } {
    return { address: this.#address.address, port: this.#address.port };
  }

  write(id: number, data: Data): boolean {
    if (!this.#live(id)) return false;
    const r = this.#native.write(this.#handle, id, data);
    if (r === this.#L.rOk) return true;
    if (r === this.#L.rClosed) this.#forget(id);
    return false;
  }

  end(id: number, data?: Data): void {
    if (!this.#live(id)) return;
    const r =
      data === undefined
        ? this.#native.end(this.#handle, id)
        : this.#native.end(this.#handle, id, data);
    if (r === this.#L.rClosed) this.#forget(id);
  }

  destroy(id: number): void {
    if (!this.#live(id)) return;
    if (this.#native.destroy(this.#handle, id) === this.#L.rClosed) this.#forget(id);
  }

  pending(id: number): number {
    if (!this.#live(id)) return 0;
    return this.#native.pending(this.#handle, id);
  }

  detach(id: number): number {
    if (!this.#live(id) || this.#native.detach === undefined) return -1;
    const fd = this.#native.detach(this.#handle, id);
    if (fd === -2) return -1; // still open and ours: ending or with bytes queued
    this.#forget(id);
    return fd;
  }

  closeListener(): Promise<void> {
    if (!this.#listenerClosed) {
      this.#listenerClosed = true;
      this.#native.closeListener(this.#handle);
    }
    return Promise.resolve();
  }

  get connections(): number {
    return this.#count;
  }

  get stats(): NativeTcpStats {
    const s = this.#stats;
    const L = this.#L;
    return {
      accepted: s[L.statAccepted]!,
      rejected: s[L.statRejected]!,
      dispatches: s[L.statDispatches]!,
      overflowed: s[L.statOverflow]!,
    };
  }
}
