import { z } from 'zod';
import { parseNetwork } from '../bittorrent/cidr.js';
import { chainSpecSchema } from '../chainstore/chain-spec.js';
import { privtrakOptionsSchema } from '../middleware/privtrak/privtrak-options.js';
import { MAX_PEER_LIFETIME } from '../store/memory/memory-peer-store.js';
import { parseListenAddress } from './listen-address.js';
import type { ListenAddress } from './listen-address.js';

const listenAddress = z.string().transform((s, ctx): ListenAddress => {
  const r = parseListenAddress(s);
  if (typeof r === 'string') {
    ctx.addIssue({ code: 'custom', message: r });
    return z.NEVER;
  }
  return r;
});

const seconds = (min: number, max: number): z.ZodNumber => z.number().int().min(min).max(max);

const network = z.string().refine(
  (s) => {
    try {
      parseNetwork(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IP address or CIDR network such as 10.0.0.0/8 or fd00::/8' },
);

const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

/** `storage.<kind>`: which driver holds that kind of state, and the driver's own options. */
const driverChoice = z
  .strictObject({
    driver: z.string().regex(NAME, 'expected a driver name such as memory').default('memory'),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .prefault({});

/**
 * One entry of `hooks`: its type (a built-in or a registered one), an optional unique name
 * (default: the type), and the type's own options beside them, checked by the type itself.
 */
const hookEntry = z.looseObject({
  type: z.string().regex(NAME, 'expected a hook type such as infohash-list'),
  name: z.string().regex(NAME, 'expected letters, digits, ".", "_" or "-"').optional(),
});

/** Every key, its type and its default. shoal.example.yaml documents each one. */
export const configSchema = z
  .strictObject({
    listen: z
      .strictObject({
        http: z.array(listenAddress).prefault(['0.0.0.0:6969', '[::]:6969']),
        udp: z.array(listenAddress).prefault(['0.0.0.0:6969', '[::]:6969']),
        /** HTTPS tracker listeners (TLS in the tracker); need `tls.cert` and `tls.key`. */
        https: z.array(listenAddress).default([]),
      })
      .prefault({}),
    announce: z
      .strictObject({
        interval: seconds(1, 14400).default(1800),
        minInterval: seconds(0, 14400).default(900),
        numwant: z.number().int().min(0).max(1000).default(50),
        maxNumwant: z.number().int().min(0).max(1000).default(200),
        peerLifetime: seconds(1, MAX_PEER_LIFETIME).default(2700),
        trustClientIp: z.boolean().default(false),
      })
      .prefault({}),
    scrape: z
      .strictObject({
        maxInfoHashes: z.number().int().min(1).max(1000).default(74),
        /** Full scrape (`GET /scrape` without info_hash): every swarm's counts. Off by default. */
        full: z
          .strictObject({
            enabled: z.boolean().default(false),
            /** Seconds one computed reply is served from cache before the next is built. */
            cacheSeconds: seconds(1, 3600).default(60),
            /** Seconds one client address must wait between two full scrapes. */
            perIpSeconds: seconds(0, 86400).default(300),
            /** Most swarms listed (the fullest are not picked: the first the store yields). */
            maxSwarms: z.number().int().min(1).default(1_000_000),
          })
          .prefault({}),
      })
      .prefault({}),
    http: z
      .strictObject({
        maxConnections: z.number().int().min(1).default(10000),
        maxRequestBytes: z.number().int().min(512).max(1048576).default(8192),
        headerTimeout: seconds(1, 600).default(10),
        idleTimeout: seconds(1, 3600).default(60),
        trustedProxies: z.array(network).default([]),
        proxyHeader: z
          .string()
          .regex(/^[A-Za-z0-9-]+$/, 'expected a header name')
          .transform((s) => s.toLowerCase())
          .default('x-forwarded-for'),
        native: z.boolean().default(true),
      })
      .prefault({}),
    udp: z
      .strictObject({
        connectionIdKey: z
          .string()
          .regex(/^[0-9a-fA-F]{32}$/, 'expected 32 hex digits (16 bytes)')
          .optional(),
        socketBufferBytes: z
          .number()
          .int()
          .min(0)
          .default(4 * 1024 * 1024),
        batch: z.boolean().default(true),
      })
      .prefault({}),
    /**
     * WebTorrent: WebSocket signalling for browsers, on the HTTP port (`enabled`: upgrades of
     * /announce, / and /<passkey>/announce) and on its own `listen` addresses (wss with `tls`).
     */
    websocket: z
      .strictObject({
        enabled: z.boolean().default(true),
        listen: z.array(listenAddress).default([]),
        tls: z
          .strictObject({
            cert: z.string().min(1, 'expected the path of a PEM certificate file'),
            key: z.string().min(1, 'expected the path of a PEM private key file'),
          })
          .optional(),
        maxConnections: z.number().int().min(1).default(20000),
        maxMessageBytes: z.number().int().min(1024).max(1048576).default(65536),
        maxOffers: z.number().int().min(0).max(50).default(10),
        maxSwarmsPerConnection: z.number().int().min(1).default(1000),
        rateLimit: z
          .strictObject({
            perSecond: z.number().min(0.01).default(5),
            burst: z.number().int().min(1).default(50),
          })
          .prefault({}),
        idleTimeout: seconds(2, 3600).default(120),
        interval: seconds(10, 14400).default(120),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info'),
      })
      .prefault({}),
    shutdown: z
      .strictObject({
        graceSeconds: seconds(0, 300).default(5),
      })
      .prefault({}),
    storage: z
      .strictObject({
        peers: driverChoice,
        ips: driverChoice,
        strings: driverChoice,
        /**
         * Memory PeerStore snapshots (docs/chainstore.md): a chain of stores the swarms are
         * written to at shutdown and restored from at start. Absent: no snapshot.
         */
        snapshot: chainSpecSchema.optional(),
      })
      .prefault({}),
    hooks: z.array(hookEntry).default([]),
    // --- operations (issue 7): TLS for `listen.https`, and the admin listener ---
    /** Certificate and key (PEM files) of the `listen.https` listeners; re-read on SIGHUP. */
    tls: z
      .strictObject({
        cert: z.string().min(1),
        key: z.string().min(1),
      })
      .optional(),
    /**
     * The admin listener (metrics, health, stats page, admin API). Absent: no listener and no
     * request metrics. The API is off unless a token is given (`token`, `tokenFile` or
     * `tokenEnv`, at most one).
     */
    admin: z
      .strictObject({
        listen: listenAddress.prefault('127.0.0.1:6970'),
        token: z.string().min(16, 'expected at least 16 characters').optional(),
        tokenFile: z.string().min(1).optional(),
        tokenEnv: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
          .optional(),
        /** Count requests by protocol, action, family, result and duration (/metrics). */
        metrics: z.boolean().default(true),
        /** Time one request in this many (a power of two; 1 times every request). */
        timingSample: z
          .number()
          .int()
          .min(1)
          .max(65536)
          .refine((n) => (n & (n - 1)) === 0, 'expected a power of two (1, 2, 4, ... 65536)')
          .default(64),
        /** Process metrics (CPU, memory, event loop lag, GC) from prom-client. */
        processMetrics: z.boolean().default(true),
        /** Swarms walked at most to find the top torrents of the stats page. */
        topTorrentsScan: z.number().int().min(0).default(100_000),
      })
      .optional(),
    /**
     * Private mode: announces need a registered passkey and torrent, users and torrents come
     * from a backend (PostgreSQL) and are kept in memory, refreshed on change.
     */
    private: z
      .strictObject({
        enabled: z.boolean().default(false),
        backend: z
          .strictObject({
            /** Default: `postgres` when enabled, else `noop`. */
            driver: z.string().regex(NAME, 'expected a driver name such as postgres').optional(),
            options: z.record(z.string(), z.unknown()).default({}),
          })
          .prefault({}),
        /** Seconds between full reloads of users and torrents when changes are not pushed. */
        refreshSeconds: seconds(1, 86400).default(30),
        /**
         * Upload/download accounting (privtrak, docs/accounting.md); its peerLifetime is
         * announce.peerLifetime.
         */
        accounting: privtrakOptionsSchema.omit({ peerLifetime: true }).prefault({}),
      })
      .transform((p) => ({
        ...p,
        backend: { ...p.backend, driver: p.backend.driver ?? (p.enabled ? 'postgres' : 'noop') },
      }))
      .prefault({}),
    /**
     * Tracker processes on this machine sharing the listening ports (`shoal --workers N`).
     * More than one needs a shared PeerStore (storage.peers.driver: redis).
     */
    workers: z.number().int().min(1).max(256).default(1),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.hooks.forEach((h, i) => {
      const name = h.name ?? h.type;
      if (names.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['hooks', i, 'name'],
          message: `hook name "${name}" is already used: give each hook of one type its own name`,
        });
      }
      names.add(name);
    });
    if (c.listen.https.length > 0 && c.tls === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'listen.https needs tls.cert and tls.key',
      });
    }
    if (c.admin !== undefined) {
      const given = [c.admin.token, c.admin.tokenFile, c.admin.tokenEnv].filter(
        (t) => t !== undefined,
      );
      if (given.length > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['admin'],
          message: 'give at most one of token, tokenFile and tokenEnv',
        });
      }
    }
    if (c.announce.minInterval > c.announce.interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['announce', 'minInterval'],
        message: `must not exceed announce.interval (${c.announce.interval})`,
      });
    }
    if (c.announce.numwant > c.announce.maxNumwant) {
      ctx.addIssue({
        code: 'custom',
        path: ['announce', 'numwant'],
        message: `must not exceed announce.maxNumwant (${c.announce.maxNumwant})`,
      });
    }
    if (c.announce.peerLifetime <= c.announce.interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['announce', 'peerLifetime'],
        message: `must be longer than announce.interval (${c.announce.interval}), or peers expire between announces`,
      });
    }
  });

/** The validated configuration, every default filled in. */
export type ShoalConfig = z.output<typeof configSchema>;
/** What a user writes: every key optional. */
export type ShoalConfigInput = z.input<typeof configSchema>;

/** A configuration problem; the message names the key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'SHOAL_E_CONFIG';
}

/** Validates a configuration object; throws ConfigError listing every bad key. */
export function parseConfig(input: unknown): ShoalConfig {
  const r = configSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const key = i.path.length > 0 ? i.path.join('.') : '(top level)';
    if (i.code === 'unrecognized_keys') {
      const where = i.path.length > 0 ? ` in ${i.path.join('.')}` : '';
      return `unknown key${i.keys.length > 1 ? 's' : ''}${where}: ${i.keys.join(', ')}`;
    }
    return `${key}: ${i.message}`;
  });
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
}
