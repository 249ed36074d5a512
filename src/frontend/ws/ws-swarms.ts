import type { ExtraSwarmCounts } from '../../middleware/swarm-logic.js';

/** What the swarm table needs of a connection: to tell peers of one socket apart. */
export interface WsPeerOwner {
  readonly closed: boolean;
}

/** A browser in one swarm: its peer id, its connection, and whether it seeds. */
export class WsPeer<C extends WsPeerOwner = WsPeerOwner> {
  readonly conn: C;
  /** 20-character latin1 string, as on the wire. */
  readonly peerId: string;
  readonly swarm: WsSwarm<C>;
  seeder = false;
  /** Last reported totals, for the `stopped` post-hooks hear of when the socket closes. */
  uploaded = 0;
  downloaded = 0;
  /** Position in `swarm.peers` (kept current by swaps). */
  index = 0;

  constructor(conn: C, peerId: string, swarm: WsSwarm<C>) {
    this.conn = conn;
    this.peerId = peerId;
    this.swarm = swarm;
  }
}

/** The WebSocket peers of one info hash. */
export class WsSwarm<C extends WsPeerOwner = WsPeerOwner> {
  /** The info hash as a 20-character latin1 string (the PeerStore's key too). */
  readonly key: string;
  /** Dense array for random selection; removal swaps the last peer in. */
  readonly peers: WsPeer<C>[] = [];
  readonly byId = new Map<string, WsPeer<C>>();
  seeders = 0;
  /** `key` as a JSON string literal, made once: every reply and forwarded offer carries it. */
  readonly keyJson: string;

  constructor(key: string) {
    this.key = key;
    this.keyJson = JSON.stringify(key);
  }
}

/**
 * The WebSocket frontend's own swarm table: browsers are not IP peers (they are reached through
 * their socket, by WebRTC offers), so they are kept here instead of in the PeerStore, and their
 * counts are added to the store's through ExtraSwarmCounts. Per process: with several tracker
 * processes sharing a Redis PeerStore, offers only reach browsers connected to the same process.
 */
export class WsSwarms<C extends WsPeerOwner = WsPeerOwner> implements ExtraSwarmCounts {
  private readonly swarms = new Map<string, WsSwarm<C>>();
  private peerCount = 0;

  /** Peers over all swarms. */
  get size(): number {
    return this.peerCount;
  }

  get swarmCount(): number {
    return this.swarms.size;
  }

  get(infoHashKey: string): WsSwarm<C> | undefined {
    return this.swarms.get(infoHashKey);
  }

  addCounts(infoHashKey: string, out: { complete: number; incomplete: number }): void {
    if (this.peerCount === 0) return;
    const s = this.swarms.get(infoHashKey);
    if (s === undefined) return;
    out.complete += s.seeders;
    out.incomplete += s.peers.length - s.seeders;
  }

  /**
   * Adds `peerId` on `conn` to the swarm, or updates it. A peer id already held by another
   * connection is taken over (a browser that reconnected before its old socket timed out);
   * `onEvicted` is told so the old connection forgets that swarm.
   */
  join(
    infoHashKey: string,
    peerId: string,
    conn: C,
    seeder: boolean,
    onEvicted: (peer: WsPeer<C>) => void,
  ): WsPeer<C> {
    let swarm = this.swarms.get(infoHashKey);
    if (swarm === undefined) {
      swarm = new WsSwarm<C>(infoHashKey);
      this.swarms.set(infoHashKey, swarm);
    }
    let peer = swarm.byId.get(peerId);
    if (peer !== undefined && peer.conn !== conn) {
      this.leave(peer);
      onEvicted(peer);
      peer = undefined;
      swarm = this.swarms.get(infoHashKey);
      if (swarm === undefined) {
        swarm = new WsSwarm<C>(infoHashKey);
        this.swarms.set(infoHashKey, swarm);
      }
    }
    if (peer === undefined) {
      peer = new WsPeer<C>(conn, peerId, swarm);
      peer.index = swarm.peers.length;
      swarm.peers.push(peer);
      swarm.byId.set(peerId, peer);
      this.peerCount++;
    }
    if (peer.seeder !== seeder) {
      swarm.seeders += seeder ? 1 : -1;
      peer.seeder = seeder;
    }
    return peer;
  }

  /** Removes a peer (stopped, or its socket closed); empty swarms are dropped. */
  leave(peer: WsPeer<C>): void {
    const swarm = peer.swarm;
    if (swarm.byId.get(peer.peerId) !== peer) return;
    swarm.byId.delete(peer.peerId);
    const last = swarm.peers.pop()!;
    if (last !== peer) {
      swarm.peers[peer.index] = last;
      last.index = peer.index;
    }
    if (peer.seeder) swarm.seeders--;
    this.peerCount--;
    if (swarm.peers.length === 0) this.swarms.delete(swarm.key);
  }

  /**
   * Up to `n` distinct random peers of `self`'s swarm other than `self` (and closed sockets),
   * written to `out` (reused by the caller); returns how many. A partial Fisher-Yates shuffle
   * of the swarm array: no allocation, each chosen peer equally likely.
   */
  pickOthers(self: WsPeer<C>, n: number, out: WsPeer<C>[]): number {
    const peers = self.swarm.peers;
    let count = 0;
    for (let i = 0; i < peers.length && count < n; i++) {
      const j = i + Math.floor(Math.random() * (peers.length - i));
      const a = peers[i]!;
      const b = peers[j]!;
      peers[i] = b;
      peers[j] = a;
      b.index = i;
      a.index = j;
      if (b !== self && !b.conn.closed) out[count++] = b;
    }
    return count;
  }
}
