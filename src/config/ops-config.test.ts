import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from './config.js';

describe('config: admin, tls, scrape.full', () => {
  it('has no admin listener unless the block is given; an empty block takes the defaults', () => {
    assert.equal(parseConfig({}).admin, undefined);
    assert.deepEqual(parseConfig({ admin: {} }).admin, {
      listen: { host: '127.0.0.1', port: 6970, family: 4 },
      metrics: true,
      timingSample: 64,
      processMetrics: true,
      topTorrentsScan: 100_000,
    });
  });

  it('names the bad admin key', () => {
    const bad: [unknown, RegExp][] = [
      [{ token: 'short' }, /admin\.token: expected at least 16 characters/],
      [{ token: 'x'.repeat(16), tokenEnv: 'T' }, /admin: give at most one of token/],
      [{ tokenEnv: '1BAD' }, /admin\.tokenEnv: expected an environment variable name/],
      [{ timingSample: 3 }, /admin\.timingSample: expected a power of two/],
      [{ listen: 'localhost:1' }, /admin\.listen: not an IP address/],
      [{ port: 1 }, /unknown key in admin: port/],
    ];
    for (const [admin, message] of bad) {
      assert.throws(() => parseConfig({ admin }), { code: 'SHOAL_E_CONFIG', message });
    }
  });

  it('needs tls with listen.https', () => {
    assert.throws(() => parseConfig({ listen: { https: ['127.0.0.1:0'] } }), {
      message: /tls: listen\.https needs tls\.cert and tls\.key/,
    });
    const c = parseConfig({
      listen: { https: ['127.0.0.1:0'] },
      tls: { cert: 'c.pem', key: 'k.pem' },
    });
    assert.deepEqual(c.tls, { cert: 'c.pem', key: 'k.pem' });
  });

  it('checks scrape.full', () => {
    assert.throws(() => parseConfig({ scrape: { full: { cacheSeconds: 0 } } }), {
      message: /scrape\.full\.cacheSeconds/,
    });
    assert.equal(parseConfig({ scrape: { full: { enabled: true } } }).scrape.full.enabled, true);
  });
});
