import type { Hook } from '../middleware/hook.js';
import { ClientListHook } from '../middleware/hooks/client-list-hook.js';
import { InfoHashListHook } from '../middleware/hooks/infohash-list-hook.js';
import { IPListHook } from '../middleware/hooks/ip-list-hook.js';
import { ListHook } from '../middleware/hooks/list-hook.js';
import { AdminError } from './admin-route.js';
import type { AdminRequest, AdminRouteModule } from './admin-route.js';

/** Most entries in one add or remove request. */
export const MAX_ENTRIES_PER_REQUEST = 10_000;

/** The kind of a built-in list hook, as the API names it. */
function kindOf(h: ListHook<unknown>): string {
  if (h instanceof IPListHook) return 'ip-list';
  if (h instanceof InfoHashListHook) return 'infohash-list';
  if (h instanceof ClientListHook) return 'client-list';
  return 'list';
}

function listHook(hooks: ReadonlyMap<string, Hook>, name: string): ListHook<unknown> {
  const h = hooks.get(name);
  if (h === undefined)
    throw new AdminError(404, 'SHOAL_E_ADMIN_NO_LIST', `no hook named "${name}"`);
  if (!(h instanceof ListHook)) {
    throw new AdminError(404, 'SHOAL_E_ADMIN_NO_LIST', `hook "${name}" is not a list`);
  }
  return h as ListHook<unknown>;
}

/** `{ "entries": [string, ...] }`, checked; each entry parsed by the list before any change. */
function entriesOf(req: AdminRequest, list: ListHook<unknown>): string[] {
  const body = req.body as { entries?: unknown } | undefined;
  if (typeof body !== 'object' || body === null || !Array.isArray(body.entries)) {
    throw new AdminError(
      400,
      'SHOAL_E_ADMIN_BODY',
      'expected a JSON body {"entries": [string, ...]}',
    );
  }
  const entries = body.entries as unknown[];
  if (entries.length === 0 || entries.length > MAX_ENTRIES_PER_REQUEST) {
    throw new AdminError(
      400,
      'SHOAL_E_ADMIN_BODY',
      `entries: expected 1 to ${MAX_ENTRIES_PER_REQUEST} strings`,
    );
  }
  entries.forEach((e, i) => {
    if (typeof e !== 'string') {
      throw new AdminError(400, 'SHOAL_E_ADMIN_BODY', `entries.${i}: expected a string`);
    }
    try {
      list.parse(e.trim());
    } catch (err) {
      throw new AdminError(400, 'SHOAL_E_ADMIN_ENTRY', `entries.${i}: ${(err as Error).message}`);
    }
  });
  return entries as string[];
}

/**
 * Allow/deny lists and IP/network bans, through the configured list hooks (a ban list is an
 * `ip-list` hook in `deny` mode). Changes take effect from the next announce and are logged.
 */
export function listRoutes(hooks: ReadonlyMap<string, Hook>): AdminRouteModule {
  return {
    name: 'lists',
    routes: [
      {
        method: 'GET',
        path: '/api/lists',
        auth: true,
        handler: () => {
          const lists = [];
          for (const h of hooks.values()) {
            if (h instanceof ListHook) {
              const l = h as ListHook<unknown>;
              lists.push({ name: l.name, kind: kindOf(l), mode: l.mode });
            }
          }
          return { status: 200, json: { lists } };
        },
      },
      {
        method: 'POST',
        path: '/api/lists/{name}/entries',
        auth: true,
        handler: async (req) => {
          const list = listHook(hooks, req.params.name!);
          const entries = entriesOf(req, list);
          for (const e of entries) await list.add(e);
          req.log.info(
            { admin: 'list-add', list: list.name, entries, from: req.remoteAddress },
            'admin: list entries added',
          );
          return { status: 200, json: { list: list.name, added: entries.length } };
        },
      },
      {
        method: 'DELETE',
        path: '/api/lists/{name}/entries',
        auth: true,
        handler: async (req) => {
          const list = listHook(hooks, req.params.name!);
          const entries = entriesOf(req, list);
          const missing: string[] = [];
          for (const e of entries) if (!(await list.remove(e))) missing.push(e);
          req.log.info(
            { admin: 'list-remove', list: list.name, entries, missing, from: req.remoteAddress },
            'admin: list entries removed',
          );
          return {
            status: 200,
            json: { list: list.name, removed: entries.length - missing.length, missing },
          };
        },
      },
    ],
    openapi: {
      '/api/lists': {
        get: {
          summary: 'The configured list hooks (allow/deny lists and bans)',
          security: [{ bearer: [] }],
          responses: {
            '200': {
              description: 'Every list hook',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Lists' } } },
            },
            '401': { $ref: '#/components/responses/Unauthorized' },
          },
        },
      },
      '/api/lists/{name}/entries': {
        parameters: [{ $ref: '#/components/parameters/ListName' }],
        post: {
          summary: 'Adds entries to a list (info hashes, peer_id prefixes, addresses or networks)',
          security: [{ bearer: [] }],
          requestBody: { $ref: '#/components/requestBodies/Entries' },
          responses: {
            '200': {
              description: 'Added',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { list: { type: 'string' }, added: { type: 'integer' } },
                    required: ['list', 'added'],
                  },
                },
              },
            },
            '400': { $ref: '#/components/responses/BadRequest' },
            '401': { $ref: '#/components/responses/Unauthorized' },
            '404': { $ref: '#/components/responses/NotFound' },
          },
        },
        delete: {
          summary: 'Removes entries from a list',
          security: [{ bearer: [] }],
          requestBody: { $ref: '#/components/requestBodies/Entries' },
          responses: {
            '200': {
              description: 'Removed; `missing` lists the entries that were not there',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      list: { type: 'string' },
                      removed: { type: 'integer' },
                      missing: { type: 'array', items: { type: 'string' } },
                    },
                    required: ['list', 'removed', 'missing'],
                  },
                },
              },
            },
            '400': { $ref: '#/components/responses/BadRequest' },
            '401': { $ref: '#/components/responses/Unauthorized' },
            '404': { $ref: '#/components/responses/NotFound' },
          },
        },
      },
    },
  };
}
