import { ConfigError, parseConfig } from './config/config.js';
import type { ShoalConfig, ShoalConfigInput } from './config/config.js';
import type { ListenAddress } from './config/listen-address.js';
import { HttpFrontend } from './frontend/http/http-frontend.js';
import { UdpFrontend } from './frontend/udp/udp-frontend.js';
import { WsFrontend } from './frontend/ws/ws-frontend.js';
import { createLogger } from './log/logger.js';
import type { Logger } from './log/logger.js';
import type { Hook } from './middleware/hook.js';
import { HookChain } from './middleware/hook-chain.js';
import { SwarmLogic } from './middleware/swarm-logic.js';
import { createConfiguredHooks } from './middleware/configured-hooks.js';
import type { PeerStore } from './store/peer-store.js';
import { StoreSet } from './store/store-set.js';
// --- operations (issue 7): metrics, admin listener, readiness, full scrape, TLS ---
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { Registry } from 'prom-client';
import type { AdminServer } from './admin/admin-server.js';
import { ReadinessChecks } from './admin/readiness-checks.js';
import { startAdmin } from './admin/start-admin.js';
import { FullScrape } from './frontend/http/full-scrape.js';
import { RequestMetrics } from './metrics/request-metrics.js';
import type { BackendConnection } from './backend/backend.js';
import type { Directory } from './backend/directory.js';
import { openPrivateMode } from './backend/private-mode.js';
import { createPrivtrak } from './middleware/privtrak/privtrak-hook.js';
import type { PrivateMode } from './backend/private-mode.js';
import { privateRoutes } from './admin/private-routes.js';
// --- chain store (issue 6): peer snapshots ---
import { openPeerSnapshotter } from './store/chain/peer-snapshotter.js';
import type { PeerSnapshotter } from './store/chain/peer-snapshotter.js';

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
  /** Dedicated WebSocket listeners (`websocket.listen`); WebSocket on the HTTP port is not listed. */
  readonly wsAddresses: readonly BoundAddress[];
  /** The WebTorrent frontend, or null when `websocket` is disabled and has no listener. */
  readonly websocket: WsFrontend | null;
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
   * The tracker's Prometheus registry, served at the admin listener's /metrics. Other parts
   * (private-mode accounting, a backend) register their metrics on it.
   */
  readonly metrics: Registry;
  /** The checks behind /readyz; other parts add theirs (the backend's ping). */
  readonly readiness: ReadinessChecks;
  /** The admin listener (null without an `admin` block); add route modules to it. */
  readonly admin: AdminServer | null;
  readonly adminAddress: BoundAddress | null;
  /** The `listen.https` listeners. */
  readonly httpsAddresses: readonly BoundAddress[];
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
  /**
   * This process's slot under `shoal --workers N` (0..N-1, kept by a restarted worker): files
   * of one process, such as the accounting spool, get `.<slot>` appended.
   */
  slot?: number;
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
  // Created first so hooks (private-mode accounting) can register their metrics on it.
  const registry = new Registry();
  const stores = new StoreSet(
    config.storage,
    log,
    options.now ?? ((): number => Math.floor(Date.now() / 1000)),
  );
  let store: PeerStore | null = options.store ?? null;
  let hookList: Hook[] = [];
  let chain: HookChain | null = null;
  let priv: PrivateMode | null = null;
  let snapshotter: PeerSnapshotter | null = null;
  /** A start that fails after this point closes what it had opened (no pool keeps it alive). */
  const closeOpened = async (): Promise<void> => {
    await Promise.allSettled(hookList.map(async (h) => h.close?.()));
    await Promise.allSettled([
      snapshotter?.close(),
      stores.close(),
      options.store?.close(),
      priv?.close(),
    ]);
  };
  try {
    store ??= await stores.openPeerStore(a.peerLifetime, a.maxNumwant);
    // Peer snapshot (storage.snapshot): swarms put back before any socket listens.
    if (config.storage.snapshot !== undefined) {
      snapshotter = await openPeerSnapshotter(config.storage.snapshot, store, log);
      await snapshotter?.restore();
    }
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
    if (priv !== null) {
      // Accounting right after the passkey hook: only announces it let through are counted.
      const acc = config.private.accounting;
      let spool = acc.spool === null ? null : resolvePath(baseDir, acc.spool);
      if (spool !== null && options.slot !== undefined) spool = `${spool}.${options.slot}`;
      if (spool === null) {
        log.warn(
          { code: 'SHOAL_W_NO_SPOOL' },
          'private.accounting.spool is not set: deltas not yet written to the backend are lost if the process is killed',
        );
      }
      const privtrak = createPrivtrak({
        ...acc,
        spool,
        peerLifetime: a.peerLifetime,
        handler: priv.backend,
        torrents: priv.directory,
        registry,
        log: log.child({ hook: 'privtrak' }),
      });
      hookList.unshift(priv.passkeyHook, privtrak);
      // Baselines of peers the spool does not know (a clean restart empties it): from the
      // backend's per-peer rows, so their next announce is credited from the last recorded one.
      const states = await priv.backend.loadPeerStates?.(a.peerLifetime);
      if (states !== undefined) privtrak.privtrak.restoreCounters(states);
    }
    chain =
      hookList.length === 0
        ? null
        : new HookChain(hookList, (err, hook) =>
            log.error({ err, hook, code: 'SHOAL_E_HOOK' }, 'post-announce hook failed'),
          );
  } catch (err) {
    await closeOpened();
    throw err;
  }
  const peerStore = store;
  const hooks = chain;
  // --- operations (issue 7) ---
  const readiness = new ReadinessChecks();
  const requests =
    config.admin !== undefined && config.admin.metrics
      ? new RequestMetrics(config.admin.timingSample)
      : null;
  let fullScrape: FullScrape | null = null;
  if (config.scrape.full.enabled) {
    try {
      fullScrape = new FullScrape(peerStore, config.scrape.full);
    } catch (err) {
      await closeOpened();
      throw new ConfigError(`scrape.full: ${(err as Error).message}`, { cause: err });
    }
  }
  const readTls = async (): Promise<{ cert: Buffer; key: Buffer }> => {
    const base = options.baseDir ?? process.cwd();
    const t = config.tls!;
    const [cert, key] = await Promise.all([
      readFile(resolvePath(base, t.cert)),
      readFile(resolvePath(base, t.key)),
    ]);
    return { cert, key };
  };
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
      metrics: requests,
      fullScrape,
      passkeyPaths: privateMode !== null,
      maxUpgraded: config.websocket.enabled ? config.websocket.maxConnections : 0,
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
    undefined,
    requests,
  );

  // WebTorrent (WebSocket): upgrades on the HTTP port and/or its own listeners.
  const wsc = config.websocket;
  const ws =
    wsc.enabled || wsc.listen.length > 0
      ? new WsFrontend(
          logic,
          {
            maxConnections: wsc.maxConnections,
            maxMessageBytes: wsc.maxMessageBytes,
            maxOffers: wsc.maxOffers,
            maxSwarmsPerConnection: wsc.maxSwarmsPerConnection,
            ratePerSecond: wsc.rateLimit.perSecond,
            rateBurst: wsc.rateLimit.burst,
            idleTimeout: wsc.idleTimeout,
            interval: wsc.interval,
            maxScrapeHashes: config.scrape.maxInfoHashes,
          },
          log,
          requests,
        )
      : null;
  if (ws !== null && wsc.enabled) http.setUpgradeHandler(ws);
  const wsAddresses: BoundAddress[] = [];

  const rawListen = (input as { listen?: { http?: unknown; udp?: unknown } }).listen;
  const httpAddresses: BoundAddress[] = [];
  const udpAddresses: BoundAddress[] = [];
  let admin: AdminServer | null = null;
  let adminAddress: BoundAddress | null = null;
  const httpsAddresses: BoundAddress[] = [];
  const closeAll = async (): Promise<void> => {
    await admin?.close();
    const grace = config.shutdown.graceSeconds * 1000;
    await Promise.all([http.close(grace), udp.close(grace), ws?.close(grace)]);
    await Promise.allSettled(hookList.map(async (h) => h.close?.()));
    // After the hooks: one of them may flush its last deltas to the backend on close.
    await privateMode
      ?.close()
      .catch((err: unknown) =>
        log.error({ err, code: 'SHOAL_E_SHUTDOWN' }, 'closing the backend failed'),
      );
    // The peer snapshot is taken once no request can change the swarms; a failure (logged)
    // must not keep the stores open.
    const saved = await Promise.allSettled([snapshotter?.saveAndClose()]);
    // A store passed in is closed here; the ones opened from `storage` by the StoreSet.
    await Promise.all([options.store?.close(), stores.close()]);
    if (saved[0]?.status === 'rejected') throw saved[0].reason;
  };

  async function bindAll(
    list: readonly ListenAddress[],
    isDefault: boolean,
    kind: 'http' | 'udp' | 'ws',
    out: BoundAddress[],
  ): Promise<void> {
    for (const l of list) {
      try {
        const info =
          kind === 'http'
            ? await http.listen(l.host, l.port, l.family === 6)
            : kind === 'ws'
              ? await ws!.listen(l.host, l.port, l.family === 6, wsc.tls)
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
    // --- operations (issue 7): HTTPS listeners, readiness, the admin listener ---
    if (config.listen.https.length > 0) {
      const secure = await readTls().catch((err: unknown) => {
        throw new Error(`tls: ${(err as Error).message}`, { cause: err });
      });
      for (const l of config.listen.https) {
        const info = await http.listenTls(l.host, l.port, l.family === 6, secure);
        httpsAddresses.push({ address: info.address, family: l.family, port: info.port });
      }
    }
    // A store passed in is not in the StoreSet: check it here.
    const ping = options.store?.ping?.bind(options.store);
    if (ping !== undefined) readiness.add({ name: 'store:peers', check: ping });
    for (const p of stores.pingables()) readiness.add({ name: p.name, check: () => p.ping() });
    // Private mode: the backend (the site's database) must answer too.
    if (privateMode !== null) {
      const backend = privateMode.backend;
      readiness.add({
        name: `backend:${config.private.backend.driver}`,
        check: () => backend.ping(),
      });
    }
    if (config.admin !== undefined) {
      const started = await startAdmin({
        admin: config.admin,
        baseDir: options.baseDir ?? process.cwd(),
        log,
        registry,
        requests,
        store: peerStore,
        hooks: new Map(hookList.map((h) => [h.name, h])),
        readiness,
      });
      admin = started.server;
      adminAddress = started.address;
      // Private mode: users and torrents through the admin API (src/admin/private-routes.ts).
      if (privateMode !== null) {
        admin.addRoutes(privateRoutes(privateMode.backend, privateMode.directory));
      }
    }
    await bindAll(wsc.listen, false, 'ws', wsAddresses);
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
    wsAddresses,
    websocket: ws,
    udpIo: udp.mode,
    httpIo: http.mode,
    log,
    metrics: registry,
    readiness,
    admin,
    adminAddress,
    httpsAddresses,
    backend: privateMode?.backend ?? null,
    directory: privateMode?.directory ?? null,
    reload: async () => {
      const failed: string[] = [];
      if (httpsAddresses.length > 0) {
        try {
          http.setSecureContext(await readTls());
          log.info('tls certificate reloaded');
        } catch (err) {
          failed.push('tls');
          log.error({ err, code: 'SHOAL_E_TLS_RELOAD' }, 'tls reload failed; keeping the old one');
        }
      }
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
