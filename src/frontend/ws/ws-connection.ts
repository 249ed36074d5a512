import type { Family } from '../../bittorrent/address.js';
import type { WsPeer, WsPeerOwner } from './ws-swarms.js';
import type { WsSocket } from './ws-socket.js';

/** Offers a browser received and has not answered yet, at most this many (oldest dropped). */
export const MAX_PENDING_OFFERS = 256;

/**
 * One browser's WebSocket and what the tracker knows about it. Kept small: most connections
 * are idle between announces, and there are many of them. Every field is initialised here so
 * all connections share one shape.
 */
export class WsConnection implements WsPeerOwner {
  readonly socket: WsSocket;
  /** Client address as 4 or 16 bytes, and the same with a zero port (the request's `peer`). */
  readonly ip: Buffer;
  readonly peer: Buffer;
  readonly family: Family;
  /** From the upgrade path `/<passkey>/announce`; '' when absent. */
  readonly passkey: string;
  /** Peers this socket announced, by info hash key + peer id; null until the first announce. */
  joined: Map<string, WsPeer<WsConnection>> | null = null;
  /**
   * Offers forwarded to this socket, by offer id: the peer that made each. An answer is relayed
   * only when it names one of these (and its maker), so nobody can push answers at will.
   */
  offers: Map<string, WsPeer<WsConnection>> | null = null;
  /** Rate limit: a token bucket refilled lazily when a message arrives. */
  tokens: number;
  refilledAt: number;
  /** Millisecond time of the last message or pong (idle timeout and pings). */
  lastSeen: number;
  closed = false;

  constructor(
    socket: WsSocket,
    ip: Buffer,
    family: Family,
    passkey: string,
    burst: number,
    now: number,
  ) {
    this.socket = socket;
    this.ip = ip;
    this.peer = Buffer.concat([ip, Buffer.alloc(2)]);
    this.family = family;
    this.passkey = passkey;
    this.tokens = burst;
    this.refilledAt = now;
    this.lastSeen = now;
  }

  /** Takes one token; false when the client sends faster than `perSecond` beyond `burst`. */
  take(now: number, perSecond: number, burst: number): boolean {
    const t = this.tokens + ((now - this.refilledAt) * perSecond) / 1000;
    this.tokens = (t > burst ? burst : t) - 1;
    this.refilledAt = now;
    return this.tokens >= 0;
  }

  /** Records that `from` sent this socket offer `offerId`. */
  rememberOffer(offerId: string, from: WsPeer<WsConnection>): void {
    const offers = (this.offers ??= new Map());
    if (offers.size >= MAX_PENDING_OFFERS && !offers.has(offerId)) {
      const oldest = offers.keys().next();
      if (oldest.done !== true) offers.delete(oldest.value);
    }
    offers.set(offerId, from);
  }
}
