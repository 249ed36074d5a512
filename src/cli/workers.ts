import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { ShoalConfig, ShoalConfigInput } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { peerStoreDrivers } from '../store/registry.js';

/** Environment a worker reads its configuration from (set by the primary). */
export const WORKER_CONFIG_ENV = 'SHOAL_WORKER_CONFIG';
export const WORKER_BASEDIR_ENV = 'SHOAL_WORKER_BASEDIR';
export const WORKER_SLOT_ENV = 'SHOAL_WORKER_SLOT';

/** What a worker tells the primary. */
export type WorkerMessage =
  { type: 'ready'; listening: string[] } | { type: 'failed'; message: string };

/**
 * Checks that `workers` processes can serve this configuration: the PeerStore must be shared
 * (with the memory store each process would keep its own swarms, and peers would only see the
 * peers that happened to reach the same process), and no port may be 0 (each process would get
 * a different one). Throws ConfigError.
 */
export async function checkWorkers(config: ShoalConfig, workers: number): Promise<void> {
  if (workers <= 1) return;
  if (config.private.enabled) {
    // Accounting keeps each peer's last reported totals in the process that saw the announce.
    // Several processes on one port would each see some of a peer's announces (a new HTTP
    // connection may reach any of them) and credit overlapping increases twice.
    throw new ConfigError(
      `workers: ${workers} processes cannot serve private mode: each would account a share of ` +
        `every peer's announces and credit some traffic twice; run private mode with workers: 1`,
    );
  }
  const name = config.storage.peers.driver;
  const driver = await peerStoreDrivers.get(name);
  if (driver.shared !== true) {
    throw new ConfigError(
      `workers: ${workers} processes need a shared PeerStore, but storage.peers.driver is ` +
        `"${name}", which keeps each process's swarms to itself; use storage.peers.driver: redis`,
    );
  }
  for (const kind of ['http', 'udp'] as const) {
    const zero = config.listen[kind].find((l) => l.port === 0);
    if (zero !== undefined) {
      throw new ConfigError(
        `listen.${kind}: port 0 (a random port) cannot be shared by ${workers} workers; give a port`,
      );
    }
  }
  if (config.websocket.listen.some((l) => l.port === 0)) {
    throw new ConfigError(
      `websocket.listen: port 0 (a random port) cannot be shared by ${workers} workers; give a port`,
    );
  }
}

/**
 * The workers' configuration: the user's, plus a UDP connection-ID key shared by all of them
 * when none is configured (a client may connect through one process and announce through
 * another, so every process must accept every other's IDs).
 */
export function workerConfig(input: ShoalConfigInput, config: ShoalConfig): ShoalConfigInput {
  if (config.udp.connectionIdKey !== undefined) return input;
  return {
    ...input,
    udp: { ...(input.udp ?? {}), connectionIdKey: randomBytes(16).toString('hex') },
  };
}

/** A worker that dies within this long of its start counts as a failed start. */
const EARLY_DEATH_MS = 5000;
/** Consecutive early deaths after which the primary gives up. */
const MAX_EARLY_DEATHS = 3;

/**
 * Runs the primary process: forks `n` workers that each run a tracker on the same ports (the
 * native sockets with SO_REUSEPORT, node:net and node:dgram through node:cluster), restarts a
 * worker that dies, forwards SIGHUP, and on SIGINT/SIGTERM stops them all. Resolves to the
 * exit code.
 */
export function runPrimary(
  n: number,
  input: ShoalConfigInput,
  baseDir: string,
  log: Logger,
): Promise<number> {
  const env = {
    [WORKER_CONFIG_ENV]: JSON.stringify(input),
    [WORKER_BASEDIR_ENV]: baseDir,
    SHOAL_REUSEPORT: '1',
  };
  return new Promise((resolve) => {
    const started = new Map<number, number>();
    const ready = new Set<number>();
    let stopping = false;
    let earlyDeaths = 0;
    let announced = false;
    let exitCode = 0;

    // A worker's slot (0..n-1) outlives the worker: its replacement gets the same one, so
    // per-worker files (the accounting spool) are picked up again after a crash.
    const slots = new Map<number, number>();
    const fork = (slot: number): void => {
      const w = cluster.fork({ ...env, [WORKER_SLOT_ENV]: String(slot) });
      slots.set(w.id, slot);
      started.set(w.id, Date.now());
      w.on('message', (m: WorkerMessage) => onMessage(w, m));
    };

    const stopAll = (signal: NodeJS.Signals, code: number): void => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve(exitCode);
    };

    const onMessage = (w: Worker, m: WorkerMessage): void => {
      if (m.type === 'failed') {
        log.error({ code: 'SHOAL_E_WORKER_START', worker: w.process.pid }, m.message);
        process.stderr.write(`shoal: ${m.message}\n`);
        stopAll('SIGTERM', 1);
        return;
      }
      ready.add(w.id);
      earlyDeaths = 0;
      if (!announced && ready.size === n) {
        announced = true;
        const pids = Object.values(cluster.workers ?? {}).map((x) => x?.process.pid);
        log.info({ listening: m.listening, workers: pids }, 'shoal tracker started');
      }
    };

    cluster.on('exit', (w, code, signal) => {
      ready.delete(w.id);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          log.info('stopped');
          resolve(exitCode);
        }
        return;
      }
      const lived = Date.now() - (started.get(w.id) ?? 0);
      log.error(
        { code: 'SHOAL_E_WORKER_EXIT', worker: w.process.pid, exitCode: code, signal },
        'worker exited; starting another',
      );
      if (lived < EARLY_DEATH_MS && ++earlyDeaths >= MAX_EARLY_DEATHS) {
        log.error({ code: 'SHOAL_E_WORKER_LOOP' }, 'workers keep dying at start; giving up');
        stopAll('SIGTERM', 1);
        return;
      }
      const slot = slots.get(w.id) ?? 0;
      slots.delete(w.id);
      setTimeout(() => fork(slot), Math.min(1000 * earlyDeaths, 5000));
    });

    process.on('SIGINT', () => stopAll('SIGINT', 0));
    process.on('SIGTERM', () => stopAll('SIGTERM', 0));
    process.on('SIGHUP', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
    });
    for (let i = 0; i < n; i++) fork(i);
  });
}
