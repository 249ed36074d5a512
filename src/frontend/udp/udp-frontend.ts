import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { AnnounceRequest } from '../../bittorrent/announce.js';
import type { AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import { parseIP } from '../../bittorrent/address.js';
import type { Family } from '../../bittorrent/address.js';
import { ClientError, GENERIC_FAILURE } from '../../bittorrent/errors.js';
import type { AnnounceEvent } from '../../bittorrent/event.js';
import type { Logger } from '../../log/logger.js';
import type { SwarmLogic } from '../../middleware/swarm-logic.js';
import { ConnectionIds } from './connection-id.js';
import { nativeBatchUnavailableReason, openBatchSocket } from './native-batch.js';
import type { BatchSocket } from './native-batch.js';
import { passkeyFromUrlData, readUrlData } from './url-data.js';
import { ErrorLog } from '../../log/error-log.js';
import {
  ACT_ANNOUNCE,
  ACT_CONNECT,
  ACT_SCRAPE,
  PROTO_UDP,
  RES_CLIENT_ERROR,
  RES_OK,
  RES_REJECTED,
  RES_SERVER_ERROR,
} from '../../metrics/request-metrics.js';
import type { RequestMetrics } from '../../metrics/request-metrics.js';

// BEP 15 wire constants.
export const PROTOCOL_ID_HI = 0x417;
export const PROTOCOL_ID_LO = 0x27101980;
export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;
export const ANNOUNCE_MIN_LENGTH = 98;
/** Most info hashes in one UDP scrape: a reply must fit a typical MTU (BEP 15: about 74). */
export const UDP_MAX_SCRAPE = 74;
/**
 * Most peers in one announce reply, so it stays one unfragmented datagram on a 1500-byte path
 * (20-byte header + peers <= 1220 bytes): fragments are often dropped, and the reply stays a
 * bounded multiple of the 98-byte request.
 */
export const UDP_MAX_PEERS_V4 = 200;
export const UDP_MAX_PEERS_V6 = 66;

export interface UdpFrontendConfig {
  /** 16-byte SipHash key for connection IDs; random when undefined. */
  connectionIdKey: Buffer | undefined;
  /** Most info hashes per scrape (at most 74). */
  maxScrapeHashes: number;
  /** Believe the announce's IP field (IPv4 sockets only). */
  trustIpParam: boolean;
  /** Seconds sent as BEP 31 `retry in` with internal failures (UDP carries text only). */
  retryInOnError: number;
  /** Socket buffer sizes in bytes (0: the OS default). */
  socketBufferBytes: number;
  /** Use the native recvmmsg/sendmmsg socket when it is built (falls back to node:dgram). */
  batch: boolean;
}

/** A synchronous lookup for IP literals: dgram's default goes through dns.lookup + nextTick. */
function literalLookup(
  address: string,
  _family: unknown,
  cb: (err: Error | null, address: string, family: number) => void,
): void {
  cb(null, address, address.includes(':') ? 6 : 4);
}

/**
 * The sender of a packet. One instance per socket is reused for every packet handled
 * synchronously; replies sent later (after an asynchronous store) get a `clone()`.
 */
export class UdpSource {
  /** 4 or 16 address bytes (a view; valid while the packet is being handled). */
  ip: Buffer = Buffer.alloc(4);
  family: Family = 4;
  port = 0;
  /** The address as text, for node:dgram replies ('' on the native path). */
  text = '';

  clone(): UdpSource {
    const c = new UdpSource();
    c.ip = Buffer.from(this.ip);
    c.family = this.family;
    c.port = this.port;
    c.text = this.text;
    return c;
  }
}

/** Where replies go: a node:dgram socket or the native batch socket. */
export interface UdpSink {
  send(reply: Buffer, to: UdpSource): void;
  close(): Promise<void>;
  address(): { address: string; port: number };
}

class BatchSink implements UdpSink {
  constructor(private readonly sock: BatchSocket) {}

  send(reply: Buffer, to: UdpSource): void {
    this.sock.send(reply, to.ip, to.family, to.port);
  }

  close(): Promise<void> {
    return this.sock.close();
  }

  address(): { address: string; port: number } {
    return this.sock.address();
  }
}

class DgramSink implements UdpSink {
  constructor(private readonly sock: dgram.Socket) {}

  send(reply: Buffer, to: UdpSource): void {
    this.sock.send(reply, to.port, to.text);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }

  address(): { address: string; port: number } {
    return this.sock.address();
  }
}

/**
 * The UDP tracker frontend (BEP 15, BEP 41). Each packet is checked for length, read at fixed
 * offsets, and answered from a reply sized exactly for its content. Packets that fail the
 * connection-ID check get at most a reply no larger than themselves (no amplification).
 */
export class UdpFrontend {
  private readonly logic: SwarmLogic;
  private readonly cfg: UdpFrontendConfig;
  private readonly log: Logger;
  /** Request failures, at most one line per code per second. */
  private readonly errors: ErrorLog;
  private readonly ids: ConnectionIds;
  private readonly sinks: UdpSink[] = [];
  /** Backing bytes for dgram sources: the last parsed address text is reused when it repeats. */
  private readonly ipBytes = Buffer.alloc(16);
  private readonly ip4 = this.ipBytes.subarray(0, 4);
  private lastAddr = '';
  private lastFamily: Family | 0 = 0;
  private inFlight = 0;
  private closing = false;
  private drained: (() => void) | null = null;
  /** Request counters (null: metrics off, nothing is timed). */
  private readonly metrics: RequestMetrics | null;
  /** Result of the packet being handled (RES_*; -1 when no reply is sent), set by the senders. */
  private result = RES_OK;
  /** The packet being handled finishes later: its callbacks record it. */
  private deferred = false;
  /** `RequestMetrics.start()` of the packet being handled (0: not timed). */
  private startedAt = 0;

  constructor(
    logic: SwarmLogic,
    cfg: UdpFrontendConfig,
    log: Logger,
    now?: () => number,
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
    this.ids = new ConnectionIds(cfg.connectionIdKey, now);
  }

  /** How the sockets do I/O: 'batch' (native recvmmsg/sendmmsg) or 'dgram'. */
  mode: 'batch' | 'dgram' | 'none' = 'none';

  /**
   * Binds a socket: the native batch socket when enabled and built (one JS call per batch of
   * up to 64 datagrams, one sendmmsg for their replies), else node:dgram.
   */
  async listen(host: string, port: number, family: Family): Promise<AddressInfo> {
    if (this.cfg.batch) {
      const src = new UdpSource();
      let sink: BatchSink | null = null;
      const sock = await openBatchSocket({
        host,
        port,
        family,
        bufferBytes: this.cfg.socketBufferBytes,
        onPacket: (msg, ip, fam, srcPort) => {
          src.ip = ip;
          src.family = fam;
          src.port = srcPort;
          this.onPacket(sink!, msg, src);
        },
      });
      if (sock !== null) {
        sink = new BatchSink(sock);
        this.sinks.push(sink);
        this.mode = 'batch';
        const a = sock.address();
        return { address: a.address, port: a.port, family: family === 4 ? 'IPv4' : 'IPv6' };
      }
      if (this.mode === 'none') {
        this.log.info(
          { code: 'SHOAL_I_UDP_DGRAM', reason: nativeBatchUnavailableReason() },
          'native UDP batching unavailable, using node:dgram',
        );
      }
    }
    this.mode = 'dgram';
    return this.listenDgram(host, port, family);
  }

  /** Binds a node:dgram socket. */
  private listenDgram(host: string, port: number, family: Family): Promise<AddressInfo> {
    const opts: dgram.SocketOptions = {
      type: family === 4 ? 'udp4' : 'udp6',
      lookup: literalLookup,
    };
    if (family === 6) opts.ipv6Only = true; // the IPv4 socket takes IPv4; EINVAL on udp4
    if (this.cfg.socketBufferBytes > 0) {
      opts.recvBufferSize = this.cfg.socketBufferBytes;
      opts.sendBufferSize = this.cfg.socketBufferBytes;
    }
    const sock = dgram.createSocket(opts);
    const sink = new DgramSink(sock);
    const src = new UdpSource();
    this.sinks.push(sink);
    sock.on('message', (msg, rinfo) => {
      const fam = this.parseSource(rinfo.address);
      if (fam === 0) return;
      src.family = fam;
      src.ip = fam === 4 ? this.ip4 : this.ipBytes;
      src.port = rinfo.port;
      src.text = rinfo.address;
      this.onPacket(sink, msg, src);
    });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: host, port }, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.log.warn({ err, code: 'SHOAL_E_UDP_SOCKET' }, 'udp'));
        resolve(sock.address());
      });
    });
  }

  /** Adds a sink whose packets arrive through `onPacket` (the native batch socket). */
  attach(sink: UdpSink): void {
    this.sinks.push(sink);
  }

  /** Parses the source address text into `ipBytes`, reusing the previous parse when it matches. */
  private parseSource(address: string): Family | 0 {
    if (address !== this.lastAddr) {
      this.lastFamily = parseIP(address, this.ipBytes);
      this.lastAddr = address;
    }
    return this.lastFamily;
  }

  /** Handles one datagram from `src`; replies go to `sink`. */
  onPacket(sink: UdpSink, msg: Buffer, src: UdpSource): void {
    if (msg.length < 16 || this.closing) return;
    const action = msg.readUInt32BE(8);
    const m = this.metrics;
    if (m === null) {
      this.handle(sink, msg, src, action);
      return;
    }
    this.startedAt = m.start();
    this.result = RES_OK;
    this.deferred = false;
    const family = src.family; // read first: a deferred reply's `src` is reused
    this.handle(sink, msg, src, action);
    if (this.deferred || this.result < 0 || action > ACTION_SCRAPE) return;
    m.record(PROTO_UDP, udpAction(action), family, this.result, this.startedAt);
  }

  /** Records a reply sent after an asynchronous store or hook. */
  private recordLater(action: number, family: Family, result: number, startedAt: number): void {
    if (this.metrics !== null) this.metrics.record(PROTO_UDP, action, family, result, startedAt);
  }

  private handle(sink: UdpSink, msg: Buffer, src: UdpSource, action: number): void {
    try {
      if (action === ACTION_CONNECT) {
        if (msg.readUInt32BE(0) !== PROTOCOL_ID_HI || msg.readUInt32BE(4) !== PROTOCOL_ID_LO) {
          this.result = -1;
          return;
        }
        const out = Buffer.allocUnsafe(16);
        out.writeUInt32BE(ACTION_CONNECT, 0);
        msg.copy(out, 4, 12, 16);
        this.ids.issue(src.ip, src.ip.length, out, 8);
        sink.send(out, src);
        return;
      }
      if (action !== ACTION_ANNOUNCE && action !== ACTION_SCRAPE) {
        this.sendError(sink, msg, src, 'unknown action', true);
        return;
      }
      if (!this.ids.verify(src.ip, src.ip.length, msg, 0)) {
        this.sendError(sink, msg, src, 'connection ID expired', true);
        return;
      }
      if (action === ACTION_ANNOUNCE) this.announce(sink, msg, src);
      else this.scrape(sink, msg, src);
    } catch (err) {
      this.sendCaught(sink, msg, src, err); // a hook's ClientError reaches the client
    }
  }

  private announce(sink: UdpSink, msg: Buffer, src: UdpSource): void {
    if (msg.length < ANNOUNCE_MIN_LENGTH) {
      this.sendError(sink, msg, src, 'malformed announce', false);
      return;
    }
    const event = msg.readUInt32BE(80);
    if (event > 3) {
      this.sendError(sink, msg, src, 'invalid event', false);
      return;
    }
    const port = msg.readUInt16BE(96);
    if (port === 0) {
      this.sendError(sink, msg, src, 'invalid port', false);
      return;
    }
    const family = src.family;
    const req = new AnnounceRequest();
    req.protocol = 'udp';
    // One copy of the ids (the packet may live in memory the native socket reuses for the
    // next batch); infoHash and peerId are views of it.
    const ids = Buffer.allocUnsafe(40);
    msg.copy(ids, 0, 16, 56);
    req.infoHash = ids.subarray(0, 20);
    req.infoHashKey = msg.toString('latin1', 16, 36);
    req.peerId = ids.subarray(20, 40);
    req.downloaded = readU64(msg, 56);
    req.left = readU64(msg, 64);
    req.uploaded = readU64(msg, 72);
    req.event = event as AnnounceEvent;
    req.key = msg.readUInt32BE(88);
    const numWant = msg.readInt32BE(92);
    req.numWant = numWant < 0 ? -1 : numWant;
    req.maxPeers = family === 4 ? UDP_MAX_PEERS_V4 : UDP_MAX_PEERS_V6;
    req.port = port;
    const ipLen = src.ip.length;
    req.family = family;
    const peer = Buffer.allocUnsafe(ipLen + 2);
    req.clientIp = peer.subarray(0, ipLen); // overwritten below only when the IP field is trusted
    // BEP 15: the IP field (0 = the sender's) is believed only when the operator says so.
    const ipField = msg.readUInt32BE(84);
    src.ip.copy(peer, 0, 0, ipLen);
    if (this.cfg.trustIpParam && family === 4 && ipField !== 0) {
      req.clientIp = Buffer.from(src.ip);
      peer.writeUInt32BE(ipField, 0);
    }
    peer.writeUInt16BE(port, ipLen);
    req.peer = peer;
    if (msg.length > ANNOUNCE_MIN_LENGTH) {
      const url = readUrlData(msg, ANNOUNCE_MIN_LENGTH);
      if (url === null) {
        this.sendError(sink, msg, src, 'malformed options', false);
        return;
      }
      if (url !== '') req.passkey = passkeyFromUrlData(url);
    }
    const result = this.logic.announce(req);
    if (!(result instanceof Promise)) {
      this.sendAnnounce(sink, msg, src, result);
      return;
    }
    const to = src.clone();
    const head = Buffer.from(msg.subarray(0, 16));
    const t0 = this.startedAt;
    this.deferred = true;
    this.track(
      result.then(
        (res) => {
          this.sendAnnounce(sink, head, to, res);
          this.recordLater(ACT_ANNOUNCE, to.family, RES_OK, t0);
        },
        (err: unknown) => {
          this.sendCaught(sink, head, to, err);
          this.recordLater(ACT_ANNOUNCE, to.family, this.result, t0);
        },
      ),
    );
  }

  private sendAnnounce(sink: UdpSink, msg: Buffer, to: UdpSource, res: AnnounceResponse): void {
    const peerBytes = res.peerCount * (res.family === 4 ? 6 : 18);
    const out = Buffer.allocUnsafe(20 + peerBytes);
    out.writeUInt32BE(ACTION_ANNOUNCE, 0);
    msg.copy(out, 4, 12, 16);
    out.writeUInt32BE(res.interval, 8);
    out.writeUInt32BE(res.incomplete, 12);
    out.writeUInt32BE(res.complete, 16);
    res.peers.copy(out, 20, 0, peerBytes);
    sink.send(out, to);
  }

  private scrape(sink: UdpSink, msg: Buffer, src: UdpSource): void {
    const n = Math.min(
      Math.floor((msg.length - 16) / 20),
      this.cfg.maxScrapeHashes,
      UDP_MAX_SCRAPE,
    );
    if (n <= 0) {
      this.sendError(sink, msg, src, 'malformed scrape', false);
      return;
    }
    const keys: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) keys[i] = msg.toString('latin1', 16 + 20 * i, 36 + 20 * i);
    const result = this.logic.scrape(keys);
    if (!(result instanceof Promise)) {
      this.sendScrape(sink, msg, src, result);
      return;
    }
    const to = src.clone();
    const head = Buffer.from(msg.subarray(0, 16));
    const t0 = this.startedAt;
    this.deferred = true;
    this.track(
      result.then(
        (entries) => {
          this.sendScrape(sink, head, to, entries);
          this.recordLater(ACT_SCRAPE, to.family, RES_OK, t0);
        },
        (err: unknown) => {
          this.sendCaught(sink, head, to, err);
          this.recordLater(ACT_SCRAPE, to.family, this.result, t0);
        },
      ),
    );
  }

  private sendScrape(sink: UdpSink, msg: Buffer, to: UdpSource, entries: ScrapeEntry[]): void {
    const out = Buffer.allocUnsafe(8 + 12 * entries.length);
    out.writeUInt32BE(ACTION_SCRAPE, 0);
    msg.copy(out, 4, 12, 16);
    let o = 8;
    for (const e of entries) {
      out.writeUInt32BE(e.complete, o);
      out.writeUInt32BE(e.downloaded, o + 4);
      out.writeUInt32BE(e.incomplete, o + 8);
      o += 12;
    }
    sink.send(out, to);
  }

  private sendCaught(sink: UdpSink, msg: Buffer, to: UdpSource, err: unknown): void {
    if (err instanceof ClientError) {
      this.sendError(sink, msg, to, err.message, false);
      this.result = RES_REJECTED;
      return;
    }
    this.errors.report(err, 'udp request failed');
    this.sendError(sink, msg, to, GENERIC_FAILURE, false);
    this.result = RES_SERVER_ERROR;
  }

  /**
   * Sends an error reply. For packets whose sender is not authenticated (`boundToRequest`) the
   * reply is cut to the request's size, so a forged source address gains no amplification.
   */
  private sendError(
    sink: UdpSink,
    msg: Buffer,
    to: UdpSource,
    message: string,
    boundToRequest: boolean,
  ): void {
    let len = 8 + Buffer.byteLength(message);
    if (boundToRequest && len > msg.length) len = msg.length;
    if (len > 1024) len = 1024;
    const out = Buffer.allocUnsafe(len);
    out.writeUInt32BE(ACTION_ERROR, 0);
    msg.copy(out, 4, 12, 16);
    out.write(message, 8, len - 8, 'utf8');
    sink.send(out, to);
    this.result = RES_CLIENT_ERROR;
  }

  private track(p: Promise<void>): void {
    this.inFlight++;
    void p.finally(() => {
      this.inFlight--;
      if (this.inFlight === 0 && this.drained !== null) this.drained();
    });
  }

  /** Stops receiving, waits for in-flight replies (up to `graceMs`), closes the sockets. */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        this.drained = (): void => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}

/** The metrics index of a BEP 15 action (0-2). */
function udpAction(action: number): number {
  return action === ACTION_CONNECT
    ? ACT_CONNECT
    : action === ACTION_ANNOUNCE
      ? ACT_ANNOUNCE
      : ACT_SCRAPE;
}

/** Reads a big-endian unsigned 64-bit integer as a Number (exact below 2^53, saturating above). */
function readU64(b: Buffer, off: number): number {
  const hi = b.readUInt32BE(off);
  const lo = b.readUInt32BE(off + 4);
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
  return hi * 0x100000000 + lo;
}
