import { isUtf8 } from 'node:buffer';
import { endianness } from 'node:os';
import type { AdoptedStream, NativeLink } from '../http/upgrade-handler.js';
import type { WsSocket } from './ws-socket.js';

/** Where a NativeWsSocket delivers what it reads (the WebSocket frontend). */
export interface WsMessageSink<C> {
  /** One whole message; `data` is valid only during the call. */
  onMessage(conn: C, data: Buffer, isBinary: boolean): void;
  onPong(conn: C): void;
  /** The connection is gone (called once). */
  onClose(conn: C): void;
}

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

const OPEN = 0;
/** Our close frame is sent; waiting for the browser's (or CLOSE_WAIT_MS). */
const CLOSING = 1;
/** The close handshake is over or the connection dropped: nothing more is read or sent. */
const DONE = 2;

/** How long a browser gets to answer our close frame before the connection is dropped. */
const CLOSE_WAIT_MS = 2000;

/** Reused frame buffer: header (at most 10 bytes) then payload, copied once by the link. */
const OUT = Buffer.allocUnsafe(256 * 1024);
const HEAD = 10;
const PING = Buffer.from([0x89, 0x00]);
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Unmasks `data[start..end)` in place with the 4-byte key at `data[key..key+4)` (RFC 6455
 * 5.3). Words at a time where the memory is 4-byte aligned: the payloads worth speeding up are
 * offers of a few KB, where a byte loop is a measurable part of the message's cost.
 */
function unmask(data: Buffer, key: number, start: number, end: number): void {
  const k0 = data[key]!;
  const k1 = data[key + 1]!;
  const k2 = data[key + 2]!;
  const k3 = data[key + 3]!;
  let i = start;
  if (LITTLE_ENDIAN && end - start >= 64) {
    // Bytes up to the first aligned address, then whole words with the key rotated to match.
    for (; ((data.byteOffset + i) & 3) !== 0; i++) {
      const r = (i - start) & 3;
      data[i] = data[i]! ^ (r === 0 ? k0 : r === 1 ? k1 : r === 2 ? k2 : k3);
    }
    const words = (end - i) >>> 2;
    const r = (i - start) & 3;
    const kb = [k0, k1, k2, k3];
    const word =
      kb[r]! | (kb[(r + 1) & 3]! << 8) | (kb[(r + 2) & 3]! << 16) | (kb[(r + 3) & 3]! << 24);
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] = view[w]! ^ word;
    i += words << 2;
  }
  for (; i < end; i++) {
    const r = (i - start) & 3;
    data[i] = data[i]! ^ (r === 0 ? k0 : r === 1 ? k1 : r === 2 ? k2 : k3);
  }
}

/**
 * A WebSocket server connection (RFC 6455) over a connection of the native TCP path, written
 * here rather than by wrapping the fd in a net.Socket for the `ws` library: the signalling
 * messages are small and many, and a net.Socket plus `ws`'s per-message stream machinery cost
 * several times what the tracker's own work on a message does. Frames are parsed straight from
 * the native read buffer (unmasked in place) and sent as one native write each.
 *
 * Covers what browsers use: text and binary messages, fragmentation, ping/pong, the closing
 * handshake, a message size cap (1009), invalid UTF-8 (1007) and protocol errors (1002).
 * No extensions are negotiated.
 */
export class NativeWsSocket<C> implements WsSocket, AdoptedStream {
  conn: C | null = null;
  private state = OPEN;
  /** Bytes of an unfinished frame, kept across reads (a copy). */
  private partial: Buffer | null = null;
  /** Fragments of an unfinished message, and its opcode. */
  private fragments: Buffer[] | null = null;
  private fragmentBytes = 0;
  private fragmentOp = 0;
  private closeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly link: NativeLink,
    private readonly sink: WsMessageSink<C>,
    private readonly maxPayload: number,
  ) {}

  get bufferedAmount(): number {
    return this.link.pending();
  }

  send(text: string): void {
    if (this.state !== OPEN) return;
    this.frame(0x81, text);
  }

  ping(): void {
    if (this.state === OPEN) this.link.write(PING);
  }

  close(code: number, reason: string): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.sendClose(code, reason);
    this.closeTimer = setTimeout(() => this.link.destroy(), CLOSE_WAIT_MS);
    this.closeTimer.unref();
  }

  terminate(): void {
    this.link.destroy();
  }

  onClose(): void {
    this.state = DONE;
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.closeTimer = null;
    this.partial = null;
    this.fragments = null;
    if (this.conn !== null) this.sink.onClose(this.conn);
  }

  onData(chunk: Buffer): void {
    if (this.state === DONE) return;
    let data = chunk;
    if (this.partial !== null) {
      data = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    const len = data.length;
    let pos = 0;
    while (this.state !== DONE && len - pos >= 2) {
      const b0 = data[pos]!;
      const b1 = data[pos + 1]!;
      const op = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if ((b0 & 0x70) !== 0) return this.fail(1002, 'reserved bits set');
      if ((b1 & 0x80) === 0) return this.fail(1002, 'client frames must be masked');
      let plen = b1 & 0x7f;
      let head = 2;
      if (plen === 126) {
        if (len - pos < 4) break;
        plen = data.readUInt16BE(pos + 2);
        head = 4;
      } else if (plen === 127) {
        if (len - pos < 10) break;
        const hi = data.readUInt32BE(pos + 2);
        // Anything past 2^53 is no message we would take; the cap below refuses it anyway.
        plen = hi > 0x1fffff ? Number.MAX_SAFE_INTEGER : hi * 2 ** 32 + data.readUInt32BE(pos + 6);
        head = 10;
      }
      if (op >= 0x8) {
        if (!fin || plen > 125) return this.fail(1002, 'invalid control frame');
      } else if (plen + (op === OP_CONTINUATION ? this.fragmentBytes : 0) > this.maxPayload) {
        return this.fail(1009, 'message too big');
      }
      const start = pos + head + 4;
      const end = start + plen;
      if (end > len) break;
      unmask(data, pos + head, start, end);
      pos = end;
      this.frameIn(op, fin, data, start, end);
    }
    if (pos < len && this.state !== DONE) this.partial = Buffer.from(data.subarray(pos));
  }

  private frameIn(op: number, fin: boolean, data: Buffer, start: number, end: number): void {
    switch (op) {
      case OP_TEXT:
      case OP_BINARY:
        if (this.fragments !== null) return this.fail(1002, 'expected a continuation frame');
        if (fin) return this.message(op, data.subarray(start, end));
        this.fragments = [Buffer.from(data.subarray(start, end))];
        this.fragmentBytes = end - start;
        this.fragmentOp = op;
        return;
      case OP_CONTINUATION: {
        const parts = this.fragments;
        if (parts === null) return this.fail(1002, 'unexpected continuation frame');
        parts.push(Buffer.from(data.subarray(start, end)));
        this.fragmentBytes += end - start;
        if (!fin) return;
        this.fragments = null;
        this.fragmentBytes = 0;
        return this.message(this.fragmentOp, Buffer.concat(parts));
      }
      case OP_PING:
        if (this.state === OPEN) this.control(0x8a, data.subarray(start, end));
        return;
      case OP_PONG:
        if (this.conn !== null) this.sink.onPong(this.conn);
        return;
      case OP_CLOSE:
        return this.closeIn(data, start, end);
      default:
        return this.fail(1002, 'unknown opcode');
    }
  }

  private message(op: number, payload: Buffer): void {
    if (this.state !== OPEN || this.conn === null) return;
    if (op === OP_TEXT && !isUtf8(payload)) return this.fail(1007, 'invalid UTF-8');
    this.sink.onMessage(this.conn, payload, op === OP_BINARY);
  }

  /** The browser's close frame: answered with ours (unless we sent one), then the TCP close. */
  private closeIn(data: Buffer, start: number, end: number): void {
    if (this.state === OPEN) {
      const n = end - start;
      const code = n >= 2 ? data.readUInt16BE(start) : 0;
      const valid =
        n === 0 ||
        (n >= 2 &&
          ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
            (code >= 3000 && code <= 4999)) &&
          isUtf8(data.subarray(start + 2, end)));
      if (!valid) return this.fail(1002, 'invalid close frame');
      this.sendClose(n === 0 ? 0 : code, '');
    }
    this.state = DONE;
    this.link.end();
  }

  /** A protocol violation: a close frame with `code`, and the connection ends. */
  private fail(code: number, reason: string): void {
    if (this.state === OPEN) this.sendClose(code, reason);
    this.state = DONE;
    this.partial = null;
    this.fragments = null;
    this.link.end();
  }

  /** A close frame; code 0 sends one without a body. */
  private sendClose(code: number, reason: string): void {
    if (code === 0) {
      this.link.write(Buffer.from([0x88, 0x00]));
      return;
    }
    const r = Buffer.from(reason.slice(0, 120), 'utf8').subarray(0, 123);
    const body = Buffer.allocUnsafe(2 + r.length);
    body.writeUInt16BE(code, 0);
    r.copy(body, 2);
    this.control(0x88, body);
  }

  private control(b0: number, payload: Buffer): void {
    const out = Buffer.allocUnsafe(2 + payload.length);
    out[0] = b0;
    out[1] = payload.length;
    payload.copy(out, 2);
    this.link.write(out);
  }

  /** One unfragmented frame of `text` (UTF-8), encoded into the shared buffer when it fits. */
  private frame(b0: number, text: string): void {
    let out = OUT;
    let n: number;
    if (text.length * 3 <= OUT.length - HEAD) {
      n = OUT.write(text, HEAD, 'utf8');
    } else {
      n = Buffer.byteLength(text, 'utf8');
      out = Buffer.allocUnsafe(HEAD + n);
      out.write(text, HEAD, 'utf8');
    }
    let at: number;
    if (n < 126) {
      at = HEAD - 2;
      out[at + 1] = n;
    } else if (n < 65536) {
      at = HEAD - 4;
      out[at + 1] = 126;
      out.writeUInt16BE(n, at + 2);
    } else {
      at = 0;
      out[1] = 127;
      out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
      out.writeUInt32BE(n >>> 0, 6);
    }
    out[at] = b0;
    this.link.write(out.subarray(at, HEAD + n));
  }
}
