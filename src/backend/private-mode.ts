import { ConfigError } from '../config/config.js';
import type { ShoalConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { PasskeyHook } from '../middleware/hooks/passkey-hook.js';
import type { BackendConnection } from './backend.js';
import { Directory } from './directory.js';
import { backendDrivers, openBackend } from './registry.js';

/**
 * `shoal --check`: the backend driver `private.backend.driver` names must be registered, and the
 * built-in postgres driver's options must be valid (checked without connecting).
 */
export async function checkPrivateConfig(p: ShoalConfig['private']): Promise<void> {
  if (!backendDrivers.has(p.backend.driver)) {
    throw new ConfigError(
      `private.backend.driver: unknown driver "${p.backend.driver}" (registered: ${backendDrivers.names().join(', ')})`,
    );
  }
  if (p.enabled && p.backend.driver === 'postgres') {
    const { parsePostgresOptions } = await import('./postgres/postgres-options.js');
    try {
      parsePostgresOptions(p.backend.options);
    } catch (err) {
      throw new ConfigError(`private.backend.options: ${(err as Error).message}`);
    }
  }
}

/** What private mode adds to a tracker: the backend, the in-memory directory, the passkey hook. */
export interface PrivateMode {
  readonly backend: BackendConnection;
  readonly directory: Directory;
  readonly passkeyHook: PasskeyHook;
  /** Closes the directory, then the backend (after the hooks that write to it have closed). */
  close(): Promise<void>;
}

/**
 * Opens the configured backend and loads every user and torrent. Fails (closing what it opened)
 * with an error naming the problem: an unknown driver, bad options, an unreachable database.
 */
export async function openPrivateMode(
  p: ShoalConfig['private'],
  log: Logger,
): Promise<PrivateMode> {
  const backend = await openBackend(p.backend, { log });
  let directory: Directory;
  try {
    directory = await Directory.load(backend, { refreshSeconds: p.refreshSeconds, log });
  } catch (err) {
    await backend.close().catch(() => undefined);
    throw new Error(
      `private mode: cannot load users and torrents from backend "${p.backend.driver}": ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (p.backend.driver === 'noop') {
    log.warn(
      { code: 'SHOAL_W_PRIVATE_NOOP' },
      'private mode with the noop backend: no users, every announce is refused',
    );
  }
  log.info(
    {
      users: directory.userCount,
      torrents: directory.torrentCount,
      changes: directory.subscribed ? 'notified' : `polled every ${p.refreshSeconds}s`,
    },
    'private mode',
  );
  return {
    backend,
    directory,
    passkeyHook: new PasskeyHook(directory),
    async close() {
      await directory.close();
      await backend.close();
    },
  };
}
