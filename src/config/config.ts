import { z } from 'zod';
import { parseNetwork } from '../bittorrent/cidr.js';
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
      })
      .prefault({}),
    hooks: z.array(hookEntry).default([]),
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
