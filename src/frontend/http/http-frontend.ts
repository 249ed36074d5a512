import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { AnnounceRequest } from '../../bittorrent/announce.js';
import type { AnnounceResponse, ScrapeEntry } from '../../bittorrent/announce.js';
import { NetworkList } from '../../bittorrent/cidr.js';
import { ClientError, GENERIC_FAILURE } from '../../bittorrent/errors.js';
import {
  announceSizeBound,
  failureSizeBound,
  scrapeSizeBound,
  writeAnnounce,
  writeFailure,
  writeScrape,
} from '../../bittorrent/response-writer.js';
import type { Logger } from '../../log/logger.js';
import type { SwarmLogic } from '../../middleware/swarm-logic.js';
import { forwardedAddress, socketAddress } from './client-address.js';
import type { ClientAddress } from './client-address.js';
import { parseAnnounceQuery, parseScrapeQuery } from './query.js';
import { openNativeTcp } from './native-tcp.js';
import type { NativeTcpServer } from './native-tcp.js';
import { parseHeaderLines } from './upgrade-handler.js';
import type { AdoptedStream, UpgradeHandler, UpgradeRequest } from './upgrade-handler.js';
import { NativeWire, NetWire } from './wire.js';
import type { Wire } from './wire.js';
import { ErrorLog } from '../../log/error-log.js';
import {
  ACT_ANNOUNCE,
  ACT_SCRAPE,
  PROTO_HTTP,
  RES_CLIENT_ERROR,
  RES_OK,
  RES_REJECTED,
  RES_SERVER_ERROR,
} from '../../metrics/request-metrics.js';
import type { RequestMetrics } from '../../metrics/request-metrics.js';
import type { FullScrape, FullScrapeResult } from './full-scrape.js';
import tls from 'node:tls';

export interface HttpFrontendConfig {
  /** Open HTTP connections at most; more are closed on accept. */
  maxConnections: number;
  /**
   * Further connections a listener holds for upgraded ones (WebSocket, which keeps its own
   * cap): the listeners' limit is the sum, so browsers never crowd out HTTP clients and the
   * HTTP cap never turns browsers away. Default 0.
   */
  maxUpgraded?: number;
  /** Largest request line plus headers, in bytes. */
  maxRequestBytes: number;
  /** Seconds a client may take to send a complete request head once it started one. */
  headerTimeout: number;
  /** Seconds a keep-alive connection may stay idle. */
  idleTimeout: number;
  /** Believe `ip`, `ipv4`, `ipv6` query parameters. */
  trustIpParam: boolean;
  /** Networks of reverse proxies whose `proxyHeader` is believed. */
  trustedProxies: readonly string[];
  /** Header carrying the client address behind a proxy (lower case), e.g. x-forwarded-for. */
  proxyHeader: string;
  /** Most info hashes in one scrape. */
  maxScrapeHashes: number;
  /** Seconds sent as BEP 31 `retry in` with internal failures. */
  retryInOnError: number;
  /** Use the native accept/read/write path when it is built (falls back to node:net). */
  native: boolean;
  /** Request counters; null or absent: metrics off, nothing is timed. */
  metrics?: RequestMetrics | null;
  /** Answers `GET /scrape` without info_hash; null or absent: full scrape is off. */
  fullScrape?: FullScrape | null;
  /** Private mode: also serve `/<passkey>/announce` and `/<passkey>/scrape`. */
  passkeyPaths?: boolean;
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_200 = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ';
const KEEP = '\r\n\r\n';
const KEEP_10 = '\r\nConnection: keep-alive\r\n\r\n';
const CLOSE = '\r\nConnection: close\r\n\r\n';

/** Outcome of one request for the connection loop. */
const DONE = 0;
const PAUSED = 1;
const CLOSED = 2;

/** Reused body buffer: replies are built here, then copied once into the socket write. */
const BODY = Buffer.alloc(256 * 1024);

/** `buf` as something that outlives the data callback (a copy for ephemeral wires). */
function keep(conn: Conn, buf: Buffer): Buffer {
  return conn.wire.ephemeral ? Buffer.from(buf) : buf;
}

/** Per-connection state; every field initialised here so all connections share one shape. */
class Conn {
  readonly wire: Wire;
  readonly addr: ClientAddress;
  readonly viaProxy: boolean;
  pending: Buffer | null = null;
  /** Millisecond time the unfinished request head started arriving; 0 when none. */
  headStartedAt = 0;
  lastActive: number;
  /** Waiting for an asynchronous reply; later requests stay in `pending` (pipelining order). */
  paused = false;
  /** The last reply is written and the socket is closing: later bytes are ignored. */
  ended = false;
  /** An upgraded native connection's new owner (WebSocket): it gets every later byte. */
  stream: AdoptedStream | null = null;

  constructor(wire: Wire, addr: ClientAddress, viaProxy: boolean, now: number) {
    this.wire = wire;
    this.addr = addr;
    this.viaProxy = viaProxy;
    this.lastActive = now;
  }
}

/** The result label of a request that threw `err`. */
function caughtResult(err: unknown): number {
  return err instanceof ClientError ? RES_REJECTED : RES_SERVER_ERROR;
}

function lowerEquals(src: Buffer, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((src[start + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** A percent-encoded path segment as UTF-8 text; null when malformed. */
function decodePathSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** The `passkey` parameter of a scrape query ('' when absent or malformed). */
function scrapeQueryPasskey(query: string): string {
  for (const pair of query.split('&')) {
    if (pair.startsWith('passkey=')) return decodePathSegment(pair.slice(8)) ?? '';
  }
  return '';
}

/**
 * The HTTP tracker frontend: a lean HTTP/1.1 server on `net` for GET /announce and GET /scrape.
 * `node:http` is not used because its per-request cost (parser objects, header maps, streams)
 * caps it well below the tracker's target with `Connection: close`; this path parses only what
 * a tracker needs, supports keep-alive and pipelining, bounds request size, and shares one
 * timer across connections for header and idle timeouts.
 */
export class HttpFrontend {
  private readonly logic: SwarmLogic;
  private readonly cfg: HttpFrontendConfig;
  private readonly log: Logger;
  /** Request failures, at most one line per code per second. */
  private readonly errors: ErrorLog;
  private readonly proxies: NetworkList;
  private readonly servers: net.Server[] = [];
  private readonly tlsServers: tls.Server[] = [];
  private readonly metrics: RequestMetrics | null;
  private readonly fullScrape: FullScrape | null;
  private readonly nativeServers: NativeTcpServer[] = [];
  /** How connections are handled: 'native' (addon) or 'net', by the last listener bound. */
  mode: 'native' | 'net' | 'none' = 'none';
  private readonly conns = new Set<Conn>();
  private readonly timer: NodeJS.Timeout;
  private closing = false;
  private drained: (() => void) | null = null;
  /** Takes `Upgrade: websocket` requests (the WebSocket frontend); null: served as plain HTTP. */
  private upgrades: UpgradeHandler | null = null;

  constructor(logic: SwarmLogic, cfg: HttpFrontendConfig, log: Logger) {
    this.logic = logic;
    this.cfg = cfg;
    this.log = log;
    const metrics = cfg.metrics ?? null;
    this.metrics = metrics;
    this.fullScrape = cfg.fullScrape ?? null;
    this.errors = new ErrorLog(
      log,
      1000,
      metrics === null ? null : (code): void => metrics.countError(code),
    );
    this.proxies = new NetworkList(cfg.trustedProxies);
    this.timer = setInterval(() => this.checkTimeouts(), 1000);
    this.timer.unref();
  }

  /** Starts listening (native path when enabled and built); resolves with the bound address. */
  async listen(host: string, port: number, ipv6Only: boolean): Promise<AddressInfo> {
    if (this.cfg.native) {
      const family = ipv6Only ? 6 : 4;
      const server = await openNativeTcp({
        host,
        port,
        family,
        backlog: 4096,
        maxConnections: this.cfg.maxConnections + (this.cfg.maxUpgraded ?? 0),
        handlers: {
          onOpen: (id, ip, fam, _port) => this.onNativeOpen(server!, id, ip, fam),
          onData: (state, data) => {
            if (state !== null) this.onData(state as Conn, data);
          },
          onClose: (state) => {
            if (state !== null) this.onClosed(state as Conn);
          },
        },
      });
      if (server !== null) {
        this.nativeServers.push(server);
        this.mode = 'native';
        const a = server.address();
        return { address: a.address, port: a.port, family: family === 4 ? 'IPv4' : 'IPv6' };
      }
    }
    this.mode = 'net';
    return this.listenNet(host, port, ipv6Only);
  }

  private onNativeOpen(
    server: NativeTcpServer,
    id: number,
    ip: Buffer,
    family: 4 | 6,
  ): Conn | null {
    const wire = new NativeWire(server, id);
    if (this.closing || this.conns.size >= this.cfg.maxConnections) {
      wire.destroy();
      return null;
    }
    const viaProxy = !this.proxies.empty && this.proxies.contains(ip, family);
    const conn = new Conn(wire, { ip, family }, viaProxy, Date.now());
    this.conns.add(conn);
    return conn;
  }

  private onClosed(conn: Conn): void {
    if (conn.wire instanceof NativeWire) conn.wire.closed = true;
    if (conn.stream !== null) {
      conn.stream.onClose();
      return;
    }
    this.conns.delete(conn);
    if (this.drained !== null && this.conns.size === 0) this.drained();
  }

  private listenNet(host: string, port: number, ipv6Only: boolean): Promise<AddressInfo> {
    // No TCP_NODELAY: every reply is one corked write, so Nagle never holds one back, and the
    // setsockopt costs ~10% of a `Connection: close` request (measured with bench/run.js).
    // No server.maxConnections: it would count upgraded sockets until their close completes;
    // onConnection caps HTTP connections and the WebSocket frontend caps upgraded ones.
    const server = net.createServer((s) => this.onConnection(s));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, ipv6Only, backlog: 4096 }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error({ err, code: 'SHOAL_E_HTTP_LISTEN' }, 'http'));
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /**
   * Starts an HTTPS listener: node:tls in front of the same request handling as the node:net
   * path (a TLSSocket is a net.Socket). `setSecureContext` swaps the certificate later.
   */
  listenTls(
    host: string,
    port: number,
    ipv6Only: boolean,
    secure: tls.SecureContextOptions,
  ): Promise<AddressInfo> {
    const server = tls.createServer(secure, (s) => this.onConnection(s));
    // Handshake failures (scanners, expired client clocks) are the client's problem.
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    this.servers.push(server);
    this.tlsServers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, ipv6Only, backlog: 4096 }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error({ err, code: 'SHOAL_E_HTTPS_LISTEN' }, 'https'));
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** Replaces the certificate and key of every HTTPS listener (new connections use them). */
  setSecureContext(secure: tls.SecureContextOptions): void {
    for (const s of this.tlsServers) s.setSecureContext(secure);
  }

  private record(action: number, family: 4 | 6, result: number, startedAt: number): void {
    if (this.metrics !== null) this.metrics.record(PROTO_HTTP, action, family, result, startedAt);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Hands connections that ask to upgrade to `handler` (WebSocket on the HTTP port). */
  setUpgradeHandler(handler: UpgradeHandler | null): void {
    this.upgrades = handler;
  }

  private onConnection(socket: net.Socket): void {
    const addr = socketAddress(socket.remoteAddress);
    if (addr === null || this.closing || this.conns.size >= this.cfg.maxConnections) {
      socket.destroy();
      return;
    }
    const viaProxy = !this.proxies.empty && this.proxies.contains(addr.ip, addr.family);
    const conn = new Conn(new NetWire(socket), addr, viaProxy, Date.now());
    this.conns.add(conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClosed(conn));
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (conn.stream !== null) {
      conn.stream.onData(chunk);
      return;
    }
    if (conn.ended) return; // the last reply is written; ignore the rest
    conn.lastActive = Date.now();
    const data = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
    conn.pending = null;
    if (conn.paused) {
      conn.pending = data === chunk ? keep(conn, data) : data;
      if (data.length > this.cfg.maxRequestBytes * 16) conn.wire.destroy(); // flooding pipeline
      return;
    }
    this.process(conn, data, 0);
  }

  private process(conn: Conn, data: Buffer, pos: number): void {
    const wire = conn.wire;
    wire.cork();
    try {
      while (pos < data.length && !wire.destroyed) {
        const end = data.indexOf(HEAD_END, pos);
        const limit = this.cfg.maxRequestBytes;
        if (end < 0 || end + 4 - pos > limit) {
          if (end >= 0 || data.length - pos > limit) {
            this.sendError(conn, 431, 'Request Header Fields Too Large');
            return;
          }
          conn.pending = keep(conn, data.subarray(pos));
          if (conn.headStartedAt === 0) conn.headStartedAt = Date.now();
          return;
        }
        conn.headStartedAt = 0;
        let r: number;
        try {
          r = this.handle(conn, data, pos, end);
        } catch (err) {
          this.errors.report(err, 'http request failed');
          this.sendError(conn, 500, 'Internal Server Error');
          return;
        }
        pos = end + 4;
        if (r === PAUSED) {
          if (pos < data.length) conn.pending = keep(conn, data.subarray(pos));
          return;
        }
        if (r === CLOSED) return;
      }
    } finally {
      wire.uncork();
    }
  }

  /** Handles one request head `data[start..end)` (without the blank line). */
  private handle(conn: Conn, data: Buffer, start: number, end: number): number {
    const lineEnd = data.indexOf(CRLF, start);
    // Request line: GET SP target SP HTTP/1.x
    if (
      lineEnd - start < 14 ||
      data[start] !== 0x47 ||
      data[start + 1] !== 0x45 ||
      data[start + 2] !== 0x54 ||
      data[start + 3] !== 0x20
    ) {
      const sp = data.indexOf(0x20, start);
      if (sp > start && sp < lineEnd) return this.sendError(conn, 405, 'Method Not Allowed');
      return this.sendError(conn, 400, 'Bad Request');
    }
    let targetStart = start + 4;
    const versionStart = lineEnd - 8;
    if (
      data[versionStart - 1] !== 0x20 ||
      data.toString('latin1', versionStart, lineEnd - 1) !== 'HTTP/1.'
    ) {
      return this.sendError(conn, 400, 'Bad Request');
    }
    const minor = data[lineEnd - 1];
    if (minor !== 0x31 && minor !== 0x30)
      return this.sendError(conn, 505, 'HTTP Version Not Supported');
    const targetEnd = versionStart - 1;
    let keepAlive = minor === 0x31;
    let keepAliveHeader = false;
    let proxyValue: string | null = null;
    let gzip = false;
    let upgrade = false;

    // Headers: only the few a tracker needs are looked at.
    let p = lineEnd + 2;
    while (p < end) {
      let e = data.indexOf(CRLF, p);
      if (e < 0 || e > end) e = end;
      const c = data[p]!;
      if (c === 0x20 || c === 0x09) return this.sendError(conn, 400, 'Bad Request'); // obs-fold
      const colon = data.indexOf(0x3a, p);
      if (colon < 0 || colon > e) return this.sendError(conn, 400, 'Bad Request');
      const nameLen = colon - p;
      if (nameLen === 10 && lowerEquals(data, p, colon, 'connection')) {
        const v = data.toString('latin1', colon + 1, e).toLowerCase();
        if (v.includes('close')) keepAlive = false;
        else if (v.includes('keep-alive') && minor === 0x30) keepAlive = keepAliveHeader = true;
      } else if (
        (nameLen === 14 && lowerEquals(data, p, colon, 'content-length')) ||
        (nameLen === 17 && lowerEquals(data, p, colon, 'transfer-encoding'))
      ) {
        const v = data.toString('latin1', colon + 1, e).trim();
        // GET with a body is not something trackers get; refusing keeps pipelining unambiguous.
        if (v !== '0') return this.sendError(conn, 400, 'Bad Request');
      } else if (nameLen === 7 && lowerEquals(data, p, colon, 'upgrade')) {
        // Only WebSocket upgrades are taken; any other Upgrade is ignored (RFC 9110 7.8).
        upgrade = data
          .toString('latin1', colon + 1, e)
          .toLowerCase()
          .includes('websocket');
      } else if (
        conn.viaProxy &&
        nameLen === this.cfg.proxyHeader.length &&
        lowerEquals(data, p, colon, this.cfg.proxyHeader)
      ) {
        const v = data.toString('latin1', colon + 1, e);
        proxyValue = proxyValue === null ? v : `${proxyValue},${v}`;
      } else if (
        nameLen === 15 &&
        this.fullScrape !== null &&
        lowerEquals(data, p, colon, 'accept-encoding')
      ) {
        gzip = /\bgzip\b/i.test(data.toString('latin1', colon + 1, e));
      }
      p = e + 2;
    }
    if (this.closing) keepAlive = false;
    const tail = keepAlive ? (keepAliveHeader ? KEEP_10 : KEEP) : CLOSE;

    if (data[targetStart] !== 0x2f /* / */) {
      // RFC 9112 absolute-form (`GET http://host/announce?...`): the path starts after the host.
      const scheme = data.indexOf('://', targetStart, 'latin1');
      const slash = scheme < 0 ? -1 : data.indexOf(0x2f, scheme + 3);
      if (slash < 0 || slash >= targetEnd) return this.sendError(conn, 400, 'Bad Request');
      targetStart = slash;
    }
    let q = data.indexOf(0x3f /* ? */, targetStart);
    if (q < 0 || q > targetEnd) q = targetEnd;
    const path = data.toString('latin1', targetStart, q);
    const addr =
      proxyValue === null ? conn.addr : (forwardedAddress(proxyValue, this.proxies) ?? conn.addr);
    if (upgrade && this.upgrades !== null && this.upgrades.accepts(path)) {
      return this.upgrade(
        this.upgrades,
        conn,
        data,
        lineEnd + 2,
        end,
        targetStart,
        targetEnd,
        addr,
      );
    }
    if (path === '/announce') return this.announce(conn, data, q + 1, targetEnd, addr, tail, '');
    if (path === '/scrape') return this.scrape(conn, data, q + 1, targetEnd, addr, tail, gzip, '');
    // Private mode's `/<passkey>/announce`: looked at only once the public routes missed.
    if (this.cfg.passkeyPaths === true) {
      const slash = path.indexOf('/', 1);
      if (slash > 1 && path.indexOf('/', slash + 1) < 0) {
        const passkey = decodePathSegment(path.slice(1, slash));
        const route = path.slice(slash);
        if (passkey !== null && route === '/announce')
          return this.announce(conn, data, q + 1, targetEnd, addr, tail, passkey);
        if (passkey !== null && route === '/scrape')
          return this.scrape(conn, data, q + 1, targetEnd, addr, tail, gzip, passkey);
      }
    }
    return this.sendError(conn, 404, 'Not Found', tail);
  }

  /**
   * Gives the connection to the upgrade handler: the socket itself on the net path; on the
   * native path the connection stays where it is when the handler can adopt it (its bytes and
   * close are passed on), else a net.Socket around the detached file descriptor. This frontend
   * forgets it (no HTTP timeouts, not waited for at close).
   */
  private upgrade(
    handler: UpgradeHandler,
    conn: Conn,
    data: Buffer,
    headersStart: number,
    end: number,
    targetStart: number,
    targetEnd: number,
    addr: ClientAddress,
  ): number {
    const req = {
      method: 'GET',
      url: data.toString('latin1', targetStart, targetEnd),
      headers: parseHeaderLines(data, headersStart, end),
    };
    const wire = conn.wire;
    if (wire instanceof NativeWire && handler.adopt !== undefined) {
      return this.adopt(handler, conn, wire, req, data.subarray(end + 4), addr);
    }
    const head = Buffer.from(data.subarray(end + 4)); // bytes after the head (a copy)
    let socket: net.Socket;
    if (wire instanceof NetWire) {
      socket = wire.socket;
      socket.removeAllListeners('data');
      while (socket.writableCorked > 0) socket.uncork();
      this.conns.delete(conn);
      if (this.drained !== null && this.conns.size === 0) this.drained();
    } else if (wire instanceof NativeWire) {
      const fd = wire.detach(); // onClose follows and removes `conn`
      if (fd < 0) return this.sendError(conn, 503, 'Service Unavailable');
      socket = new net.Socket({ fd, readable: true, writable: true });
    } else {
      return this.sendError(conn, 501, 'Not Implemented');
    }
    conn.ended = true;
    conn.pending = null;
    try {
      handler.upgrade(req, socket, head, addr);
    } catch (err) {
      this.errors.report(err, 'websocket upgrade failed');
      socket.destroy();
    }
    return CLOSED;
  }

  private adopt(
    handler: UpgradeHandler,
    conn: Conn,
    wire: NativeWire,
    req: UpgradeRequest,
    head: Buffer,
    addr: ClientAddress,
  ): number {
    this.conns.delete(conn);
    if (this.drained !== null && this.conns.size === 0) this.drained();
    conn.ended = true;
    conn.pending = null;
    try {
      conn.stream = handler.adopt!(req, wire, head, addr);
    } catch (err) {
      this.errors.report(err, 'websocket upgrade failed');
      wire.destroy();
    }
    return CLOSED;
  }

  private announce(
    conn: Conn,
    data: Buffer,
    qs: number,
    qe: number,
    addr: ClientAddress,
    tail: string,
    passkey: string,
  ): number {
    const t0 = this.metrics === null ? 0 : this.metrics.start();
    const fam = addr.family;
    const req = new AnnounceRequest();
    req.protocol = 'http';
    req.clientIp = addr.ip;
    req.family = addr.family;
    const bad = parseAnnounceQuery(data, qs, qe, req, this.cfg);
    if (bad !== null) {
      this.record(ACT_ANNOUNCE, fam, RES_CLIENT_ERROR, t0);
      return this.sendFailure(conn, bad, undefined, tail);
    }
    if (passkey !== '') req.passkey = passkey; // the path's passkey wins over a query parameter
    let result: AnnounceResponse | Promise<AnnounceResponse>;
    try {
      result = this.logic.announce(req);
    } catch (err) {
      this.record(ACT_ANNOUNCE, fam, caughtResult(err), t0);
      return this.sendCaught(conn, err, tail);
    }
    if (!(result instanceof Promise)) {
      this.record(ACT_ANNOUNCE, fam, RES_OK, t0);
      return this.sendAnnounce(conn, result, req, tail);
    }
    conn.paused = true;
    result.then(
      (res) => {
        this.record(ACT_ANNOUNCE, fam, RES_OK, t0);
        this.resume(conn, () => this.sendAnnounce(conn, res, req, tail));
      },
      (err: unknown) => {
        this.record(ACT_ANNOUNCE, fam, caughtResult(err), t0);
        this.resume(conn, () => this.sendCaught(conn, err, tail));
      },
    );
    return PAUSED;
  }

  private scrape(
    conn: Conn,
    data: Buffer,
    qs: number,
    qe: number,
    addr: ClientAddress,
    tail: string,
    gzip: boolean,
    passkey: string,
  ): number {
    const t0 = this.metrics === null ? 0 : this.metrics.start();
    const fam = addr.family;
    if (passkey === '' && this.cfg.passkeyPaths === true) {
      passkey = scrapeQueryPasskey(data.toString('latin1', qs, qe));
    }
    const parsed = parseScrapeQuery(data, qs, qe, this.cfg.maxScrapeHashes);
    if (typeof parsed === 'string') {
      this.record(ACT_SCRAPE, fam, RES_CLIENT_ERROR, t0);
      return this.sendFailure(conn, parsed, undefined, tail);
    }
    if (parsed.length === 0) {
      // Private mode: a full scrape needs a valid passkey like any other scrape.
      const guard = this.logic.scrapeGuard;
      if (guard !== null && this.fullScrape !== null) {
        try {
          guard(passkey);
        } catch (err) {
          this.record(ACT_SCRAPE, fam, caughtResult(err), t0);
          return this.sendCaught(conn, err, tail);
        }
      }
      return this.fullScrapeReply(conn, addr, tail, gzip, t0);
    }
    // BEP 48 `files` is a dictionary: keys sorted by bytes, each once.
    parsed.sort((x, y) => Buffer.compare(x, y));
    let n = 0;
    for (let i = 0; i < parsed.length; i++) {
      if (n === 0 || !parsed[i]!.equals(parsed[n - 1]!)) parsed[n++] = parsed[i]!;
    }
    parsed.length = n;
    const keys = parsed.map((h) => h.toString('latin1', 0, 20));
    let result: ScrapeEntry[] | Promise<ScrapeEntry[]>;
    try {
      result = this.logic.scrape(keys, passkey);
    } catch (err) {
      this.record(ACT_SCRAPE, fam, caughtResult(err), t0);
      return this.sendCaught(conn, err, tail);
    }
    if (!(result instanceof Promise)) {
      this.record(ACT_SCRAPE, fam, RES_OK, t0);
      return this.sendScrape(conn, parsed, result, tail);
    }
    conn.paused = true;
    result.then(
      (entries) => {
        this.record(ACT_SCRAPE, fam, RES_OK, t0);
        this.resume(conn, () => this.sendScrape(conn, parsed, entries, tail));
      },
      (err: unknown) => {
        this.record(ACT_SCRAPE, fam, caughtResult(err), t0);
        this.resume(conn, () => this.sendCaught(conn, err, tail));
      },
    );
    return PAUSED;
  }

  /** `GET /scrape` without info_hash: every swarm (when enabled), else a failure. */
  private fullScrapeReply(
    conn: Conn,
    addr: ClientAddress,
    tail: string,
    gzip: boolean,
    t0: number,
  ): number {
    const full = this.fullScrape;
    if (full === null) {
      this.record(ACT_SCRAPE, addr.family, RES_REJECTED, t0);
      return this.sendFailure(conn, 'full scrape is not enabled', undefined, tail);
    }
    const send = (r: FullScrapeResult): number => {
      if (typeof r === 'string') {
        this.record(ACT_SCRAPE, addr.family, RES_REJECTED, t0);
        return this.sendFailure(conn, r, undefined, tail);
      }
      this.record(ACT_SCRAPE, addr.family, RES_OK, t0);
      return this.writeBody(conn, gzip ? r.gzip : r.plain, gzip, tail);
    };
    const fail = (err: unknown): number => {
      this.record(ACT_SCRAPE, addr.family, caughtResult(err), t0);
      return this.sendCaught(conn, err, tail);
    };
    let result: FullScrapeResult | Promise<FullScrapeResult>;
    try {
      result = full.reply(addr.ip);
    } catch (err) {
      return fail(err);
    }
    if (!(result instanceof Promise)) return send(result);
    conn.paused = true;
    result.then(
      (r) => this.resume(conn, () => send(r)),
      (err: unknown) => this.resume(conn, () => fail(err)),
    );
    return PAUSED;
  }

  /** Writes a whole bencoded body (optionally gzip-compressed) behind a status line. */
  private writeBody(conn: Conn, body: Buffer, gzip: boolean, tail: string): number {
    const enc = gzip ? '\r\nContent-Encoding: gzip' : '';
    const head = `${STATUS_200}${body.length}${enc}\r\nVary: Accept-Encoding${tail}`;
    conn.wire.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    if (tail === CLOSE) {
      conn.wire.end();
      conn.ended = true;
      return CLOSED;
    }
    return DONE;
  }

  /** Writes a delayed reply, then goes on with requests that arrived meanwhile. */
  private resume(conn: Conn, send: () => number): void {
    conn.paused = false;
    if (conn.wire.destroyed) return;
    conn.wire.cork();
    const r = send();
    conn.wire.uncork();
    const rest = conn.pending;
    conn.pending = null;
    if (r === DONE && rest !== null) this.process(conn, rest, 0);
  }

  private sendAnnounce(
    conn: Conn,
    res: AnnounceResponse,
    req: AnnounceRequest,
    tail: string,
  ): number {
    if (BODY.length < announceSizeBound(res, req.compact)) {
      return this.sendFailure(conn, 'reply too large', undefined, tail);
    }
    const len = writeAnnounce(res, req.compact, req.clientIp, BODY, 0);
    return this.write(conn, len, tail);
  }

  private sendScrape(conn: Conn, hashes: Buffer[], entries: ScrapeEntry[], tail: string): number {
    if (BODY.length < scrapeSizeBound(hashes.length)) {
      return this.sendFailure(conn, 'too many info hashes', undefined, tail);
    }
    const len = writeScrape(hashes, entries, BODY, 0);
    return this.write(conn, len, tail);
  }

  private sendCaught(conn: Conn, err: unknown, tail: string): number {
    if (err instanceof ClientError) return this.sendFailure(conn, err.message, err.retryIn, tail);
    this.errors.report(err, 'announce failed');
    return this.sendFailure(conn, GENERIC_FAILURE, this.cfg.retryInOnError, tail);
  }

  /** BEP 3: failures are HTTP 200 with a bencoded `failure reason`. */
  private sendFailure(
    conn: Conn,
    message: string,
    retryIn: number | undefined,
    tail: string,
  ): number {
    const msg = message.length > 512 ? message.slice(0, 512) : message;
    if (BODY.length < failureSizeBound(Buffer.byteLength(msg)))
      return this.sendError(conn, 500, 'Error');
    const len = writeFailure(msg, retryIn, BODY, 0);
    return this.write(conn, len, tail);
  }

  /** Copies BODY[0..len) behind a status line into one buffer and writes it. */
  private write(conn: Conn, len: number, tail: string): number {
    const head = STATUS_200 + String(len) + tail;
    const out = Buffer.allocUnsafe(head.length + len);
    out.write(head, 0, 'latin1');
    BODY.copy(out, head.length, 0, len);
    conn.wire.write(out);
    if (tail === CLOSE) {
      conn.wire.end();
      conn.ended = true;
      return CLOSED;
    }
    return DONE;
  }

  /**
   * A plain HTTP error. The connection is closed unless `tail` (the request's own keep-alive
   * choice) is given: only for errors after which the byte stream is still in sync.
   */
  private sendError(conn: Conn, status: number, text: string, tail: string = CLOSE): number {
    const body = `${status} ${text}\n`;
    const head = `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}${tail}`;
    conn.wire.write(Buffer.from(head + body, 'latin1'));
    if (tail !== CLOSE) return DONE;
    conn.wire.end();
    conn.ended = true;
    conn.pending = null;
    return CLOSED;
  }

  private checkTimeouts(): void {
    const now = Date.now();
    const head = this.cfg.headerTimeout * 1000;
    const idle = this.cfg.idleTimeout * 1000;
    for (const conn of this.conns) {
      if (conn.paused || conn.wire.destroyed) continue;
      if (conn.headStartedAt !== 0 && now - conn.headStartedAt > head) {
        this.sendError(conn, 408, 'Request Timeout');
      } else if (conn.headStartedAt === 0 && now - conn.lastActive > idle) {
        conn.wire.destroy();
      }
    }
  }

  /**
   * Stops accepting, lets in-flight requests finish, closes idle connections, and resolves when
   * every connection is gone (or destroys the rest after `graceMs`).
   */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    const closed = [
      ...this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ...this.nativeServers.map((s) => s.closeListener()),
    ];
    for (const conn of this.conns) {
      // Busy connections close after their current reply (`this.closing` forces it).
      if (!conn.paused && conn.pending === null) conn.wire.end();
    }
    if (this.conns.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          for (const conn of this.conns) conn.wire.destroy();
          resolve();
        }, graceMs);
        this.drained = (): void => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    await Promise.all(closed);
  }
}
