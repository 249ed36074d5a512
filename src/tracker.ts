import { parseConfig } from './config/config.js';
import type { ShoalConfig, ShoalConfigInput } from './config/config.js';
import type { ListenAddress } from './config/listen-address.js';
import { HttpFrontend } from './frontend/http/http-frontend.js';
import { UdpFrontend } from './frontend/udp/udp-frontend.js';
import { createLogger } from './log/logger.js';
import type { Logger } from './log/logger.js';
import type { Hook } from './middleware/hook.js';
import { HookChain } from './middleware/hook-chain.js';
import { SwarmLogic } from './middleware/swarm-logic.js';
import { createConfiguredHooks } from './middleware/configured-hooks.js';
import type { PeerStore } from './store/peer-store.js';
import { StoreSet } from './store/store-set.js';
import type { BackendConnection } from './backend/backend.js';
import type { Directory } from './backend/directory.js';
import { openPrivateMode } from './backend/private-mode.js';
import type { PrivateMode } from './backend/private-mode.js';

/** A bound socket. */
export interface BoundAddress {
  address: string;
  family: 4 | 6;
  port: number;
}

/** A running tracker. */
export interface Tracker {
  readonly config: ShoalConfig;
  readonly store: PeerStore;
  /**
   * Every hook by name, configured ones first, in the order they run. The built-in lists
   * (InfoHashListHook, ClientListHook, IPListHook) expose their `store`: a change made through
   * it, or their `add`/`remove`, takes effect from the next announce.
   */
  readonly hooks: ReadonlyMap<string, Hook>;
  readonly httpAddresses: readonly BoundAddress[];
  readonly udpAddresses: readonly BoundAddress[];
  /** UDP I/O: 'batch' (native recvmmsg/sendmmsg), 'dgram', or 'none' (no UDP listener). */
  readonly udpIo: 'batch' | 'dgram' | 'none';
  /** HTTP connections: 'native' (addon accept/read/write), 'net', or 'none' (no HTTP listener). */
  readonly httpIo: 'native' | 'net' | 'none';
  readonly log: Logger;
  /** Private mode: the open backend (null on a public tracker). */
  readonly backend: BackendConnection | null;
  /** Private mode: users and torrents in memory, kept fresh (null on a public tracker). */
  readonly directory: Directory | null;
  /**
   * Re-reads what hooks loaded from files (SIGHUP). A hook that fails keeps its previous state
   * and is logged (SHOAL_E_RELOAD); resolves with the names of the hooks that failed.
   */
  reload(): Promise<string[]>;
  /** Stops accepting, finishes in-flight requests, closes sockets and the store. */
  close(): Promise<void>;
}

export interface CreateTrackerOptions {
  /** Use this logger instead of one made from `config.log`. */
  logger?: Logger;
  /** Use this PeerStore instead of the one `storage.peers` names. */
  store?: PeerStore;
  /** Hooks run around every announce after the configured ones, in this order (see Hook). */
  hooks?: readonly Hook[];
  /** Directory relative file names in the config are resolved against (default: the cwd). */
  baseDir?: string;
  /** Clock in whole seconds given to the stores (tests). */
  now?: () => number;
}

/** Seconds clients are told to wait after an internal failure (BEP 31). */
const RETRY_IN_ON_ERROR = 60;

const DEFAULT_LISTEN = ['0.0.0.0:6969', '[::]:6969'];

function isDefaultListen(input: unknown): boolean {
  return input === undefined || JSON.stringify(input) === JSON.stringify(DEFAULT_LISTEN);
}

/** IPv6 missing from the host: the default `[::]` listeners are skipped with a warning. */
function isNoIPv6(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL';
}

/**
 * Starts a tracker: validates `input` (throws ConfigError naming the bad key), opens the store
 * and binds every listen address. Start failures close whatever was opened and throw.
 */
export async function createTracker(
  input: ShoalConfigInput = {},
  options: CreateTrackerOptions = {},
): Promise<Tracker> {
  const config = parseConfig(input);
  const log = options.logger ?? createLogger(config.log.level);
  const a = config.announce;
  const stores = new StoreSet(
    config.storage,
    log,
    options.now ?? ((): number => Math.floor(Date.now() / 1000)),
  );
  let store: PeerStore | null = options.store ?? null;
  let hookList: Hook[] = [];
  let chain: HookChain | null = null;
  let priv: PrivateMode | null = null;
  try {
    store ??= await stores.openPeerStore(a.peerLifetime, a.maxNumwant);
    // Private mode: backend and directory first; the passkey hook runs before every other hook.
    if (config.private.enabled) priv = await openPrivateMode(config.private, log);
    const baseDir = options.baseDir ?? process.cwd();
    hookList = await createConfiguredHooks(config.hooks, (name) => ({
      name,
      log,
      baseDir,
      openStringStore: (ns = name) => stores.openStringStore(ns),
      openIPStore: (ns = name) => stores.openIPStore(ns),
    }));
    hookList.push(...(options.hooks ?? []));
    if (priv !== null) hookList.unshift(priv.passkeyHook);
    chain =
      hookList.length === 0
        ? null
        : new HookChain(hookList, (err, hook) =>
            log.error({ err, hook, code: 'SHOAL_E_HOOK' }, 'post-announce hook failed'),
          );
  } catch (err) {
    await Promise.allSettled(hookList.map(async (h) => h.close?.()));
    await Promise.allSettled([stores.close(), options.store?.close(), priv?.close()]);
    throw err;
  }
  const peerStore = store;
  const hooks = chain;
  const logic = new SwarmLogic(
    peerStore,
    {
      interval: a.interval,
      minInterval: a.minInterval,
      defaultNumWant: a.numwant,
      maxNumWant: a.maxNumwant,
    },
    hooks,
  );
  const privateMode = priv;
  if (privateMode !== null) {
    const passkeyHook = privateMode.passkeyHook;
    logic.scrapeGuard = (passkey) => {
      passkeyHook.checkPasskey(passkey);
    };
  }
  const http = new HttpFrontend(
    logic,
    {
      ...config.http,
      trustIpParam: a.trustClientIp,
      maxScrapeHashes: config.scrape.maxInfoHashes,
      retryInOnError: RETRY_IN_ON_ERROR,
      passkeyPaths: privateMode !== null,
    },
    log,
  );
  const udp = new UdpFrontend(
    logic,
    {
      connectionIdKey:
        config.udp.connectionIdKey === undefined
          ? undefined
          : Buffer.from(config.udp.connectionIdKey, 'hex'),
      maxScrapeHashes: config.scrape.maxInfoHashes,
      trustIpParam: a.trustClientIp,
      retryInOnError: RETRY_IN_ON_ERROR,
      socketBufferBytes: config.udp.socketBufferBytes,
      batch: config.udp.batch,
    },
    log,
  );

  const rawListen = (input as { listen?: { http?: unknown; udp?: unknown } }).listen;
  const httpAddresses: BoundAddress[] = [];
  const udpAddresses: BoundAddress[] = [];
  const closeAll = async (): Promise<void> => {
    const grace = config.shutdown.graceSeconds * 1000;
    await Promise.all([http.close(grace), udp.close(grace)]);
    await Promise.allSettled(hookList.map(async (h) => h.close?.()));
    // After the hooks: one of them may flush its last deltas to the backend on close.
    await privateMode
      ?.close()
      .catch((err: unknown) =>
        log.error({ err, code: 'SHOAL_E_SHUTDOWN' }, 'closing the backend failed'),
      );
    // A store passed in is closed here; the ones opened from `storage` by the StoreSet.
    await Promise.all([options.store?.close(), stores.close()]);
  };

  async function bindAll(
    list: readonly ListenAddress[],
    isDefault: boolean,
    kind: 'http' | 'udp',
    out: BoundAddress[],
  ): Promise<void> {
    for (const l of list) {
      try {
        const info =
          kind === 'http'
            ? await http.listen(l.host, l.port, l.family === 6)
            : await udp.listen(l.host, l.port, l.family);
        out.push({ address: info.address, family: l.family, port: info.port });
      } catch (err) {
        if (isDefault && l.family === 6 && isNoIPv6(err)) {
          log.warn(
            { code: 'SHOAL_W_NO_IPV6' },
            `IPv6 unavailable, not listening on [${l.host}]:${l.port} (${kind})`,
          );
          continue;
        }
        const e = err as NodeJS.ErrnoException;
        const where = l.family === 6 ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
        throw new Error(`cannot listen for ${kind} on ${where}: ${e.code ?? e.message}`, {
          cause: err,
        });
      }
    }
  }

  try {
    await bindAll(config.listen.http, isDefaultListen(rawListen?.http), 'http', httpAddresses);
    await bindAll(config.listen.udp, isDefaultListen(rawListen?.udp), 'udp', udpAddresses);
  } catch (err) {
    await closeAll();
    throw err;
  }

  let closing: Promise<void> | null = null;
  return {
    config,
    store: peerStore,
    hooks: new Map(hookList.map((h) => [h.name, h])),
    httpAddresses,
    udpAddresses,
    udpIo: udp.mode,
    httpIo: http.mode,
    log,
    backend: privateMode?.backend ?? null,
    directory: privateMode?.directory ?? null,
    reload: async () => {
      const failed: string[] = [];
      for (const h of hookList) {
        if (h.reload === undefined) continue;
        try {
          await h.reload();
        } catch (err) {
          failed.push(h.name);
          log.error({ err, hook: h.name, code: 'SHOAL_E_RELOAD' }, 'hook reload failed');
        }
      }
      log.info({ failed }, 'reloaded');
      return failed;
    },
    close: () => (closing ??= closeAll()),
  };
}
