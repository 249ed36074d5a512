import postgres from 'postgres';
import type { Options, Sql } from 'postgres';
import { z } from 'zod';

/** A schema name used unquoted in `search_path` and in channel names. */
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

const optionsSchema = z.strictObject({
  /** `postgres://user:password@host:port/database`; the other keys override its parts. */
  url: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  database: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  password: z.string().optional(),
  schema: z
    .string()
    .regex(SCHEMA, 'expected a lower-case identifier such as shoal')
    .default('shoal'),
  /** Connections in the pool. */
  max: z.number().int().min(1).max(100).default(4),
  /** Seconds to wait for a connection. */
  connectTimeout: z.number().min(1).max(300).default(10),
  /** Seconds any one statement may run (PostgreSQL `statement_timeout`). */
  statementTimeout: z.number().min(1).max(3600).default(30),
  /** Days a recordAnnounce batch id is kept (a retry older than that would count twice). */
  batchRetentionDays: z.number().int().min(1).max(3650).default(30),
});

/** The validated options of the `postgres` backend. */
export type PostgresOptions = z.output<typeof optionsSchema>;

/** Checks `postgres` backend options; throws an Error naming every bad key. */
export function parsePostgresOptions(input: Readonly<Record<string, unknown>>): PostgresOptions {
  const r = optionsSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      return `unknown option${i.keys.length > 1 ? 's' : ''}: ${i.keys.join(', ')} (known: ${Object.keys(optionsSchema.shape).join(', ')})`;
    }
    return `${i.path.join('.') || '(options)'}: ${i.message}`;
  });
  throw new Error(`postgres backend options: ${lines.join('; ')}`);
}

/**
 * One pool for these options. Statements run with `search_path` set to the schema, so the
 * migrations' unqualified names resolve there. Nothing connects until the first query.
 */
export function connectPostgres(o: PostgresOptions, application = 'shoal'): Sql {
  const opts: Options<Record<string, never>> = {
    max: o.max,
    connect_timeout: o.connectTimeout,
    idle_timeout: 60,
    onnotice: () => undefined,
    connection: {
      application_name: application,
      search_path: o.schema,
      statement_timeout: Math.round(o.statementTimeout * 1000),
    },
  };
  if (o.host !== undefined) opts.host = o.host;
  if (o.port !== undefined) opts.port = o.port;
  if (o.database !== undefined) opts.database = o.database;
  if (o.user !== undefined) opts.user = o.user;
  if (o.password !== undefined) opts.password = o.password;
  return o.url === undefined ? postgres(opts) : postgres(o.url, opts);
}

/** "host:port/database" for error messages (never the password). */
export function describeTarget(o: PostgresOptions): string {
  if (o.url !== undefined) {
    try {
      const u = new URL(o.url);
      return `${o.host ?? u.hostname}:${o.port ?? (u.port || 5432)}${o.database !== undefined ? `/${o.database}` : u.pathname}`;
    } catch {
      return 'the configured url';
    }
  }
  return `${o.host ?? process.env['PGHOST'] ?? 'localhost'}:${o.port ?? 5432}/${o.database ?? process.env['PGDATABASE'] ?? '(default)'}`;
}
