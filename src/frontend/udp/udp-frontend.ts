import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { AnnounceRequest } from '../../bittorrent/announce.js';
import type { AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import { parseIP } from '../../bittorrent/address.js';
import type { Family } from '../../bittorrent/address.js';
import { ClientError, GENERIC_FAILURE, errorCode } from '../../bittorrent/errors.js';
import type { AnnounceEvent } from '../../bittorrent/event.js';
import type { Logger } from '../../log/logger.js';
import type { SwarmLogic } from '../../middleware/swarm-logic.js';
import { ConnectionIds } from './connection-id.js';
import { passkeyFromUrlData, readUrlData } from './url-data.js';

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
}

/** A synchronous lookup for IP literals: dgram's default goes through dns.lookup + nextTick. */
function literalLookup(
  address: string,
  family: unknown,
  cb: (err: Error | null, address: string, family: number) => void,
): void {
  cb(null, address, address.includes(':') ? 6 : 4);
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
  private readonly ids: ConnectionIds;
  private readonly sockets: dgram.Socket[] = [];
  private readonly ipBuf = Buffer.alloc(16);
  /** Last parsed source address text and its family (consecutive packets often share it). */
  private lastAddr = '';
  private lastFamily: Family | 0 = 0;
  private lastIp = Buffer.alloc(16);
  private inFlight = 0;
  private closing = false;
  private drained: (() => void) | null = null;

  constructor(logic: SwarmLogic, cfg: UdpFrontendConfig, log: Logger, now?: () => number) {
    this.logic = logic;
    this.cfg = cfg;
    this.log = log;
    this.ids = new ConnectionIds(cfg.connectionIdKey, now);
  }

  listen(host: string, port: number, family: Family): Promise<AddressInfo> {
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
    this.sockets.push(sock);
    sock.on('message', (msg, rinfo) => this.onMessage(sock, msg, rinfo));
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: host, port }, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.log.warn({ err, code: 'SHOAL_E_UDP_SOCKET' }, 'udp'));
        resolve(sock.address());
      });
    });
  }

  /** Parses the source address into `lastIp`, reusing the previous parse when it matches. */
  private sourceFamily(address: string): Family | 0 {
    if (address !== this.lastAddr) {
      this.lastFamily = parseIP(address, this.lastIp);
      this.lastAddr = address;
    }
    return this.lastFamily;
  }

  private onMessage(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 16 || this.closing) return;
    const family = this.sourceFamily(rinfo.address);
    if (family === 0) return;
    const ipLen = family === 4 ? 4 : 16;
    const action = msg.readUInt32BE(8);
    try {
      if (action === ACTION_CONNECT) {
        if (msg.readUInt32BE(0) !== PROTOCOL_ID_HI || msg.readUInt32BE(4) !== PROTOCOL_ID_LO)
          return;
        const out = Buffer.allocUnsafe(16);
        out.writeUInt32BE(ACTION_CONNECT, 0);
        msg.copy(out, 4, 12, 16);
        this.ids.issue(this.lastIp, ipLen, out, 8);
        sock.send(out, rinfo.port, rinfo.address);
        return;
      }
      if (action !== ACTION_ANNOUNCE && action !== ACTION_SCRAPE) {
        this.sendError(sock, msg, rinfo, 'unknown action', true);
        return;
      }
      if (!this.ids.verify(this.lastIp, ipLen, msg, 0)) {
        this.sendError(sock, msg, rinfo, 'connection ID expired', true);
        return;
      }
      if (action === ACTION_ANNOUNCE) this.announce(sock, msg, rinfo, family);
      else this.scrape(sock, msg, rinfo);
    } catch (err) {
      this.log.error({ err, code: errorCode(err) }, 'udp request failed');
      this.sendError(sock, msg, rinfo, GENERIC_FAILURE, false);
    }
  }

  private announce(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo, family: Family): void {
    if (msg.length < ANNOUNCE_MIN_LENGTH) {
      this.sendError(sock, msg, rinfo, 'malformed announce', false);
      return;
    }
    const event = msg.readUInt32BE(80);
    if (event > 3) {
      this.sendError(sock, msg, rinfo, 'invalid event', false);
      return;
    }
    const port = msg.readUInt16BE(96);
    if (port === 0) {
      this.sendError(sock, msg, rinfo, 'invalid port', false);
      return;
    }
    const req = new AnnounceRequest();
    req.protocol = 'udp';
    req.infoHash = msg.subarray(16, 36);
    req.infoHashKey = msg.toString('latin1', 16, 36);
    req.peerId = msg.subarray(36, 56);
    req.downloaded = readU64(msg, 56);
    req.left = readU64(msg, 64);
    req.uploaded = readU64(msg, 72);
    req.event = event as AnnounceEvent;
    req.key = msg.readUInt32BE(88);
    const numWant = msg.readInt32BE(92);
    req.numWant = numWant < 0 ? -1 : numWant;
    req.port = port;
    const ipLen = family === 4 ? 4 : 16;
    req.clientIp = Buffer.from(this.lastIp.subarray(0, ipLen));
    req.family = family;
    const peer = Buffer.allocUnsafe(ipLen + 2);
    // BEP 15: the IP field (0 = the sender's) is believed only when the operator says so.
    const ipField = msg.readUInt32BE(84);
    if (this.cfg.trustIpParam && family === 4 && ipField !== 0) peer.writeUInt32BE(ipField, 0);
    else this.lastIp.copy(peer, 0, 0, ipLen);
    peer.writeUInt16BE(port, ipLen);
    req.peer = peer;
    if (msg.length > ANNOUNCE_MIN_LENGTH) {
      const url = readUrlData(msg, ANNOUNCE_MIN_LENGTH);
      if (url === null) {
        this.sendError(sock, msg, rinfo, 'malformed options', false);
        return;
      }
      if (url !== '') req.passkey = passkeyFromUrlData(url);
    }
    const result = this.logic.announce(req);
    if (!(result instanceof Promise)) {
      this.sendAnnounce(sock, msg, rinfo, result);
      return;
    }
    this.track(
      result.then(
        (res) => this.sendAnnounce(sock, msg, rinfo, res),
        (err: unknown) => this.sendCaught(sock, msg, rinfo, err),
      ),
    );
  }

  private sendAnnounce(
    sock: dgram.Socket,
    msg: Buffer,
    rinfo: dgram.RemoteInfo,
    res: AnnounceResponse,
  ): void {
    const peerBytes = res.peerCount * (res.family === 4 ? 6 : 18);
    const out = Buffer.allocUnsafe(20 + peerBytes);
    out.writeUInt32BE(ACTION_ANNOUNCE, 0);
    msg.copy(out, 4, 12, 16);
    out.writeUInt32BE(res.interval, 8);
    out.writeUInt32BE(res.incomplete, 12);
    out.writeUInt32BE(res.complete, 16);
    res.peers.copy(out, 20, 0, peerBytes);
    sock.send(out, rinfo.port, rinfo.address);
  }

  private scrape(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const n = Math.min(
      Math.floor((msg.length - 16) / 20),
      this.cfg.maxScrapeHashes,
      UDP_MAX_SCRAPE,
    );
    if (n <= 0) {
      this.sendError(sock, msg, rinfo, 'malformed scrape', false);
      return;
    }
    const keys: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) keys[i] = msg.toString('latin1', 16 + 20 * i, 36 + 20 * i);
    const result = this.logic.scrape(keys);
    if (!(result instanceof Promise)) {
      this.sendScrape(sock, msg, rinfo, result);
      return;
    }
    this.track(
      result.then(
        (entries) => this.sendScrape(sock, msg, rinfo, entries),
        (err: unknown) => this.sendCaught(sock, msg, rinfo, err),
      ),
    );
  }

  private sendScrape(
    sock: dgram.Socket,
    msg: Buffer,
    rinfo: dgram.RemoteInfo,
    entries: ScrapeEntry[],
  ): void {
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
    sock.send(out, rinfo.port, rinfo.address);
  }

  private sendCaught(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo, err: unknown): void {
    if (err instanceof ClientError) {
      this.sendError(sock, msg, rinfo, err.message, false);
      return;
    }
    this.log.error({ err, code: errorCode(err) }, 'udp request failed');
    this.sendError(sock, msg, rinfo, GENERIC_FAILURE, false);
  }

  /**
   * Sends an error reply. For packets whose sender is not authenticated (`boundToRequest`) the
   * reply is cut to the request's size, so a forged source address gains no amplification.
   */
  private sendError(
    sock: dgram.Socket,
    msg: Buffer,
    rinfo: dgram.RemoteInfo,
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
    sock.send(out, rinfo.port, rinfo.address);
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
    await Promise.all(this.sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Reads a big-endian unsigned 64-bit integer as a Number (exact below 2^53, saturating above). */
function readU64(b: Buffer, off: number): number {
  const hi = b.readUInt32BE(off);
  const lo = b.readUInt32BE(off + 4);
  if (hi >= 0x200000) return Number.MAX_SAFE_INTEGER;
  return hi * 0x100000000 + lo;
}
