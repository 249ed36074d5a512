import postgres from 'postgres';
import type { Sql } from 'postgres';
import { migrateSchema } from './migrate.js';

/**
 * What the PostgreSQL tests share: where the test server is, whether to run, and a schema of
 * their own per test file. Tests need a real PostgreSQL: under CI (`CI=true`) an unreachable
 * server fails them; elsewhere they are skipped with a message saying how to enable them.
 */

/** The test server's backend options (`SHOAL_TEST_PG_URL`, default the local `test` database). */
export const TEST_PG_URL =
  process.env['SHOAL_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const IN_CI = process.env['CI'] === 'true';

/**
 * Null when the server answers. Otherwise: under CI, throws (the test file fails); elsewhere,
 * returns the skip reason with how to enable the tests.
 */
export async function pgSkipReason(): Promise<string | null> {
  const sql = postgres(TEST_PG_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
  let problem: string | null = null;
  try {
    await sql`SELECT 1`;
  } catch (err) {
    problem = `PostgreSQL not reachable at ${TEST_PG_URL} (${(err as Error).message})`;
  } finally {
    await sql.end({ timeout: 0 });
  }
  if (problem === null) return null;
  const how =
    'run bash scripts/start-postgres.sh (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set SHOAL_TEST_PG_URL';
  if (IN_CI) throw new Error(`${problem}: PostgreSQL tests cannot be skipped under CI; ${how}`);
  return `${problem}; to run these tests, ${how}`;
}

let counter = 0;

/** A schema name no other test (or test process) uses. */
export function uniqueSchema(): string {
  return `shoal_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}

/** A test schema: its name, backend options pointing at it, an admin pool, and drop(). */
export interface TestSchema {
  schema: string;
  /** Options for the `postgres` backend driver. */
  options: { url: string; schema: string };
  /** A pool with `search_path` set to the schema, for checking rows directly. */
  sql: Sql;
  /** Drops the schema and closes `sql`. */
  drop(): Promise<void>;
}

/** Creates a fresh schema, migrated unless `migrated` is false. */
export async function createTestSchema(migrated = true): Promise<TestSchema> {
  const schema = uniqueSchema();
  const sql = postgres(TEST_PG_URL, {
    max: 2,
    onnotice: () => undefined,
    connection: { search_path: schema },
  });
  if (migrated) await migrateSchema(sql, schema);
  return {
    schema,
    options: { url: TEST_PG_URL, schema },
    sql,
    async drop() {
      await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await sql.end({ timeout: 5 });
    },
  };
}
