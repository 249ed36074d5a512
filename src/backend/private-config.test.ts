import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../config/config.js';
import { checkPrivateConfig } from './private-mode.js';

describe('config: private', () => {
  test('defaults: off, noop backend; enabled alone means postgres', () => {
    const { accounting, ...rest } = parseConfig({}).private;
    assert.deepEqual(rest, {
      enabled: false,
      backend: { driver: 'noop', options: {} },
      refreshSeconds: 30,
    });
    assert.equal(accounting.spool, null);
    assert.equal(accounting.flushInterval, 10);
    assert.equal(parseConfig({ private: { enabled: true } }).private.backend.driver, 'postgres');
    const mine = parseConfig({ private: { enabled: true, backend: { driver: 'mine' } } });
    assert.equal(mine.private.backend.driver, 'mine');
  });

  test('bad keys and values are named', () => {
    assert.throws(
      () => parseConfig({ private: { enabled: true, backend: { drvier: 'x' } } }),
      (err: Error) =>
        err instanceof ConfigError && /unknown key in private\.backend: drvier/.test(err.message),
    );
    assert.throws(() => parseConfig({ private: { refreshSeconds: 0 } }), /private\.refreshSeconds/);
    assert.throws(() => parseConfig({ private: { enabled: 'yes' } }), /private\.enabled/);
    assert.throws(
      () => parseConfig({ private: { accounting: { maxBatch: 0 } } }),
      /private\.accounting\.maxBatch/,
    );
    assert.throws(
      () => parseConfig({ private: { accounting: { peerLifetime: 10 } } }),
      /unknown key in private\.accounting: peerLifetime/,
    );
  });

  test('an unregistered backend driver is a ConfigError naming the registered ones', async () => {
    const p = parseConfig({ private: { enabled: true, backend: { driver: 'mysql' } } }).private;
    await assert.rejects(checkPrivateConfig(p), {
      name: 'ConfigError',
      message: 'private.backend.driver: unknown driver "mysql" (registered: noop, postgres)',
    });
  });

  test('postgres options are checked without connecting', async () => {
    const p = (options: Record<string, unknown>): ReturnType<typeof parseConfig>['private'] =>
      parseConfig({ private: { enabled: true, backend: { options } } }).private;
    await checkPrivateConfig(p({ host: 'db.invalid', schema: 'site' }));
    await assert.rejects(checkPrivateConfig(p({ hots: 'x' })), {
      name: 'ConfigError',
      message: /^private\.backend\.options: postgres backend options: unknown option: hots/,
    });
  });
});
