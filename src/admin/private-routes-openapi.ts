/**
 * The OpenAPI 3.1 `paths` of the private-mode routes (private-routes.ts). Kept apart so
 * scripts/write-openapi.mjs can add them to docs/admin-openapi.json without a database: the
 * file documents every route, a public tracker's /openapi.json only the ones it serves.
 */

const err = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const json = (description: string, schema: unknown): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema } },
});

const user = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    passkey: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
    enabled: { type: 'boolean', description: 'False: every announce and scrape is refused' },
    canLeech: {
      type: 'boolean',
      description: 'False: may only seed (announces with left > 0 refused)',
    },
    uploaded: { type: 'integer', description: 'Credited bytes (after factors)' },
    downloaded: { type: 'integer', description: 'Credited bytes (after factors)' },
  },
  required: ['id', 'passkey', 'enabled', 'canLeech', 'uploaded', 'downloaded'],
};

const hex40 = { type: 'string', pattern: '^[0-9a-fA-F]{40}$' };
const factor = { type: 'number', minimum: 0, maximum: 999 };
const preset = {
  enum: ['normal', 'freeleech', 'neutral', 'double-upload'],
  description:
    'Instead of the factors: normal (1, 1), freeleech (download 0), neutral (both 0), ' +
    'double-upload (upload 2)',
};

const torrent = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    infoHash: {
      type: 'string',
      pattern: '^[0-9a-f]{40}$',
      description: 'v1 (or truncated v2 of a v2-only torrent)',
    },
    infoHashV2: {
      type: ['string', 'null'],
      pattern: '^[0-9a-f]{40}$',
      description: 'The truncated v2 hash of a hybrid torrent',
    },
    downloadFactor: { type: 'number', description: '0 = freeleech' },
    uploadFactor: { type: 'number', description: '2 = double upload' },
    seeders: { type: 'integer' },
    leechers: { type: 'integer' },
    snatches: { type: 'integer' },
  },
  required: [
    'id',
    'infoHash',
    'infoHashV2',
    'downloadFactor',
    'uploadFactor',
    'seeders',
    'leechers',
    'snatches',
  ],
};

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1 },
};
const pageParams = [
  {
    name: 'limit',
    in: 'query',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
  {
    name: 'after',
    in: 'query',
    required: false,
    description: 'Start after this id (the previous page’s `next`)',
    schema: { type: 'integer', minimum: 0, default: 0 },
  },
];
const deleted = json('Deleted', {
  type: 'object',
  properties: { deleted: { const: true }, id: { type: 'integer' } },
  required: ['deleted', 'id'],
});
const body = (schema: unknown, required = true): Record<string, unknown> => ({
  required,
  content: { 'application/json': { schema } },
});

const bad = { $ref: '#/components/responses/BadRequest' };
const auth = { $ref: '#/components/responses/Unauthorized' };
const missing = err('No user or torrent with that id, passkey or hash');
const conflict = err('The passkey or info hash belongs to another user or torrent');
const unsupported = err('The backend cannot do this (the noop backend keeps nothing)');
const down = err('The backend (database) failed');
const security = [{ bearer: [] }];

/** The private-mode routes' OpenAPI `paths` entries. */
export const PRIVATE_OPENAPI_PATHS: Record<string, unknown> = {
  '/api/users': {
    get: {
      summary: 'Private mode: users, by id, a page at a time',
      security,
      parameters: pageParams,
      responses: {
        '200': json('A page of users; `next` is the `after` of the next page (null: last)', {
          type: 'object',
          properties: {
            users: { type: 'array', items: user },
            next: { type: ['integer', 'null'] },
          },
          required: ['users', 'next'],
        }),
        '400': bad,
        '401': auth,
        '503': down,
      },
    },
    post: {
      summary: 'Private mode: adds a user (passkey given, or 32 random hex digits)',
      security,
      requestBody: body(
        {
          type: 'object',
          properties: {
            passkey: user.properties.passkey,
            enabled: { type: 'boolean', default: true },
            canLeech: { type: 'boolean', default: true },
          },
          additionalProperties: false,
        },
        false,
      ),
      responses: {
        '201': json('The user', user),
        '400': bad,
        '401': auth,
        '409': conflict,
        '501': unsupported,
        '503': down,
      },
    },
  },
  '/api/users/{id}': {
    parameters: [idParam],
    get: {
      summary: 'Private mode: one user',
      security,
      responses: {
        '200': json('The user', user),
        '400': bad,
        '401': auth,
        '404': missing,
        '503': down,
      },
    },
    patch: {
      summary: 'Private mode: enables or disables a user, allows or denies leeching',
      security,
      requestBody: body({
        type: 'object',
        properties: { enabled: { type: 'boolean' }, canLeech: { type: 'boolean' } },
        minProperties: 1,
        additionalProperties: false,
      }),
      responses: {
        '200': json('The changed user', user),
        '400': bad,
        '401': auth,
        '404': missing,
        '501': unsupported,
        '503': down,
      },
    },
    delete: {
      summary: 'Private mode: deletes a user (with its peers and snatches)',
      security,
      responses: { '200': deleted, '400': bad, '401': auth, '404': missing, '503': down },
    },
  },
  '/api/users/by-passkey/{passkey}': {
    parameters: [{ name: 'passkey', in: 'path', required: true, schema: user.properties.passkey }],
    get: {
      summary: 'Private mode: the user with this passkey',
      security,
      responses: {
        '200': json('The user', user),
        '400': bad,
        '401': auth,
        '404': missing,
        '503': down,
      },
    },
  },
  '/api/users/{id}/passkey': {
    parameters: [idParam],
    post: {
      summary: 'Private mode: rotates a user’s passkey (the old one stops working at once)',
      security,
      requestBody: body(
        {
          type: 'object',
          properties: {
            passkey: {
              ...user.properties.passkey,
              description: 'The new passkey; absent: 32 random hex digits',
            },
          },
          additionalProperties: false,
        },
        false,
      ),
      responses: {
        '200': json('The user with its new passkey', user),
        '400': bad,
        '401': auth,
        '404': missing,
        '409': conflict,
        '501': unsupported,
        '503': down,
      },
    },
  },
  '/api/torrents': {
    get: {
      summary: 'Private mode: registered torrents, by id, a page at a time',
      security,
      parameters: pageParams,
      responses: {
        '200': json('A page of torrents; `next` is the `after` of the next page (null: last)', {
          type: 'object',
          properties: {
            torrents: { type: 'array', items: torrent },
            next: { type: ['integer', 'null'] },
          },
          required: ['torrents', 'next'],
        }),
        '400': bad,
        '401': auth,
        '503': down,
      },
    },
    post: {
      summary: 'Private mode: registers a torrent',
      security,
      requestBody: body({
        type: 'object',
        properties: {
          infoHash: hex40,
          infoHashV2: { ...hex40, type: ['string', 'null'] },
          downloadFactor: { ...factor, default: 1 },
          uploadFactor: { ...factor, default: 1 },
          preset,
        },
        required: ['infoHash'],
        additionalProperties: false,
      }),
      responses: {
        '201': json('The torrent', torrent),
        '400': bad,
        '401': auth,
        '409': conflict,
        '501': unsupported,
        '503': down,
      },
    },
  },
  '/api/torrents/{id}': {
    parameters: [idParam],
    get: {
      summary: 'Private mode: one torrent',
      security,
      responses: {
        '200': json('The torrent', torrent),
        '400': bad,
        '401': auth,
        '404': missing,
        '503': down,
      },
    },
    patch: {
      summary:
        'Private mode: changes a torrent’s factors (freeleech, neutral, double upload) or v2 hash',
      security,
      requestBody: body({
        type: 'object',
        properties: {
          downloadFactor: factor,
          uploadFactor: factor,
          preset,
          infoHashV2: { ...hex40, type: ['string', 'null'] },
        },
        minProperties: 1,
        additionalProperties: false,
      }),
      responses: {
        '200': json('The changed torrent', torrent),
        '400': bad,
        '401': auth,
        '404': missing,
        '409': conflict,
        '501': unsupported,
        '503': down,
      },
    },
    delete: {
      summary: 'Private mode: unregisters a torrent (announces for it are refused)',
      security,
      responses: { '200': deleted, '400': bad, '401': auth, '404': missing, '503': down },
    },
  },
  '/api/torrents/by-hash/{infoHash}': {
    parameters: [
      {
        name: 'infoHash',
        in: 'path',
        required: true,
        description: 'Either hash of the torrent (v1, or the truncated v2), 40 hex digits',
        schema: hex40,
      },
    ],
    get: {
      summary: 'Private mode: the torrent with this info hash (v1 or v2)',
      security,
      responses: {
        '200': json('The torrent', torrent),
        '400': bad,
        '401': auth,
        '404': missing,
        '503': down,
      },
    },
  },
};
