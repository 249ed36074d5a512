import type { AdminRouteModule } from './admin-route.js';

const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', description: 'What was wrong, for a person' },
    code: { type: 'string', description: 'Stable code (SHOAL_E_ADMIN_*)' },
  },
  required: ['error', 'code'],
};

const errorResponse = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The OpenAPI 3.1 description of the admin listener: this base (info, security, shared
 * components) plus the `openapi` paths of every route module. Served at /openapi.json; a copy
 * is docs/admin-openapi.json (a test keeps the two, and the routes, in step).
 */
export function buildOpenApi(modules: readonly AdminRouteModule[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const m of modules) Object.assign(paths, m.openapi);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shoal admin API',
      version: '1',
      description:
        'The admin listener of the Shoal BitTorrent tracker: metrics, health, the stats page and ' +
        'a JSON API. Routes under /api need `Authorization: Bearer <admin token>` and are off ' +
        '(404) when no token is configured. Errors are JSON {error, code}.',
    },
    servers: [{ url: 'http://127.0.0.1:6970' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: errorSchema,
        Swarm: {
          type: 'object',
          properties: {
            infoHash: { type: 'string', pattern: '^[0-9a-f]{40}$' },
            seeders: { type: 'integer' },
            leechers: { type: 'integer' },
            downloaded: { type: 'integer' },
          },
          required: ['infoHash', 'seeders', 'leechers', 'downloaded'],
        },
        Lists: {
          type: 'object',
          properties: {
            lists: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  kind: { enum: ['ip-list', 'infohash-list', 'client-list', 'list'] },
                  mode: { enum: ['allow', 'deny'] },
                },
                required: ['name', 'kind', 'mode'],
              },
            },
          },
          required: ['lists'],
        },
        Readiness: {
          type: 'object',
          properties: {
            ok: { type: 'boolean' },
            checks: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  ok: { type: 'boolean' },
                  error: { type: 'string' },
                  ms: { type: 'integer' },
                },
                required: ['name', 'ok', 'ms'],
              },
            },
          },
          required: ['ok', 'checks'],
        },
      },
      parameters: {
        ListName: {
          name: 'name',
          in: 'path',
          required: true,
          description: 'The list hook’s name (`name` in `hooks:`, else its type)',
          schema: { type: 'string' },
        },
      },
      requestBodies: {
        Entries: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  entries: {
                    type: 'array',
                    minItems: 1,
                    maxItems: 10000,
                    items: { type: 'string' },
                    description:
                      'As in a list file: 40 hex digits (infohash-list), a peer_id prefix ' +
                      '(client-list), an address or CIDR network (ip-list)',
                  },
                },
                required: ['entries'],
              },
            },
          },
        },
      },
      responses: {
        BadRequest: errorResponse('The request was malformed; `error` says how'),
        Unauthorized: errorResponse('Missing or wrong bearer token'),
        NotFound: errorResponse('No such route or list'),
        Error: errorResponse('Failure'),
      },
    },
  };
}
