import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import { within } from './fixtures.js';

/**
 * A small WebTorrent signalling client written from the protocol (JSON over WebSocket,
 * 20-character binary strings), independent of Shoal's code: every field on the wire is the
 * test's choice. Messages are queued; `next` waits for the first matching one.
 */

export type WsMsg = Record<string, unknown>;

/** 20 random bytes as the 20-character latin1 string WebTorrent sends. */
export function binId(): string {
  return randomBytes(20).toString('latin1');
}

export class WsPeer {
  readonly socket: WebSocket;
  readonly peerId: string;
  private readonly queue: WsMsg[] = [];
  private waiter: (() => void) | null = null;
  /** Close code and reason once the socket closed. */
  closed: { code: number; reason: string } | null = null;

  private constructor(socket: WebSocket, peerId: string) {
    this.socket = socket;
    this.peerId = peerId;
    socket.on('message', (data) => {
      this.queue.push(JSON.parse((data as Buffer).toString()) as WsMsg);
      this.waiter?.();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static async connect(url: string, opts: ClientOptions = {}): Promise<WsPeer> {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...opts });
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
        socket.once('unexpected-response', (_req, res) =>
          reject(new Error(`HTTP ${res.statusCode}`)),
        );
      }),
      5000,
      `connect ${url}`,
    );
    return new WsPeer(socket, binId());
  }

  send(msg: WsMsg | string): void {
    this.socket.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  announce(infoHash: string, fields: WsMsg = {}): void {
    this.send({
      action: 'announce',
      info_hash: infoHash,
      peer_id: this.peerId,
      numwant: 0,
      uploaded: 0,
      downloaded: 0,
      left: 100,
      ...fields,
    });
  }

  /** Announces and returns the reply (the message carrying `interval` or a failure). */
  async announceReply(infoHash: string, fields: WsMsg = {}): Promise<WsMsg> {
    this.announce(infoHash, fields);
    return this.next((m) => 'interval' in m || 'failure reason' in m, 'announce reply');
  }

  async scrape(infoHash: string | string[]): Promise<WsMsg> {
    this.send({ action: 'scrape', info_hash: infoHash });
    return this.next((m) => m.action === 'scrape' || 'failure reason' in m, 'scrape reply');
  }

  /** The first queued (or next arriving) message matching `pred`, removed from the queue. */
  async next(pred: (m: WsMsg) => boolean, what: string, ms = 5000): Promise<WsMsg> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.queue.findIndex(pred);
      if (i >= 0) return this.queue.splice(i, 1)[0]!;
      if (this.closed !== null) throw new Error(`${what}: socket closed (${this.closed.code})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: timed out`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = (): void => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** True when nothing matching `pred` arrives within `ms`. */
  async nothing(pred: (m: WsMsg) => boolean, ms = 300): Promise<boolean> {
    try {
      await this.next(pred, 'nothing', ms);
      return false;
    } catch {
      return true;
    }
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    if (this.closed !== null) return this.closed;
    await within(
      new Promise<void>((resolve) => this.socket.once('close', () => resolve())),
      ms,
      'close',
    );
    return this.closed!;
  }

  close(): void {
    this.socket.close();
  }
}
