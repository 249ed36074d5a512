/**
 * What the WebSocket frontend needs of a browser's socket. Two implementations: the `ws`
 * library's WebSocket (node:net connections: the dedicated port, TLS, the node:net HTTP path)
 * and NativeWsSocket (connections of the native TCP path, framed here without a net.Socket).
 */
export interface WsSocket {
  /** Sends one text message. */
  send(text: string): void;
  /** Bytes queued and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** Starts the closing handshake with `code` and `reason`. */
  close(code: number, reason: string): void;
  /** Drops the connection now. */
  terminate(): void;
  /** Sends a ping (the browser answers with a pong). */
  ping(): void;
}
