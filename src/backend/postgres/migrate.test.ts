import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { migrateFromOptions, migrateSchema } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { createTestSchema, pgSkipReason } from './pg-test-support.js';
import type { TestSchema } from './pg-test-support.js';

const skip = await pgSkipReason();

describe('shoal db migrate', { skip: skip ?? false }, () => {
  const schemas: TestSchema[] = [];
  after(async () => {
    for (const s of schemas) await s.drop();
  });
  async function fresh(): Promise<TestSchema> {
    const s = await createTestSchema(false);
    schemas.push(s);
    return s;
  }
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;

  test('an empty (missing) schema: created, every migration applied in order', async () => {
    const s = await fresh();
    const r = await migrateFromOptions(s.options);
    assert.equal(r.schema, s.schema);
    assert.deepEqual(
      r.applied.map((m) => m.version),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal(r.version, latest);
    const tables = await s.sql<{ t: string }[]>`
      SELECT table_name AS t FROM information_schema.tables
      WHERE table_schema = ${s.schema} ORDER BY table_name`;
    assert.deepEqual(
      tables.map((x) => x.t),
      ['peers', 'schema_migrations', 'shoal_batches', 'snatches', 'torrents', 'users'],
    );
    const rows = await s.sql<{ version: number; name: string }[]>`
      SELECT version, name FROM schema_migrations ORDER BY version`;
    assert.deepEqual(
      rows.map((x) => [x.version, x.name]),
      MIGRATIONS.map((m) => [m.version, m.name]),
    );
  });

  test('an already migrated schema: nothing applied, data kept', async () => {
    const s = await fresh();
    await migrateFromOptions(s.options);
    await s.sql`INSERT INTO users (passkey) VALUES ('kept')`;
    const r = await migrateFromOptions(s.options);
    assert.deepEqual(r.applied, []);
    assert.equal(r.version, latest);
    assert.equal((await s.sql`SELECT 1 FROM users WHERE passkey = 'kept'`).length, 1);
  });

  test('two concurrent runs: each migration applied exactly once', async () => {
    const s = await fresh();
    const [a, b] = await Promise.all([
      migrateFromOptions(s.options),
      migrateFromOptions(s.options),
    ]);
    assert.equal(a.applied.length + b.applied.length, MIGRATIONS.length);
    assert.ok(a.applied.length === 0 || b.applied.length === 0);
    const rows = await s.sql`SELECT version FROM schema_migrations`;
    assert.equal(rows.length, MIGRATIONS.length);
  });

  test('a later migration is applied on its own; a failing one rolls back and says which', async () => {
    const s = await fresh();
    await migrateSchema(s.sql, s.schema);
    const next = [
      ...MIGRATIONS,
      { version: latest + 1, name: 'extra', sql: 'CREATE TABLE extra (x int)' },
    ];
    const r = await migrateSchema(s.sql, s.schema, next);
    assert.deepEqual(
      r.applied.map((m) => m.name),
      ['extra'],
    );
    const broken = [
      ...next,
      { version: latest + 2, name: 'broken', sql: 'CREATE TABLE half (x int); SELECT nope' },
    ];
    await assert.rejects(migrateSchema(s.sql, s.schema, broken), {
      code: 'SHOAL_E_MIGRATE',
      message: new RegExp(`migration ${latest + 2} \\(broken\\) failed`),
    });
    assert.equal((await s.sql`SELECT to_regclass('half')::text AS t`)[0]!['t'], null);
    assert.equal(
      (await s.sql`SELECT max(version) AS v FROM schema_migrations`)[0]!['v'],
      latest + 1,
    );
  });

  test('an unreachable server is named', async () => {
    await assert.rejects(migrateFromOptions({ host: '127.0.0.1', port: 1, connectTimeout: 2 }), {
      code: 'SHOAL_E_MIGRATE',
      message: /cannot connect to PostgreSQL at 127\.0\.0\.1:1/,
    });
  });
});
