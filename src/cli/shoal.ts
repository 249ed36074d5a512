#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../config/config.js';
import type { ShoalConfigInput } from '../config/config.js';
import { loadConfigFile } from '../config/load-config.js';
import { dirname, resolve } from 'node:path';
import { checkConfiguredHooks } from '../middleware/configured-hooks.js';
import { checkStorageDrivers } from '../store/store-set.js';
import { createTracker } from '../tracker.js';

const USAGE = `usage: shoal [--config FILE] [--check] [--version] [--help]

  -c, --config FILE  YAML or JSON configuration (default: built-in defaults;
                     see shoal.example.yaml for every key)
      --check        validate the configuration and exit
  -v, --version      print the version
  -h, --help         print this help
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        check: { type: 'boolean' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
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
  let config: ShoalConfigInput;
  // Relative file names in the config (list files) are relative to the config file.
  const baseDir = args.config === undefined ? process.cwd() : dirname(resolve(args.config));
  try {
    config = args.config === undefined ? {} : await loadConfigFile(args.config);
    const parsed = parseConfig(config);
    checkStorageDrivers(parsed.storage);
    await checkConfiguredHooks(parsed.hooks);
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

  let tracker;
  try {
    tracker = await createTracker(config, { baseDir });
  } catch (err) {
    process.stderr.write(`shoal: ${(err as Error).message}\n`);
    return 1;
  }
  const listening = [
    ...tracker.httpAddresses.map(
      (a) => `http://${a.family === 6 ? `[${a.address}]` : a.address}:${a.port}/announce`,
    ),
    ...tracker.udpAddresses.map(
      (a) => `udp://${a.family === 6 ? `[${a.address}]` : a.address}:${a.port}`,
    ),
  ];
  tracker.log.info(
    { listening, httpIo: tracker.httpIo, udpIo: tracker.udpIo },
    'shoal tracker started',
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
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

main().then(
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
