import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import { AdminError } from './admin-route.js';
import type { AdminReply, AdminRouteModule } from './admin-route.js';
import { AdminRouter } from './admin-router.js';
import type { AdminToken } from './admin-token.js';

/** Largest request body accepted (JSON lists of entries). */
export const MAX_ADMIN_BODY = 1024 * 1024;

/**
 * The admin listener: node:http (not a hot path), separate from the tracker's ports, routing
 * to route modules (see AdminRouter). Routes marked `auth` need the bearer token and answer
 * 404 when no token is configured: the API is off, not merely locked.
 */
export class AdminServer {
  readonly router = new AdminRouter();
  private readonly token: AdminToken | null;
  private readonly log: Logger;
  private readonly server: http.Server;

  constructor(token: AdminToken | null, log: Logger) {
    this.token = token;
    this.log = log;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.error({ err, code: 'SHOAL_E_ADMIN' }, 'admin request failed');
        if (!res.headersSent)
          send(res, { status: 500, json: error('internal error', 'SHOAL_E_ADMIN') });
        else res.destroy();
      });
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  /** Adds a module of routes (private mode adds its users and torrents routes this way). */
  addRoutes(module: AdminRouteModule): void {
    this.router.add(module);
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) =>
          this.log.error({ err, code: 'SHOAL_E_ADMIN_LISTEN' }, 'admin'),
        );
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin');
    } catch {
      send(res, { status: 400, json: error('malformed request target', 'SHOAL_E_ADMIN_URL') });
      return;
    }
    const m = this.router.match(req.method ?? 'GET', url.pathname);
    if (m === null || (m !== 'method' && m.route.auth && this.token === null)) {
      const off = m !== null && this.token === null;
      send(res, {
        status: 404,
        json: off
          ? error(
              'the admin API is off: configure admin.token (or tokenFile, tokenEnv)',
              'SHOAL_E_ADMIN_OFF',
            )
          : error(`no route ${url.pathname}`, 'SHOAL_E_ADMIN_NOT_FOUND'),
      });
      return;
    }
    if (m === 'method') {
      send(res, {
        status: 405,
        json: error(
          `method ${req.method ?? ''} not allowed on ${url.pathname}`,
          'SHOAL_E_ADMIN_METHOD',
        ),
      });
      return;
    }
    if (m.route.auth && !this.token!.check(req.headers.authorization)) {
      this.log.warn(
        { code: 'SHOAL_W_ADMIN_AUTH', from: req.socket.remoteAddress, path: url.pathname },
        'admin: request without a valid token',
      );
      send(res, {
        status: 401,
        json: error('missing or wrong bearer token', 'SHOAL_E_ADMIN_TOKEN'),
        headers: { 'www-authenticate': 'Bearer' },
      });
      return;
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err; // the connection failed mid-body
      send(res, { status: err.status, json: error(err.message, err.code) });
      return;
    }
    let reply: AdminReply;
    try {
      reply = await m.route.handler({
        params: m.params,
        query: url.searchParams,
        body,
        remoteAddress: req.socket.remoteAddress ?? '',
        log: this.log,
      });
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      reply = { status: err.status, json: error(err.message, err.code) };
    }
    send(res, reply);
  }
}

function error(message: string, code: string): { error: string; code: string } {
  return { error: message, code };
}

function send(
  res: http.ServerResponse,
  reply: AdminReply | { status: number; json: unknown; headers: Record<string, string> },
): void {
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...('headers' in reply ? reply.headers : {}),
  };
  let body: string | Buffer;
  if ('json' in reply) {
    body = JSON.stringify(reply.json);
    headers['content-type'] = 'application/json; charset=utf-8';
  } else {
    body = reply.body;
    headers['content-type'] = reply.contentType;
    if (reply.contentType.startsWith('text/html')) {
      headers['content-security-policy'] = "default-src 'self'; style-src 'self' 'unsafe-inline'";
    }
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(body);
}

/** The request body as JSON: undefined when empty; AdminError 400/413/415 when unusable. */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_ADMIN_BODY) {
      throw new AdminError(
        413,
        'SHOAL_E_ADMIN_BODY_SIZE',
        `body larger than ${MAX_ADMIN_BODY} bytes`,
      );
    }
    chunks.push(c);
  }
  if (size === 0) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new AdminError(
      415,
      'SHOAL_E_ADMIN_CONTENT_TYPE',
      'expected Content-Type: application/json',
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new AdminError(400, 'SHOAL_E_ADMIN_JSON', `malformed JSON: ${(err as Error).message}`);
  }
}
