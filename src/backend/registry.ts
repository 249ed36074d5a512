import { ShoalError } from '../bittorrent/errors.js';
import { DriverRegistry } from '../store/registry.js';
import type { BackendConnection, BackendContext, BackendDriver } from './backend.js';

/**
 * Backend drivers by name, like database/sql's `sql.Register`: `noop` (public trackers) and
 * `postgres` built in, loaded on first use so a public tracker never loads the PostgreSQL client.
 * Register your own before `boot()` / `createTracker()`: `backendDrivers.register('mine', driver)`.
 */
export const backendDrivers = new DriverRegistry<BackendDriver>('backend driver');

backendDrivers.register('noop', async () => (await import('./noop/noop-backend.js')).noopBackend);
backendDrivers.register(
  'postgres',
  async () => (await import('./postgres/postgres-backend.js')).postgresBackend,
);

/** Which driver and its options (`private.backend` in the config). */
export interface BackendChoice {
  driver: string;
  options?: Readonly<Record<string, unknown>>;
}

/**
 * Opens a backend by driver name. An unknown name rejects with SHOAL_E_DRIVER_UNKNOWN; bad
 * options or an unreachable server reject with SHOAL_E_BACKEND_OPEN naming the driver and cause.
 */
export async function openBackend(
  choice: BackendChoice,
  ctx: BackendContext,
): Promise<BackendConnection> {
  const driver = await backendDrivers.get(choice.driver);
  try {
    return await driver.open(choice.options ?? {}, ctx);
  } catch (err) {
    if (err instanceof ShoalError && err.code === 'SHOAL_E_BACKEND_OPEN') throw err;
    throw new ShoalError(
      'SHOAL_E_BACKEND_OPEN',
      `cannot open backend "${choice.driver}": ${(err as Error).message}`,
      { cause: err },
    );
  }
}
