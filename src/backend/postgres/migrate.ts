import type { Sql } from 'postgres';
import { ShoalError } from '../../bittorrent/errors.js';
import { MIGRATIONS } from './migrations.js';
import type { Migration } from './migrations.js';
import { connectPostgres, describeTarget, parsePostgresOptions } from './postgres-options.js';

/** What one `migrate` run did. */
export interface MigrateResult {
  schema: string;
  /** Migrations applied by this run, in order. */
  applied: Migration[];
  /** The schema's version afterwards. */
  version: number;
}

// One advisory lock key for every `shoal db migrate`, whatever the schema: migrations are rare
// and serialising them across schemas costs nothing.
const LOCK_KEY = 0x5340414c; // "SHOL"-ish, arbitrary but fixed

/**
 * Brings `schema` up to date: creates it and `schema_migrations` if missing, then applies each
 * pending migration in its own transaction. Holds a PostgreSQL advisory lock throughout, so two
 * concurrent runs apply each migration once. Running it again applies nothing.
 */
export async function migrateSchema(
  sql: Sql,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  const applied: Migration[] = [];
  // reserve(): the lock is held by a session, so every statement must use one connection.
  const conn = await sql.reserve();
  try {
    await conn`SELECT pg_advisory_lock(${LOCK_KEY})`;
    try {
      await conn.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await conn.unsafe(`SET search_path TO "${schema}"`);
      await conn.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const done = new Set(
        (await conn<{ version: number }[]>`SELECT version FROM schema_migrations`).map(
          (r) => r.version,
        ),
      );
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        await conn.unsafe('BEGIN');
        try {
          await conn.unsafe(m.sql);
          await conn`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
          await conn.unsafe('COMMIT');
        } catch (err) {
          await conn.unsafe('ROLLBACK');
          throw new ShoalError(
            'SHOAL_E_MIGRATE',
            `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`,
            { cause: err },
          );
        }
        applied.push(m);
      }
      const [row] = await conn<
        { v: number | null }[]
      >`SELECT max(version)::int4 AS v FROM schema_migrations`;
      return { schema, applied, version: row?.v ?? 0 };
    } finally {
      await conn`SELECT pg_advisory_unlock(${LOCK_KEY})`.catch(() => undefined);
    }
  } finally {
    conn.release();
  }
}

/**
 * `shoal db migrate`: opens a pool from `postgres` backend options, migrates, closes.
 * Connection failures become a SHOAL_E_MIGRATE error naming the server.
 */
export async function migrateFromOptions(
  options: Readonly<Record<string, unknown>>,
): Promise<MigrateResult> {
  const o = parsePostgresOptions(options);
  const sql = connectPostgres({ ...o, max: 1 }, 'shoal-migrate');
  try {
    try {
      await sql`SELECT 1`;
    } catch (err) {
      throw new ShoalError(
        'SHOAL_E_MIGRATE',
        `cannot connect to PostgreSQL at ${describeTarget(o)}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return await migrateSchema(sql, o.schema);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
