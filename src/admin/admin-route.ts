import type { Logger } from '../log/logger.js';

/** HTTP methods the admin listener routes. */
export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request as a route handler sees it. */
export interface AdminRequest {
  /** Path parameters by name (`/api/lists/{name}` gives `name`), URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON body (undefined when there is none). */
  body: unknown;
  /** The caller's address, for the change log. */
  remoteAddress: string;
  /** Log changes here (pino): who (remote address) and what. */
  log: Logger;
}

/** A reply: JSON (the default) or raw bytes with their content type. */
export type AdminReply =
  | { status: number; json: unknown }
  | {
      status: number;
      body: string | Buffer;
      contentType: string;
      headers?: Record<string, string>;
    };

/** One route of the admin listener. */
export interface AdminRoute {
  method: AdminMethod;
  /** Path template: literal segments and `{param}` segments, e.g. `/api/swarms/{infoHash}`. */
  path: string;
  /** Needs the bearer token (and is off when no token is configured). */
  auth: boolean;
  handler(req: AdminRequest): AdminReply | Promise<AdminReply>;
}

/**
 * A group of routes added to the admin listener together (the core ones, and later the
 * private-mode users and torrents routes). `openapi` holds the OpenAPI 3.1 `paths` entries of
 * its routes, merged into /openapi.json.
 */
export interface AdminRouteModule {
  name: string;
  routes: AdminRoute[];
  openapi: Record<string, unknown>;
}

/** A request the admin API refuses: a status, a stable code and a message for the caller. */
export class AdminError extends Error {
  override readonly name = 'AdminError';
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
