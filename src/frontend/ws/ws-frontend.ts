import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { AnnounceRequest, AnnounceResponse } from '../../bittorrent/announce.js';
import type { ScrapeEntry } from '../../bittorrent/announce.js';
import { EVENT_STOPPED } from '../../bittorrent/event.js';
import { ClientError, GENERIC_FAILURE } from '../../bittorrent/errors.js';
import { ErrorLog } from '../../log/error-log.js';
import type { Logger } from '../../log/logger.js';
import {
  ACT_ANNOUNCE,
  ACT_SCRAPE,
  PROTO_WS,
  RES_CLIENT_ERROR,
  RES_OK,
  RES_REJECTED,
  RES_SERVER_ERROR,
} from '../../metrics/request-metrics.js';
import type { RequestMetrics } from '../../metrics/request-metrics.js';
import type { SwarmLogic } from '../../middleware/swarm-logic.js';
import { socketAddress } from '../http/client-address.js';
import type { ClientAddress } from '../http/client-address.js';
import type {
  AdoptedStream,
  NativeLink,
  UpgradeHandler,
  UpgradeRequest,
} from '../http/upgrade-handler.js';
import { NativeWsSocket } from './native-ws-socket.js';
import type { WsMessageSink } from './native-ws-socket.js';
import { WsConnection } from './ws-connection.js';
import { parseWsMessage, WsBadMessage } from './ws-message.js';
import type { WsAnnounceMessage, WsScrapeMessage } from './ws-message.js';
import type { WsPeer } from './ws-swarms.js';
import { WsSwarms } from './ws-swarms.js';
import { wsPasskey } from './ws-path.js';

export interface WsFrontendConfig {
  /** Open WebSocket connections at most (all ports together); more get HTTP 503. */
  maxConnections: number;
  /** Largest message accepted; a bigger one closes the connection (1009). */
  maxMessageBytes: number;
  /** Offers forwarded per announce at most (the rest are ignored). */
  maxOffers: number;
  /** Swarms one connection may join. */
  maxSwarmsPerConnection: number;
  /** Messages per second per connection, with bursts of `rateBurst`. */
  ratePerSecond: number;
  rateBurst: number;
  /** Seconds without a message or pong before a connection is closed; pings at half of it. */
  idleTimeout: number;
  /** Seconds between announces, sent as `interval`. */
  interval: number;
  /** Most info hashes in one scrape. */
  maxScrapeHashes: number;
}

/** TLS files for `wss` on the dedicated port. */
export interface WsTlsFiles {
  cert: string;
  key: string;
}

/** Queued outgoing bytes beyond which a socket is not sent offers (a slow or stuck browser). */
const MAX_BUFFERED = 256 * 1024;
/** A connection that keeps sending after being told to slow down is closed. */
const RATE_CLOSE_FACTOR = 2;

const UPGRADE_REFUSED =
  'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

const UPGRADE_NOT_FOUND =
  'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

const UPGRADE_BAD = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

const UPGRADE_VERSION =
  'HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** RFC 6455 4.2.2: the GUID appended to the client's key for Sec-WebSocket-Accept. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A Sec-WebSocket-Key: 16 bytes in base64. */
const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

type ShoalSocket = WebSocket & { shoalConn?: WsConnection; shoalFrontend?: WsFrontend };

// Listeners shared by every socket (EventEmitter calls them with `this` = the socket): no
// closures per connection.
function onSocketMessage(this: ShoalSocket, data: RawData, isBinary: boolean): void {
  const conn = this.shoalConn;
  if (conn !== undefined) this.shoalFrontend!.onMessage(conn, data, isBinary);
}
function onSocketPong(this: ShoalSocket): void {
  const conn = this.shoalConn;
  if (conn !== undefined) conn.lastSeen = Date.now();
}
function onSocketClose(this: ShoalSocket): void {
  const conn = this.shoalConn;
  if (conn !== undefined) this.shoalFrontend!.onClose(conn);
}
function onSocketError(this: ShoalSocket): void {
  this.terminate();
}

/**
 * The WebTorrent tracker: WebSocket signalling for browsers. Browsers announce with JSON
 * messages and WebRTC offers; the tracker forwards each offer to a different random browser of
 * the swarm and relays the answer back to the offer's maker only. Browsers live in this
 * frontend's own swarm table (they have no IP peer to hand out); their counts are added to the
 * PeerStore's counts for every protocol, and HTTP/UDP peers are never offered to browsers.
 *
 * Connections arrive by upgrade on the HTTP port (UpgradeHandler) or on a dedicated port
 * (`listen`, with TLS for wss). One timer serves idle timeouts and pings for all of them.
 */
export class WsFrontend implements UpgradeHandler, WsMessageSink<WsConnection> {
  readonly swarms = new WsSwarms<WsConnection>();
  private readonly logic: SwarmLogic;
  private readonly cfg: WsFrontendConfig;
  private readonly log: Logger;
  private readonly errors: ErrorLog;
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<WsConnection>();
  private readonly servers: (http.Server | https.Server)[] = [];
  private readonly timer: NodeJS.Timeout;
  /** Reused by offer forwarding: the chosen recipients. */
  private readonly picked: WsPeer<WsConnection>[] = [];
  private closing = false;
  private drained: (() => void) | null = null;
  /** Request counters (null: metrics off, nothing is timed). */
  private readonly metrics: RequestMetrics | null;

  constructor(
    logic: SwarmLogic,
    cfg: WsFrontendConfig,
    log: Logger,
    metrics: RequestMetrics | null = null,
  ) {
    this.logic = logic;
    this.cfg = cfg;
    this.log = log;
    this.metrics = metrics;
    this.errors = new ErrorLog(
      log,
      1000,
      metrics === null ? null : (code): void => metrics.countError(code),
    );
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false, // we keep our own set
      maxPayload: cfg.maxMessageBytes,
      // Compression costs ~300 KB of zlib state per connection; signalling is small JSON.
      perMessageDeflate: false,
    });
    logic.setExtraCounts(this.swarms);
    // A quarter of the timeout: a socket gets its ping between half and three quarters of the
    // timeout of silence, with time to answer. (A tick of half the timeout could find it quiet
    // for just under half, then for just over the whole: closed without a ping.)
    const tick = Math.max(500, (cfg.idleTimeout * 1000) / 4);
    this.timer = setInterval(() => this.checkIdle(), tick);
    this.timer.unref();
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  accepts(path: string): boolean {
    return wsPasskey(path) !== null;
  }

  /** Takes an upgrade request's socket (from the HTTP port or the dedicated port). */
  upgrade(req: UpgradeRequest, socket: Duplex, head: Buffer, addr: ClientAddress): void {
    const q = req.url.indexOf('?');
    const passkey = wsPasskey(q < 0 ? req.url : req.url.slice(0, q));
    if (passkey === null || this.closing || this.conns.size >= this.cfg.maxConnections) {
      socket.on('error', () => socket.destroy());
      socket.end(passkey === null ? UPGRADE_NOT_FOUND : UPGRADE_REFUSED);
      return;
    }
    this.wss.handleUpgrade(req as unknown as http.IncomingMessage, socket, head, (ws) =>
      this.onOpen(ws, addr, passkey),
    );
  }

  /**
   * Takes a connection of the native TCP path where it is: the handshake is answered here and
   * its frames are handled by NativeWsSocket (no net.Socket, no `ws`).
   */
  adopt(
    req: UpgradeRequest,
    link: NativeLink,
    head: Buffer,
    addr: ClientAddress,
  ): AdoptedStream | null {
    const refuse = (reply: string): null => {
      link.write(Buffer.from(reply, 'latin1'));
      link.end();
      return null;
    };
    const q = req.url.indexOf('?');
    const passkey = wsPasskey(q < 0 ? req.url : req.url.slice(0, q));
    if (passkey === null) return refuse(UPGRADE_NOT_FOUND);
    const key = req.headers['sec-websocket-key'];
    if (req.method !== 'GET' || key === undefined || !WS_KEY.test(key)) {
      return refuse(UPGRADE_BAD);
    }
    if (req.headers['sec-websocket-version'] !== '13') return refuse(UPGRADE_VERSION);
    if (this.closing || this.conns.size >= this.cfg.maxConnections) {
      return refuse(UPGRADE_REFUSED);
    }
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    // No subprotocol or extension is negotiated: WebTorrent uses neither.
    link.write(
      Buffer.from(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
        'latin1',
      ),
    );
    const socket = new NativeWsSocket<WsConnection>(link, this, this.cfg.maxMessageBytes);
    const conn = new WsConnection(
      socket,
      addr.ip,
      addr.family,
      passkey,
      this.cfg.rateBurst,
      Date.now(),
    );
    socket.conn = conn;
    this.conns.add(conn);
    if (head.length > 0) socket.onData(head);
    return socket;
  }

  /** A pong from a browser (native path). */
  onPong(conn: WsConnection): void {
    conn.lastSeen = Date.now();
  }

  private onOpen(ws: ShoalSocket, addr: ClientAddress, passkey: string): void {
    const now = Date.now();
    const conn = new WsConnection(ws, addr.ip, addr.family, passkey, this.cfg.rateBurst, now);
    ws.shoalConn = conn;
    ws.shoalFrontend = this;
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
    this.conns.add(conn);
    if (this.closing) ws.close(1001, 'shutting down');
  }

  /** A message from a browser; never throws. */
  onMessage(conn: WsConnection, data: RawData, isBinary: boolean): void {
    if (conn.closed) return;
    const now = Date.now();
    conn.lastSeen = now;
    const cfg = this.cfg;
    if (!conn.take(now, cfg.ratePerSecond, cfg.rateBurst)) {
      if (conn.tokens < -cfg.rateBurst * RATE_CLOSE_FACTOR) {
        conn.socket.close(1008, 'rate limit exceeded');
        return;
      }
      this.record(conn, ACT_ANNOUNCE, RES_REJECTED, 0);
      this.sendFailure(conn, undefined, 'too many messages, slow down', undefined);
      return;
    }
    if (isBinary) {
      this.record(conn, ACT_ANNOUNCE, RES_CLIENT_ERROR, 0);
      this.sendFailure(conn, undefined, 'expected a text message', undefined);
      return;
    }
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    const t0 = this.metrics === null ? 0 : this.metrics.start();
    const msg = parseWsMessage(text, cfg.maxOffers, cfg.maxScrapeHashes);
    try {
      if (msg instanceof WsBadMessage) {
        // A message too broken to name its action is counted as an announce, the usual one.
        this.record(
          conn,
          msg.action === 'scrape' ? ACT_SCRAPE : ACT_ANNOUNCE,
          RES_CLIENT_ERROR,
          t0,
        );
        this.sendFailure(conn, msg.action, msg.reason, msg.infoHash);
      } else if (msg.action === 'announce') {
        // An answer is signalling relayed between two browsers, not an announce: not counted.
        if (msg.answer !== null) this.relayAnswer(conn, msg);
        else this.announce(conn, msg, t0);
      } else {
        this.scrape(conn, msg, t0);
      }
    } catch (err) {
      this.errors.report(err, 'websocket message failed');
      this.sendFailure(conn, undefined, GENERIC_FAILURE, undefined);
    }
  }

  private record(conn: WsConnection, action: number, result: number, t0: number): void {
    if (this.metrics !== null) this.metrics.record(PROTO_WS, action, conn.family, result, t0);
  }

  private announce(conn: WsConnection, msg: WsAnnounceMessage, t0: number): void {
    const req = new AnnounceRequest();
    req.protocol = 'ws';
    req.infoHash = Buffer.from(msg.infoHash, 'latin1');
    req.infoHashKey = msg.infoHash;
    req.peerId = Buffer.from(msg.peerId, 'latin1');
    req.left = msg.left ?? Number.MAX_SAFE_INTEGER;
    req.uploaded = msg.uploaded;
    req.downloaded = msg.downloaded;
    req.event = msg.event;
    req.numWant = msg.offers.length;
    req.family = conn.family;
    req.clientIp = conn.ip;
    req.peer = conn.peer;
    req.passkey = conn.passkey;
    let pre: void | Promise<void>;
    try {
      pre = this.logic.runPreHooks(req);
    } catch (err) {
      this.sendCaught(conn, err, msg.infoHash, ACT_ANNOUNCE, t0);
      return;
    }
    if (pre === undefined) {
      this.admit(conn, msg, req, t0);
      return;
    }
    pre.then(
      () => this.admit(conn, msg, req, t0),
      (err: unknown) => this.sendCaught(conn, err, msg.infoHash, ACT_ANNOUNCE, t0),
    );
  }

  /** The announce passed the hooks: update the swarm, reply with counts, forward offers. */
  private admit(
    conn: WsConnection,
    msg: WsAnnounceMessage,
    req: AnnounceRequest,
    t0: number,
  ): void {
    if (conn.closed) return;
    const key = msg.infoHash;
    // By info hash and peer id: clients in one process may share a socket (bittorrent-tracker
    // pools sockets per tracker URL), each its own peer of the swarm.
    const joinKey = key + msg.peerId;
    const joined = (conn.joined ??= new Map<string, WsPeer<WsConnection>>());
    let peer = joined.get(joinKey);
    if (msg.event === EVENT_STOPPED) {
      if (peer !== undefined) {
        this.swarms.leave(peer);
        joined.delete(joinKey);
      }
      peer = undefined;
    } else {
      if (peer === undefined && joined.size >= this.cfg.maxSwarmsPerConnection) {
        this.record(conn, ACT_ANNOUNCE, RES_REJECTED, t0);
        this.sendFailure(conn, 'announce', 'too many torrents on one connection', key);
        return;
      }
      peer = this.swarms.join(key, msg.peerId, conn, msg.left === 0, this.onEvicted);
      peer.uploaded = msg.uploaded;
      peer.downloaded = msg.downloaded;
      joined.set(joinKey, peer);
    }
    const counts = this.logic.scrape([key]);
    if (counts instanceof Promise) {
      counts.then(
        (entries) => {
          this.record(conn, ACT_ANNOUNCE, RES_OK, t0);
          this.reply(conn, msg, req, entries[0]!, peer);
        },
        (err: unknown) => this.sendCaught(conn, err, key, ACT_ANNOUNCE, t0),
      );
    } else {
      this.record(conn, ACT_ANNOUNCE, RES_OK, t0);
      this.reply(conn, msg, req, counts[0]!, peer);
    }
  }

  private readonly onEvicted = (peer: WsPeer<WsConnection>): void => {
    const joined = peer.conn.joined;
    const joinKey = peer.swarm.key + peer.peerId;
    if (joined !== null && joined.get(joinKey) === peer) joined.delete(joinKey);
  };

  private reply(
    conn: WsConnection,
    msg: WsAnnounceMessage,
    req: AnnounceRequest,
    counts: ScrapeEntry,
    peer: WsPeer<WsConnection> | undefined,
  ): void {
    if (conn.closed) return;
    const res = new AnnounceResponse();
    res.interval = this.cfg.interval;
    res.complete = counts.complete;
    res.incomplete = counts.incomplete;
    res.downloaded = counts.downloaded;
    // Built as text (the same bytes JSON.stringify would give for this object, in this order).
    const ih = peer === undefined ? JSON.stringify(msg.infoHash) : peer.swarm.keyJson;
    conn.socket.send(
      `{"action":"announce","interval":${res.interval},"info_hash":${ih},"complete":${res.complete},"incomplete":${res.incomplete}}`,
    );
    if (peer !== undefined && msg.offers.length > 0 && peer.swarm.byId.get(peer.peerId) === peer) {
      this.forwardOffers(peer, msg);
    }
    this.logic.schedulePostHooks(req, res);
  }

  /** Each offer to a different random peer of the swarm (never back to its maker). */
  private forwardOffers(from: WsPeer<WsConnection>, msg: WsAnnounceMessage): void {
    const picked = this.picked;
    const n = this.swarms.pickOthers(from, msg.offers.length, picked);
    if (n > 0) {
      // The part every forwarded offer shares, serialised once.
      const tail = `,"peer_id":${JSON.stringify(msg.peerId)},"info_hash":${from.swarm.keyJson}}`;
      for (let i = 0; i < n; i++) {
        const to = picked[i]!;
        const offer = msg.offers[i]!;
        const socket = to.conn.socket;
        if (socket.bufferedAmount > MAX_BUFFERED) continue;
        to.conn.rememberOffer(offer.offerId, from);
        socket.send(
          `{"action":"announce","offer":${offer.offerJson},"offer_id":${JSON.stringify(offer.offerId)}${tail}`,
        );
      }
    }
    picked.length = 0;
  }

  /**
   * Relays an answer to the browser whose offer this socket received; anything else (an offer
   * never sent here, another maker, a maker that left) is dropped without a reply.
   */
  private relayAnswer(conn: WsConnection, msg: WsAnnounceMessage): void {
    const offers = conn.offers;
    const maker = offers?.get(msg.offerId);
    if (maker === undefined || maker.peerId !== msg.toPeerId || maker.swarm.key !== msg.infoHash) {
      return;
    }
    offers!.delete(msg.offerId);
    // Only a peer this socket announced (through the hooks) may answer.
    if (conn.joined?.get(msg.infoHash + msg.peerId) === undefined) return;
    if (maker.conn.closed || maker.swarm.byId.get(maker.peerId) !== maker) return;
    maker.conn.socket.send(
      `{"action":"announce","answer":${JSON.stringify(msg.answer)},"offer_id":${JSON.stringify(msg.offerId)},"peer_id":${JSON.stringify(msg.peerId)},"info_hash":${JSON.stringify(msg.infoHash)}}`,
    );
  }

  private scrape(conn: WsConnection, msg: WsScrapeMessage, t0: number): void {
    if (msg.infoHashes.length === 0) {
      this.record(conn, ACT_SCRAPE, RES_CLIENT_ERROR, t0);
      this.sendFailure(conn, 'scrape', 'full scrape is not enabled', undefined);
      return;
    }
    const send = (entries: ScrapeEntry[]): void => {
      this.record(conn, ACT_SCRAPE, RES_OK, t0);
      if (conn.closed) return;
      const files: Record<string, { complete: number; incomplete: number; downloaded: number }> =
        {};
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        files[msg.infoHashes[i]!] = {
          complete: e.complete,
          incomplete: e.incomplete,
          downloaded: e.downloaded,
        };
      }
      conn.socket.send(
        JSON.stringify({
          action: 'scrape',
          files,
          flags: { min_request_interval: this.cfg.interval },
        }),
      );
    };
    const r = this.logic.scrape(msg.infoHashes);
    if (r instanceof Promise) {
      r.then(send, (err: unknown) => this.sendCaught(conn, err, undefined, ACT_SCRAPE, t0));
    } else {
      send(r);
    }
  }

  /** Counts the failed request and sends the client a ClientError's text or the generic one. */
  private sendCaught(
    conn: WsConnection,
    err: unknown,
    infoHash: string | undefined,
    action: number,
    t0: number,
  ): void {
    this.record(conn, action, err instanceof ClientError ? RES_REJECTED : RES_SERVER_ERROR, t0);
    if (err instanceof ClientError) {
      this.sendFailure(conn, 'announce', err.message.slice(0, 512), infoHash);
      return;
    }
    this.errors.report(err, 'websocket announce failed');
    this.sendFailure(conn, 'announce', GENERIC_FAILURE, infoHash);
  }

  /** `{ "failure reason": ... }`, with the action and info hash when known (clients match on them). */
  private sendFailure(
    conn: WsConnection,
    action: 'announce' | 'scrape' | undefined,
    reason: string,
    infoHash: string | undefined,
  ): void {
    if (conn.closed) return;
    const m: Record<string, string> = {};
    if (action !== undefined) m.action = action;
    m['failure reason'] = reason;
    if (infoHash !== undefined) m.info_hash = infoHash;
    conn.socket.send(JSON.stringify(m));
  }

  /** A closed socket is `stopped` in every swarm it joined. */
  onClose(conn: WsConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    if (conn.joined !== null) {
      const post = this.logic.hasPostHooks;
      for (const peer of conn.joined.values()) {
        this.swarms.leave(peer);
        if (post) this.postStopped(conn, peer);
      }
      conn.joined = null;
    }
    conn.offers = null;
    this.conns.delete(conn);
    if (this.drained !== null && this.conns.size === 0) this.drained();
  }

  /** Post-hooks (e.g. accounting) hear of a peer whose socket closed as a `stopped` announce. */
  private postStopped(conn: WsConnection, peer: WsPeer<WsConnection>): void {
    const req = new AnnounceRequest();
    req.protocol = 'ws';
    req.infoHash = Buffer.from(peer.swarm.key, 'latin1');
    req.infoHashKey = peer.swarm.key;
    req.peerId = Buffer.from(peer.peerId, 'latin1');
    req.event = EVENT_STOPPED;
    req.left = peer.seeder ? 0 : Number.MAX_SAFE_INTEGER;
    req.uploaded = peer.uploaded;
    req.downloaded = peer.downloaded;
    req.numWant = 0;
    req.family = conn.family;
    req.clientIp = conn.ip;
    req.peer = conn.peer;
    req.passkey = conn.passkey;
    const res = new AnnounceResponse();
    res.interval = this.cfg.interval;
    this.logic.schedulePostHooks(req, res);
  }

  /** One pass over every connection: ping the quiet ones, close the silent ones. */
  private checkIdle(): void {
    const now = Date.now();
    const idle = this.cfg.idleTimeout * 1000;
    for (const conn of this.conns) {
      const quiet = now - conn.lastSeen;
      if (quiet > idle) {
        conn.socket.terminate();
      } else if (quiet >= idle / 2) {
        try {
          conn.socket.ping();
        } catch {
          conn.socket.terminate();
        }
      }
    }
  }

  /**
   * A dedicated WebSocket port: plain HTTP upgrades (or wss with `tls`). Other requests get
   * 426 Upgrade Required. Client addresses are the sockets' (no proxy headers here).
   */
  listen(
    host: string,
    port: number,
    ipv6Only: boolean,
    tls: WsTlsFiles | undefined,
  ): Promise<AddressInfo> {
    const onRequest = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
      res.end('426 Upgrade Required: this port speaks WebSocket (WebTorrent)\n');
    };
    const server =
      tls === undefined
        ? http.createServer(onRequest)
        : https.createServer(
            { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
            onRequest,
          );
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const addr = socketAddress((socket as net.Socket).remoteAddress);
      if (addr === null) {
        socket.destroy();
        return;
      }
      socket.on('error', () => socket.destroy());
      this.upgrade(req as unknown as UpgradeRequest, socket, head, addr);
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, ipv6Only, backlog: 4096 }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error({ err, code: 'SHOAL_E_WS_LISTEN' }, 'ws'));
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting, sends every browser a close frame, and ends the rest after `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    this.logic.setExtraCounts(null);
    const closed = this.servers.map(
      (s) => new Promise<void>((resolve) => s.close(() => resolve())),
    );
    for (const conn of this.conns) conn.socket.close(1001, 'shutting down');
    if (this.conns.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(
          () => {
            for (const conn of this.conns) conn.socket.terminate();
            resolve();
          },
          Math.min(graceMs, 2000),
        );
        this.drained = (): void => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    for (const s of this.servers) s.closeAllConnections();
    await Promise.all(closed);
  }
}
