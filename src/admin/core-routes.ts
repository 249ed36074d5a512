import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Registry } from 'prom-client';
import type { AdminReply, AdminRouteModule } from './admin-route.js';
import type { AdminRouter } from './admin-router.js';
import { buildOpenApi } from './openapi-document.js';
import type { ReadinessChecks } from './readiness-checks.js';
import { STATS_PAGE_HTML, STATS_PAGE_SCRIPT } from './stats-page.js';
import type { StatsSource } from './stats-snapshot.js';

/** chart.js's browser build, read once on first use. */
let chartJs: Buffer | null = null;
function chartJsBundle(): Buffer {
  // chart.js's `exports` map hides dist/chart.umd.js: resolve the package's main file (in
  // dist/) and take the browser build beside it.
  const main = createRequire(import.meta.url).resolve('chart.js');
  chartJs ??= readFileSync(join(dirname(main), 'chart.umd.js'));
  return chartJs;
}

const text = (status: number, body: string | Buffer, contentType: string): AdminReply => ({
  status,
  body,
  contentType,
});

const plain = (description: string, type: string): Record<string, unknown> => ({
  description,
  content: { [type]: { schema: { type: 'string' } } },
});

/**
 * The read-only routes: health, metrics, the OpenAPI description and the stats page. They
 * need no token: they change nothing, and the admin listener is on loopback unless moved
 * (docs/operations.md says what to do before exposing it).
 */
export function coreRoutes(
  registry: Registry,
  readiness: ReadinessChecks,
  stats: StatsSource,
  router: AdminRouter,
): AdminRouteModule {
  return {
    name: 'core',
    routes: [
      {
        method: 'GET',
        path: '/healthz',
        auth: false,
        handler: () => ({ status: 200, json: { ok: true } }),
      },
      {
        method: 'GET',
        path: '/readyz',
        auth: false,
        handler: async () => {
          const r = await readiness.run();
          return { status: r.ok ? 200 : 503, json: r };
        },
      },
      {
        method: 'GET',
        path: '/metrics',
        auth: false,
        handler: async () => text(200, await registry.metrics(), registry.contentType),
      },
      {
        method: 'GET',
        path: '/openapi.json',
        auth: false,
        handler: () => ({ status: 200, json: buildOpenApi(router.list()) }),
      },
      {
        method: 'GET',
        path: '/',
        auth: false,
        handler: () => ({
          status: 302,
          body: '',
          contentType: 'text/plain',
          headers: { location: '/stats' },
        }),
      },
      {
        method: 'GET',
        path: '/stats',
        auth: false,
        handler: () => text(200, STATS_PAGE_HTML, 'text/html; charset=utf-8'),
      },
      {
        method: 'GET',
        path: '/stats.json',
        auth: false,
        handler: async () => ({ status: 200, json: await stats.snapshot() }),
      },
      {
        method: 'GET',
        path: '/assets/stats.js',
        auth: false,
        handler: () => text(200, STATS_PAGE_SCRIPT, 'text/javascript; charset=utf-8'),
      },
      {
        method: 'GET',
        path: '/favicon.ico',
        auth: false,
        handler: () => text(204, '', 'image/x-icon'),
      },
      {
        method: 'GET',
        path: '/assets/chart.umd.js',
        auth: false,
        handler: () => text(200, chartJsBundle(), 'text/javascript; charset=utf-8'),
      },
    ],
    openapi: {
      '/healthz': {
        get: {
          summary: 'Liveness: the process answers',
          responses: {
            '200': {
              description: 'Alive',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { ok: { const: true } },
                    required: ['ok'],
                  },
                },
              },
            },
          },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: every configured store (and the backend) is reachable',
          responses: {
            '200': {
              description: 'Ready',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/Readiness' } },
              },
            },
            '503': {
              description: 'Not ready; the failed checks say why',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/Readiness' } },
              },
            },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text exposition format)',
          responses: { '200': plain('Metrics', 'text/plain') },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This description',
          responses: {
            '200': {
              description: 'OpenAPI 3.1',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      '/': {
        get: {
          summary: 'Redirects to the stats page',
          responses: { '302': { description: 'To /stats' } },
        },
      },
      '/stats': {
        get: {
          summary: 'The live stats page (HTML, charts)',
          responses: { '200': plain('The page', 'text/html') },
        },
      },
      '/stats.json': {
        get: {
          summary: 'What the stats page charts: request totals, store totals, top torrents',
          responses: {
            '200': {
              description: 'A snapshot (cached for a second)',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
      '/assets/stats.js': {
        get: {
          summary: 'The stats page’s script',
          responses: { '200': plain('JavaScript', 'text/javascript') },
        },
      },
      '/favicon.ico': {
        get: {
          summary: 'No icon (so browsers do not log a 404)',
          responses: { '204': { description: 'Empty' } },
        },
      },
      '/assets/chart.umd.js': {
        get: {
          summary: 'chart.js, served locally for the stats page',
          responses: { '200': plain('JavaScript', 'text/javascript') },
        },
      },
    },
  };
}
