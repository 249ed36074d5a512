import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS } from '../backend/postgres/migrations.js';
import { createTestSchema, pgSkipReason } from '../backend/postgres/pg-test-support.js';

const CLI = fileURLToPath(new URL('./shoal.js', import.meta.url));
const skip = await pgSkipReason();

async function tempConfig(data: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-db-'));
  const path = join(dir, 'shoal.json'); // JSON is YAML
  await writeFile(path, JSON.stringify(data));
  return path;
}

/** Runs the CLI to its end: exit code, stdout, stderr. */
async function shoal(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

const unreachable = {
  private: {
    enabled: true,
    backend: { driver: 'postgres', options: { host: '127.0.0.1', port: 1, connectTimeout: 2 } },
  },
  listen: { http: ['127.0.0.1:0'], udp: ['127.0.0.1:0'] },
  log: { level: 'silent' },
};

describe('shoal db migrate', { skip: skip ?? false }, () => {
  it('applies the migrations once, prints them, then says the schema is up to date', async () => {
    const ts = await createTestSchema(false);
    try {
      const cfg = await tempConfig({
        private: { enabled: true, backend: { driver: 'postgres', options: ts.options } },
      });
      const first = await shoal(['db', 'migrate', '--config', cfg]);
      assert.equal(first.code, 0, first.err);
      const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
      assert.equal(
        first.out,
        MIGRATIONS.map((m) => `applied ${m.version}: ${m.name}\n`).join('') +
          `schema "${ts.schema}" is at version ${latest}\n`,
      );
      const again = await shoal(['db', 'migrate', '-c', cfg]);
      assert.equal(again.code, 0, again.err);
      assert.equal(again.out, `schema "${ts.schema}" is up to date (version ${latest})\n`);
    } finally {
      await ts.drop();
    }
  });
});

describe('shoal private mode failures', () => {
  it('db migrate: an unreachable database exits 1 with the reason, no stack', async () => {
    const r = await shoal(['db', 'migrate', '--config', await tempConfig(unreachable)]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^shoal: db migrate: cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });

  it('starting with an unreachable database exits 1 with the reason, no stack', async () => {
    const r = await shoal(['--config', await tempConfig(unreachable)]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });

  it('--check names an unknown backend driver; unknown subcommands are usage errors', async () => {
    const cfg = await tempConfig({ private: { enabled: true, backend: { driver: 'mysql' } } });
    const r = await shoal(['--check', '--config', cfg]);
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /private\.backend\.driver: unknown driver "mysql" \(registered: noop, postgres\)/,
    );
    const bad = await shoal(['db', 'frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown command: db frobnicate/);
    const opt = await shoal([
      'db',
      'migrate',
      '--config',
      await tempConfig({ private: { backend: { driver: 'postgres', options: { nope: 1 } } } }),
    ]);
    assert.equal(opt.code, 2);
    assert.match(opt.err, /unknown option: nope/);
  });
});
