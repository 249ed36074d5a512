import { ScrapeEntry } from '../bittorrent/announce.js';
import type { PeerStore } from '../store/peer-store.js';
import { AdminError } from './admin-route.js';
import type { AdminRouteModule } from './admin-route.js';
import { topOf } from './stats-snapshot.js';

const HEX40 = /^[0-9a-fA-F]{40}$/;

/** Swarm stats per torrent: the counts of one info hash, and the fullest swarms. */
export function swarmRoutes(store: PeerStore, topScan: number): AdminRouteModule {
  return {
    name: 'swarms',
    routes: [
      {
        method: 'GET',
        path: '/api/swarms/{infoHash}',
        auth: true,
        handler: async (req) => {
          const hex = req.params.infoHash!;
          if (!HEX40.test(hex)) {
            throw new AdminError(
              400,
              'SHOAL_E_ADMIN_INFOHASH',
              `infoHash: expected 40 hex digits, got "${hex.slice(0, 64)}"`,
            );
          }
          const e = new ScrapeEntry();
          await store.scrape(Buffer.from(hex, 'hex').toString('latin1'), e);
          return {
            status: 200,
            json: {
              infoHash: hex.toLowerCase(),
              seeders: e.complete,
              leechers: e.incomplete,
              downloaded: e.downloaded,
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/api/swarms',
        auth: true,
        handler: async (req) => {
          const text = req.query.get('limit') ?? '10';
          const limit = Number(text);
          if (!/^[0-9]{1,4}$/.test(text) || limit < 1 || limit > 1000) {
            throw new AdminError(400, 'SHOAL_E_ADMIN_LIMIT', 'limit: expected 1 to 1000');
          }
          if (store.listSwarms === undefined) {
            throw new AdminError(
              501,
              'SHOAL_E_ADMIN_UNSUPPORTED',
              'the peer store cannot list its swarms (the memory driver can)',
            );
          }
          const top = topOf(await store.listSwarms(topScan), limit);
          return { status: 200, json: { swarms: top, scanned: topScan } };
        },
      },
    ],
    openapi: {
      '/api/swarms/{infoHash}': {
        get: {
          summary: 'One torrent’s swarm: seeders, leechers and completed downloads',
          security: [{ bearer: [] }],
          parameters: [
            {
              name: 'infoHash',
              in: 'path',
              required: true,
              description: 'The info hash, 40 hex digits',
              schema: { type: 'string', pattern: '^[0-9a-fA-F]{40}$' },
            },
          ],
          responses: {
            '200': {
              description: 'The counts (zeros for an unknown torrent)',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Swarm' } } },
            },
            '400': { $ref: '#/components/responses/BadRequest' },
            '401': { $ref: '#/components/responses/Unauthorized' },
          },
        },
      },
      '/api/swarms': {
        get: {
          summary: 'The fullest swarms (among the first admin.topTorrentsScan the store lists)',
          security: [{ bearer: [] }],
          parameters: [
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
            },
          ],
          responses: {
            '200': {
              description: 'Fullest first',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      swarms: { type: 'array', items: { $ref: '#/components/schemas/Swarm' } },
                      scanned: { type: 'integer' },
                    },
                    required: ['swarms', 'scanned'],
                  },
                },
              },
            },
            '400': { $ref: '#/components/responses/BadRequest' },
            '401': { $ref: '#/components/responses/Unauthorized' },
            '501': { $ref: '#/components/responses/Error' },
          },
        },
      },
    },
  };
}
