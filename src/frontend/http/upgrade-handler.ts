import type net from 'node:net';
import type { ClientAddress } from './client-address.js';

/** The parts of an HTTP upgrade request a WebSocket server reads (an IncomingMessage stand-in). */
export interface UpgradeRequest {
  method: string;
  /** Request target as sent: path and query. */
  url: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

/**
 * Who takes connections that ask to upgrade (`Upgrade: websocket`) on the HTTP port: the
 * WebSocket frontend. The HTTP frontend parses the request head, hands over the socket and
 * forgets the connection.
 */
export interface UpgradeHandler {
  /** Whether requests for `path` (no query) are upgraded; others are served as plain HTTP. */
  accepts(path: string): boolean;
  /**
   * Takes the socket: `head` holds bytes that followed the request head. `addr` is the client
   * address (after trusted proxy headers).
   */
  upgrade(req: UpgradeRequest, socket: net.Socket, head: Buffer, addr: ClientAddress): void;
  /**
   * Optional, for connections of the native TCP path: takes the connection where it is (no file
   * descriptor handover, no net.Socket). The handler writes its handshake reply (or refusal)
   * through `link`, and returns the receiver of the connection's later bytes and of its close,
   * or null when it refused (after writing the refusal and ending `link`). `head` is a view
   * valid only during the call.
   */
  adopt?(
    req: UpgradeRequest,
    link: NativeLink,
    head: Buffer,
    addr: ClientAddress,
  ): AdoptedStream | null;
}

/** An adopted native connection, as its new owner sees it. */
export interface NativeLink {
  /** Queues bytes (copied at once); ignored once the connection is gone. */
  write(data: Buffer): void;
  /** Closes once everything queued is written. */
  end(): void;
  /** Closes now. */
  destroy(): void;
  /** Bytes queued and not yet written. */
  pending(): number;
}

/** Receives an adopted connection's bytes and its close (exactly once). */
export interface AdoptedStream {
  /** Bytes read; `data` is a view of reused memory valid only during the call. */
  onData(data: Buffer): void;
  onClose(): void;
}

/** Parses header lines `data[start..end)` (CRLF separated) into lower-case names. */
export function parseHeaderLines(data: Buffer, start: number, end: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of data.toString('latin1', start, end).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : `${prev}, ${value}`;
  }
  return headers;
}
