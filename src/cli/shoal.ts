#!/usr/bin/env node
import cluster from 'node:cluster';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../config/config.js';
import type { ShoalConfig, ShoalConfigInput } from '../config/config.js';
import { loadConfigFile } from '../config/load-config.js';
import { dirname, resolve } from 'node:path';
import { checkConfiguredHooks } from '../middleware/configured-hooks.js';
import { checkStorageDrivers } from '../store/store-set.js';
import { createLogger } from '../log/logger.js';
import { createTracker } from '../tracker.js';
import { checkPrivateConfig } from '../backend/private-mode.js';
import { runDbCommand } from './db-command.js';
import {
  WORKER_BASEDIR_ENV,
  WORKER_SLOT_ENV,
  WORKER_CONFIG_ENV,
  checkWorkers,
  runPrimary,
  workerConfig,
} from './workers.js';
import type { WorkerMessage } from './workers.js';

const USAGE = `usage: shoal [--config FILE] [--workers N] [--check] [--version] [--help]
       shoal db migrate [--config FILE]

  -c, --config FILE  YAML or JSON configuration (default: built-in defaults;
                     see shoal.example.yaml for every key)
  -w, --workers N    tracker processes sharing the ports (overrides \`workers\`;
                     more than 1 needs storage.peers.driver: redis)
      --check        validate the configuration and exit
  db migrate         create or update the PostgreSQL schema of private mode
                     (private.backend options), then exit
  -v, --version      print the version
  -h, --help         print this help
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * The `shoal` command: parses `argv` (without the node and script paths), then validates the
 * config and runs a tracker until a signal, or runs a subcommand. Resolves with the exit code.
 * `boot()` calls it too, so a custom binary behaves exactly like `shoal`.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let args;
  let positionals: string[];
  try {
    ({ values: args, positionals } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        workers: { type: 'string', short: 'w' },
        check: { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    process.stderr.write(`shoal: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.version === true) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (positionals.length > 0) {
    if (positionals[0] === 'db') return runDbCommand(positionals.slice(1), args.config, USAGE);
    process.stderr.write(`shoal: unknown command: ${positionals.join(' ')}\n${USAGE}`);
    return 2;
  }
  const workerEnv = process.env[WORKER_CONFIG_ENV];
  if (cluster.isWorker && workerEnv !== undefined) {
    return serve(
      JSON.parse(workerEnv) as ShoalConfigInput,
      process.env[WORKER_BASEDIR_ENV] ?? process.cwd(),
      true,
    );
  }
  let workers: number | undefined;
  if (args.workers !== undefined) {
    workers = Number(args.workers);
    if (!/^[0-9]+$/.test(args.workers) || workers < 1 || workers > 256) {
      process.stderr.write(`shoal: --workers: expected a number from 1 to 256\n`);
      return 2;
    }
  }
  let config: ShoalConfigInput;
  let parsed: ShoalConfig;
  // Relative file names in the config (list files) are relative to the config file.
  const baseDir = args.config === undefined ? process.cwd() : dirname(resolve(args.config));
  try {
    config = args.config === undefined ? {} : await loadConfigFile(args.config);
    parsed = parseConfig(config);
    workers ??= parsed.workers;
    checkStorageDrivers(parsed.storage);
    await checkPrivateConfig(parsed.private);
    await checkConfiguredHooks(parsed.hooks);
    await checkWorkers(parsed, workers);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`shoal: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.check === true) {
    process.stdout.write('configuration ok\n');
    return 0;
  }
  if (workers > 1) {
    const log = createLogger(parsed.log.level);
    return runPrimary(workers, workerConfig(config, parsed), baseDir, log);
  }
  return serve(config, baseDir, false);
}

/** Runs one tracker in this process until SIGINT/SIGTERM; `asWorker` reports to the primary. */
async function serve(
  config: ShoalConfigInput,
  baseDir: string,
  asWorker: boolean,
): Promise<number> {
  const report = (m: WorkerMessage): void => {
    if (asWorker) process.send?.(m);
  };
  let tracker;
  try {
    const slot = asWorker ? Number(process.env[WORKER_SLOT_ENV] ?? '0') : undefined;
    tracker = await createTracker(config, slot === undefined ? { baseDir } : { baseDir, slot });
  } catch (err) {
    process.stderr.write(`shoal: ${(err as Error).message}\n`);
    report({ type: 'failed', message: (err as Error).message });
    return 1;
  }
  const listening = [
    ...tracker.httpAddresses.map(
      (a) => `http://${a.family === 6 ? `[${a.address}]` : a.address}:${a.port}/announce`,
    ),
    ...tracker.udpAddresses.map(
      (a) => `udp://${a.family === 6 ? `[${a.address}]` : a.address}:${a.port}`,
    ),
    ...tracker.wsAddresses.map(
      (a) =>
        `${tracker.config.websocket.tls ? 'wss' : 'ws'}://${a.family === 6 ? `[${a.address}]` : a.address}:${a.port}/announce`,
    ),
  ];
  tracker.log.info(
    { listening, httpIo: tracker.httpIo, udpIo: tracker.udpIo },
    asWorker ? 'worker started' : 'shoal tracker started',
  );
  report({ type: 'ready', listening });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        // A worker gets Ctrl-C from the terminal and the same signal from the primary: only a
        // repeated signal to a single process means "now".
        if (asWorker) return;
        tracker.log.warn({ signal }, 'second signal, exiting now');
        resolve(1);
        return;
      }
      stopping = true;
      tracker.log.info({ signal }, 'shutting down');
      tracker.close().then(
        () => {
          tracker.log.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          tracker.log.error({ err, code: 'SHOAL_E_SHUTDOWN' }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // SIGHUP: re-read list files; failures are logged by reload and leave the lists as they were.
    process.on('SIGHUP', () => void tracker.reload());
  });
}

/** Exits the process with `main`'s code once it settles (a crash prints its stack). */
export function exitWith(run: Promise<number>): void {
  run.then(
    (code) => {
      process.exitCode = code;
      // Sockets and timers are closed on a clean stop; exit explicitly in case a client kept one.
      setTimeout(() => process.exit(code), 100).unref();
      if (code !== 0) process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`shoal: fatal: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Whether this module is the process's entry script (not imported by a custom binary). */
function isEntry(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) exitWith(main(process.argv.slice(2)));
