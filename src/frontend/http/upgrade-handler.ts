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
