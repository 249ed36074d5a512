import net from 'node:net';
import { bdecode, bencode } from '../../bittorrent/bencode.js';
import type { BencodeValue, Decoded } from '../../bittorrent/bencode.js';
import type { Family } from './fixtures.js';
import { LOOPBACK } from './fixtures.js';

/**
 * Our own raw HTTP/1.1 client for the tracker tests: requests are written byte for byte on a
 * node:net socket and responses are parsed here, so keep-alive, pipelining and malformed
 * requests can be checked exactly (no HTTP library in between).
 */

export interface RawResponse {
  status: number;
  reason: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Percent-encodes every byte (how BitTorrent clients send binary values). */
export function encodeBytes(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += `%${x.toString(16).padStart(2, '0')}`;
  return s;
}

export interface AnnounceParams {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  port: number;
  left?: number;
  uploaded?: number;
  downloaded?: number;
  event?: 'started' | 'completed' | 'stopped' | '';
  numwant?: number;
  compact?: 0 | 1;
  /** Extra raw `name=value` pairs appended as given. */
  extra?: string;
}

/** The request target of an announce. */
export function announcePath(p: AnnounceParams): string {
  const q = [
    `info_hash=${encodeBytes(p.infoHash)}`,
    `peer_id=${encodeBytes(p.peerId)}`,
    `port=${p.port}`,
    `uploaded=${p.uploaded ?? 0}`,
    `downloaded=${p.downloaded ?? 0}`,
    `left=${p.left ?? 1000}`,
    `compact=${p.compact ?? 1}`,
  ];
  if (p.event !== undefined) q.push(`event=${p.event}`);
  if (p.numwant !== undefined) q.push(`numwant=${p.numwant}`);
  if (p.extra !== undefined) q.push(p.extra);
  return `/announce?${q.join('&')}`;
}

/** The request target of a scrape for these info hashes (BEP 48: `info_hash` repeated). */
export function scrapePath(hashes: readonly Uint8Array[]): string {
  return `/scrape?${hashes.map((h) => `info_hash=${encodeBytes(h)}`).join('&')}`;
}

/** A GET request head. */
export function getRequest(target: string, headers: Record<string, string> = {}): string {
  let s = `GET ${target} HTTP/1.1\r\nHost: tracker\r\nUser-Agent: shoal-e2e\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

/** One TCP connection to the tracker with a response parser over the received bytes. */
export class HttpConn {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  private ended = false;
  private closed = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.ended = true;
      this.notify();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.notify();
    });
  }

  /** Connects to `port` on the loopback address of `family` (or to `host`). */
  static open(port: number, family: Family, host = LOOPBACK[family]): Promise<HttpConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, family, noDelay: true });
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new HttpConn(s));
      });
    });
  }

  /** Writes raw bytes in one write. */
  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** True once the server closed its side. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Bytes received and not yet consumed as a response. */
  get unread(): number {
    return this.buf.length;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private waitForData(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const left = deadline - Date.now();
      if (left <= 0) {
        reject(new Error('timed out waiting for the tracker'));
        return;
      }
      const t = setTimeout(() => {
        this.wake = null;
        reject(new Error('timed out waiting for the tracker'));
      }, left);
      this.wake = (): void => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Reads the next complete response (Content-Length framed). */
  async read(timeoutMs = 3000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.tryParse();
      if (r !== null) return r;
      if (this.error !== null) throw this.error;
      if (this.ended) {
        throw new Error(`connection ended with ${this.buf.length} unparsed bytes`);
      }
      await this.waitForData(deadline);
    }
  }

  private tryParse(): RawResponse | null {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const head = this.buf.toString('latin1', 0, end).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(head[0] ?? '');
    if (m === null) throw new Error(`bad status line: ${JSON.stringify(head[0])}`);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`bad header line: ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name in headers) throw new Error(`duplicate header ${name}`);
      headers[name] = line.slice(colon + 1).trim();
    }
    const lenText = headers['content-length'];
    if (lenText === undefined || !/^\d+$/.test(lenText)) {
      throw new Error(`response without a valid Content-Length: ${head.join(' | ')}`);
    }
    const len = Number(lenText);
    const bodyStart = end + 4;
    if (this.buf.length < bodyStart + len) return null;
    const body = Buffer.from(this.buf.subarray(bodyStart, bodyStart + len));
    this.buf = this.buf.subarray(bodyStart + len);
    return { status: Number(m[1]), reason: m[2] ?? '', headers, body };
  }

  /** Resolves true once the server has closed the connection, false after `timeoutMs`. */
  async waitEnded(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      try {
        await this.waitForData(deadline);
      } catch {
        return this.ended;
      }
    }
    return true;
  }

  /** Waits `ms` and reports whether any byte or a close arrived meanwhile. */
  async quietFor(ms: number): Promise<boolean> {
    const before = this.buf.length;
    await new Promise((r) => setTimeout(r, ms));
    return this.buf.length === before && !this.ended;
  }

  close(): void {
    if (!this.closed) this.socket.destroy();
  }
}

/** One request on a fresh connection; the connection is closed afterwards. */
export async function httpGet(
  port: number,
  family: Family,
  target: string,
  headers: Record<string, string> = {},
  host?: string,
): Promise<RawResponse> {
  const c = await HttpConn.open(port, family, host);
  try {
    c.write(getRequest(target, headers));
    return await c.read();
  } finally {
    c.close();
  }
}

/** A decoded bencoded dictionary. */
export type Dict = { [key: string]: Decoded };

/** A decoded value in a form `bencode` re-encodes byte for byte (dictionary keys as bytes). */
function reencodable(v: Decoded): BencodeValue {
  if (typeof v === 'number' || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(reencodable);
  const m = new Map<Uint8Array, BencodeValue>();
  for (const [k, x] of Object.entries(v)) m.set(Buffer.from(k, 'latin1'), reencodable(x));
  return m;
}

/**
 * Decodes a 200 response's body as a bencoded dictionary, and checks that the body is the
 * canonical encoding (BEP 3: dictionary keys sorted as raw bytes, each once; plain integers).
 */
export function bodyDict(res: RawResponse): Dict {
  if (res.status !== 200) throw new Error(`HTTP ${res.status} ${res.reason}`);
  if (res.headers['content-type'] !== 'text/plain') {
    throw new Error(`Content-Type ${String(res.headers['content-type'])}`);
  }
  const v = bdecode(res.body);
  if (!bencode(reencodable(v)).equals(res.body)) {
    throw new Error(`reply is not canonical bencode: ${res.body.toString('latin1')}`);
  }
  if (typeof v !== 'object' || Buffer.isBuffer(v) || Array.isArray(v)) {
    throw new Error('reply is not a dictionary');
  }
  return v;
}

/** A dictionary reply that must not be a failure. */
export function okDict(res: RawResponse): Dict {
  const d = bodyDict(res);
  const f = d['failure reason'];
  if (f !== undefined)
    throw new Error(`tracker failure: ${Buffer.isBuffer(f) ? f.toString() : '?'}`);
  return d;
}

/** The `failure reason` text of a reply (throws if there is none). */
export function failureReason(res: RawResponse): string {
  const f = bodyDict(res)['failure reason'];
  if (!Buffer.isBuffer(f)) throw new Error('reply has no failure reason');
  return f.toString('utf8');
}

export function intField(d: Dict, key: string): number {
  const v = d[key];
  if (typeof v !== 'number') throw new Error(`${key} is not an integer`);
  return v;
}

export function bytesField(d: Dict, key: string): Buffer {
  const v = d[key];
  if (!Buffer.isBuffer(v)) throw new Error(`${key} is not a byte string`);
  return v;
}

export function dictField(d: Dict, key: string): Dict {
  const v = d[key];
  if (typeof v !== 'object' || Buffer.isBuffer(v) || Array.isArray(v)) {
    throw new Error(`${key} is not a dictionary`);
  }
  return v;
}

/** Announces on a fresh connection; returns the (non-failure) reply dictionary. */
export async function announce(port: number, family: Family, p: AnnounceParams): Promise<Dict> {
  return okDict(await httpGet(port, family, announcePath(p)));
}

/** Scrapes on a fresh connection; returns the `files` dictionary keyed by latin1 info hash. */
export async function scrape(
  port: number,
  family: Family,
  hashes: readonly Uint8Array[],
): Promise<Dict> {
  return dictField(okDict(await httpGet(port, family, scrapePath(hashes))), 'files');
}

/** The latin1 key bdecode uses for a 20-byte info hash. */
export function hashKey(h: Uint8Array): string {
  return Buffer.from(h).toString('latin1');
}
