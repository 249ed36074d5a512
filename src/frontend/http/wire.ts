import type net from 'node:net';
import type { NativeLink } from './upgrade-handler.js';

/**
 * One client connection as the HTTP frontend sees it: bytes out, close after flush, close now.
 * Two implementations: node:net sockets, and the native accept/read/write path (native-tcp.ts)
 * that skips net.Socket's per-connection object and stream setup.
 */
export interface Wire {
  write(data: Buffer): void;
  /** Close once everything written has gone out. */
  end(): void;
  /** Close now. */
  destroy(): void;
  readonly destroyed: boolean;
  /** Incoming chunks are views of memory reused after the data callback: copy to keep. */
  readonly ephemeral: boolean;
  cork(): void;
  uncork(): void;
}

/** A node:net socket. */
export class NetWire implements Wire {
  readonly ephemeral = false;

  constructor(readonly socket: net.Socket) {}

  write(data: Buffer): void {
    this.socket.write(data);
  }

  /**
   * When the reply already went to the kernel (the usual case: a few hundred bytes and an empty
   * socket buffer) the socket is destroyed at once, which skips the stream shutdown sequence
   * that `end()` runs per connection; the kernel still delivers the sent bytes and then the FIN.
   */
  end(): void {
    const s = this.socket;
    while (s.writableCorked > 0) s.uncork(); // hand the reply to the kernel now
    if (s.writableLength === 0 && !s.writableNeedDrain) s.destroy();
    else s.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }
}

/** The slice of the native TCP server a wire needs. */
export interface NativeConnections {
  write(id: number, data: Buffer): boolean;
  end(id: number): void;
  destroy(id: number): void;
  pending(id: number): number;
  /** Hands the connection's file descriptor over (see NativeTcpServer.detach). */
  detach(id: number): number;
}

/** A connection of the native accept/read/write path. */
export class NativeWire implements Wire, NativeLink {
  readonly ephemeral = true;
  /** Set by the frontend when the native side reports the connection closed. */
  closed = false;

  constructor(
    private readonly server: NativeConnections,
    readonly id: number,
  ) {}

  write(data: Buffer): void {
    if (!this.closed) this.server.write(this.id, data);
  }

  end(): void {
    if (!this.closed) this.server.end(this.id);
  }

  destroy(): void {
    if (!this.closed) this.server.destroy(this.id);
  }

  get destroyed(): boolean {
    return this.closed;
  }

  /** Bytes queued and not yet written (an adopted WebSocket's bufferedAmount). */
  pending(): number {
    return this.closed ? 0 : this.server.pending(this.id);
  }

  /** A duplicate fd the caller owns (the native side forgets the connection), or -1. */
  detach(): number {
    return this.closed ? -1 : this.server.detach(this.id);
  }

  // Each write goes to the kernel at once; pipelined replies are rare enough not to batch.
  cork(): void {}

  uncork(): void {}
}
