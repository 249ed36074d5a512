import type { Registry } from 'prom-client';
import type { ShoalConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { Hook } from '../middleware/hook.js';
import { registerTrackerMetrics } from '../metrics/tracker-metrics.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import type { PeerStore } from '../store/peer-store.js';
import { AdminServer } from './admin-server.js';
import { AdminToken } from './admin-token.js';
import { resolveAdminToken } from './admin-token-source.js';
import { coreRoutes } from './core-routes.js';
import { listRoutes } from './list-routes.js';
import type { ReadinessChecks } from './readiness-checks.js';
import { StatsSource } from './stats-snapshot.js';
import { swarmRoutes } from './swarm-routes.js';

/** What the admin listener serves from. */
export interface AdminParts {
  admin: NonNullable<ShoalConfig['admin']>;
  baseDir: string;
  log: Logger;
  registry: Registry;
  requests: RequestMetrics | null;
  store: PeerStore;
  hooks: ReadonlyMap<string, Hook>;
  readiness: ReadinessChecks;
}

/**
 * Registers the tracker's metrics and starts the admin listener with the core, list and
 * swarm routes. Resolves with the server (add route modules to it) and its address.
 */
export async function startAdmin(
  p: AdminParts,
): Promise<{ server: AdminServer; address: { address: string; port: number; family: 4 | 6 } }> {
  const tokenText = resolveAdminToken(p.admin, p.baseDir);
  registerTrackerMetrics(p.registry, {
    requests: p.requests,
    store: p.store,
    processMetrics: p.admin.processMetrics,
  });
  const server = new AdminServer(tokenText === null ? null : new AdminToken(tokenText), p.log);
  const stats = new StatsSource(p.store, p.requests, p.admin.topTorrentsScan);
  server.addRoutes(coreRoutes(p.registry, p.readiness, stats, server.router));
  server.addRoutes(listRoutes(p.hooks));
  server.addRoutes(swarmRoutes(p.store, p.admin.topTorrentsScan));
  const l = p.admin.listen;
  const info = await server.listen(l.host, l.port);
  p.log.info(
    {
      admin: `${l.family === 6 ? `[${info.address}]` : info.address}:${info.port}`,
      api: tokenText !== null,
    },
    'admin listener started',
  );
  return { server, address: { address: info.address, port: info.port, family: l.family } };
}
