import { ConfigError, parseConfig } from '../config/config.js';
import { loadConfigFile } from '../config/load-config.js';

/**
 * `shoal db migrate [--config FILE]`: applies pending PostgreSQL migrations to the schema of
 * `private.backend` and prints each one. Exit codes: 0 done, 1 database failure, 2 usage/config.
 */
export async function runDbCommand(
  args: readonly string[],
  configPath: string | undefined,
  usage: string,
): Promise<number> {
  if (args.length !== 1 || args[0] !== 'migrate') {
    process.stderr.write(`shoal: unknown command: db ${args.join(' ')}\n${usage}`);
    return 2;
  }
  let backend;
  try {
    const config = parseConfig(configPath === undefined ? {} : await loadConfigFile(configPath));
    backend = config.private.backend;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`shoal: ${err.message}\n`);
    return 2;
  }
  // Without private mode the default driver is noop; migrating means PostgreSQL either way.
  const driver =
    configPath === undefined || backend.driver === 'noop' ? 'postgres' : backend.driver;
  if (driver !== 'postgres') {
    process.stderr.write(
      `shoal: db migrate works with the postgres backend (private.backend.driver is "${driver}")\n`,
    );
    return 2;
  }
  const { migrateFromOptions } = await import('../backend/postgres/migrate.js');
  try {
    const r = await migrateFromOptions(backend.options);
    for (const m of r.applied) process.stdout.write(`applied ${m.version}: ${m.name}\n`);
    process.stdout.write(
      r.applied.length === 0
        ? `schema "${r.schema}" is up to date (version ${r.version})\n`
        : `schema "${r.schema}" is at version ${r.version}\n`,
    );
    return 0;
  } catch (err) {
    const msg = (err as Error).message;
    // Bad options are the config's fault (2); a database that fails is not (1).
    const code = msg.startsWith('postgres backend options:') ? 2 : 1;
    process.stderr.write(`shoal: db migrate: ${msg}\n`);
    return code;
  }
}
