import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from './config.js';
import { parseListenAddress } from './listen-address.js';

/** The ConfigError message for `input` (fails if it parses). */
function problems(input: unknown): string {
  try {
    parseConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'SHOAL_E_CONFIG');
    assert.equal(err.name, 'ConfigError');
    assert.match(err.message, /^invalid configuration:\n {2}/);
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(input)} to be rejected`);
}

/** The problem lines of a ConfigError message. */
function lines(input: unknown): string[] {
  return problems(input)
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
}

describe('parseConfig defaults', () => {
  const DEFAULTS = {
    listen: {
      http: [
        { host: '0.0.0.0', port: 6969, family: 4 },
        { host: '::', port: 6969, family: 6 },
      ],
      udp: [
        { host: '0.0.0.0', port: 6969, family: 4 },
        { host: '::', port: 6969, family: 6 },
      ],
      https: [],
    },
    announce: {
      interval: 1800,
      minInterval: 900,
      numwant: 50,
      maxNumwant: 200,
      peerLifetime: 2700,
      trustClientIp: false,
    },
    scrape: {
      maxInfoHashes: 74,
      full: { enabled: false, cacheSeconds: 60, perIpSeconds: 300, maxSwarms: 1_000_000 },
    },
    http: {
      maxConnections: 10000,
      maxRequestBytes: 8192,
      headerTimeout: 10,
      idleTimeout: 60,
      trustedProxies: [],
      proxyHeader: 'x-forwarded-for',
      native: true,
    },
    udp: { socketBufferBytes: 4 * 1024 * 1024, batch: true },
    websocket: {
      enabled: true,
      listen: [],
      maxConnections: 20000,
      maxMessageBytes: 65536,
      maxOffers: 10,
      maxSwarmsPerConnection: 1000,
      rateLimit: { perSecond: 5, burst: 50 },
      idleTimeout: 120,
      interval: 120,
    },
    log: { level: 'info' },
    shutdown: { graceSeconds: 5 },
    storage: {
      peers: { driver: 'memory', options: {} },
      ips: { driver: 'memory', options: {} },
      strings: { driver: 'memory', options: {} },
    },
    hooks: [],
    private: {
      enabled: false,
      backend: { driver: 'noop', options: {} },
      refreshSeconds: 30,
      accounting: {
        flushInterval: 10,
        maxBatch: 1000,
        maxPending: 200000,
        spool: null,
        spoolSync: false,
        spoolCompactBytes: 64 * 1024 * 1024,
        shards: 16,
        retryMin: 1,
        retryMax: 60,
        closeTimeout: 15,
        busyRetryIn: 60,
        userCacheSize: 100000,
      },
    },
    workers: 1,
  };

  it('fills every default for an empty, null or undefined config', () => {
    assert.deepEqual(parseConfig({}), DEFAULTS);
    assert.deepEqual(parseConfig(null), DEFAULTS);
    assert.deepEqual(parseConfig(undefined), DEFAULTS);
    assert.equal(parseConfig({}).udp.connectionIdKey, undefined);
  });

  it('fills defaults of a partly given section', () => {
    const c = parseConfig({ announce: { interval: 600, minInterval: 60, peerLifetime: 900 } });
    assert.deepEqual(c.announce, {
      interval: 600,
      minInterval: 60,
      numwant: 50,
      maxNumwant: 200,
      peerLifetime: 900,
      trustClientIp: false,
    });
    assert.deepEqual(c.scrape, DEFAULTS.scrape);
    assert.deepEqual(
      parseConfig({ listen: { udp: ['127.0.0.1:0'] } }).listen.http,
      DEFAULTS.listen.http,
    );
  });

  it('keeps given values', () => {
    const c = parseConfig({
      listen: { http: ['127.0.0.1:8080'], udp: ['[::1]:0'] },
      announce: { numwant: 10, maxNumwant: 10, trustClientIp: true },
      scrape: { maxInfoHashes: 1 },
      http: {
        maxConnections: 5,
        maxRequestBytes: 512,
        headerTimeout: 1,
        idleTimeout: 3600,
        trustedProxies: ['10.0.0.0/8', '::1'],
        proxyHeader: 'X-Real-IP',
      },
      udp: { connectionIdKey: '00112233445566778899AABBCCDDEEFF', socketBufferBytes: 0 },
      log: { level: 'silent' },
      shutdown: { graceSeconds: 0 },
    });
    assert.deepEqual(c.listen.http, [{ host: '127.0.0.1', port: 8080, family: 4 }]);
    assert.deepEqual(c.listen.udp, [{ host: '::1', port: 0, family: 6 }]);
    assert.equal(c.announce.numwant, 10);
    assert.equal(c.announce.trustClientIp, true);
    assert.equal(c.scrape.maxInfoHashes, 1);
    assert.deepEqual(c.http.trustedProxies, ['10.0.0.0/8', '::1']);
    assert.equal(c.http.proxyHeader, 'x-real-ip'); // lower-cased, as Node gives header names
    assert.equal(c.udp.connectionIdKey, '00112233445566778899AABBCCDDEEFF');
    assert.equal(c.udp.socketBufferBytes, 0);
    assert.equal(c.log.level, 'silent');
    assert.equal(c.shutdown.graceSeconds, 0);
  });

  it('accepts empty listen lists', () => {
    assert.deepEqual(parseConfig({ listen: { http: [] } }).listen.http, []);
  });
});

describe('parseConfig errors', () => {
  it('names unknown keys, at the top level and in sections', () => {
    assert.deepEqual(lines({ foo: 1 }), ['unknown key: foo']);
    assert.deepEqual(lines({ foo: 1, bar: 2 }), ['unknown keys: foo, bar']);
    assert.deepEqual(lines({ announce: { intervall: 60 } }), [
      'unknown key in announce: intervall',
    ]);
    assert.deepEqual(lines({ http: { a: 1, b: 2 } }), ['unknown keys in http: a, b']);
  });

  it('lists every problem, not just the first', () => {
    const l = lines({ bogus: true, scrape: { maxInfoHashes: 0 }, log: { level: 'loud' } });
    assert.equal(l.length, 3);
    assert.ok(l.includes('unknown key: bogus'));
    assert.ok(l.some((x) => x.startsWith('scrape.maxInfoHashes: ')));
    assert.ok(l.some((x) => x.startsWith('log.level: ')));
  });

  it('names the key path of a bad value', () => {
    const cases: [unknown, string][] = [
      [{ announce: { interval: 1.5 } }, 'announce.interval'],
      [{ announce: { interval: '60' } }, 'announce.interval'],
      [{ announce: { interval: 86401 } }, 'announce.interval'],
      [{ announce: { minInterval: -1 } }, 'announce.minInterval'],
      [{ announce: { numwant: 1001, maxNumwant: 1000 } }, 'announce.numwant'],
      [{ announce: { maxNumwant: -1, numwant: 0 } }, 'announce.maxNumwant'],
      [{ announce: { peerLifetime: 6 * 3600 + 1 } }, 'announce.peerLifetime'],
      [{ announce: { trustClientIp: 'yes' } }, 'announce.trustClientIp'],
      [{ scrape: { maxInfoHashes: 1001 } }, 'scrape.maxInfoHashes'],
      [{ http: { maxConnections: 0 } }, 'http.maxConnections'],
      [{ http: { maxRequestBytes: 511 } }, 'http.maxRequestBytes'],
      [{ http: { maxRequestBytes: 1048577 } }, 'http.maxRequestBytes'],
      [{ http: { headerTimeout: 0 } }, 'http.headerTimeout'],
      [{ http: { idleTimeout: 3601 } }, 'http.idleTimeout'],
      [{ http: { trustedProxies: ['10.0.0.0/8', '10.0.0.0/33'] } }, 'http.trustedProxies.1'],
      [{ http: { trustedProxies: '10.0.0.0/8' } }, 'http.trustedProxies'],
      [{ http: { proxyHeader: 'x forwarded' } }, 'http.proxyHeader'],
      [{ http: { proxyHeader: '' } }, 'http.proxyHeader'],
      [{ udp: { connectionIdKey: 'abc' } }, 'udp.connectionIdKey'],
      [{ udp: { connectionIdKey: 'g'.repeat(32) } }, 'udp.connectionIdKey'],
      [{ udp: { connectionIdKey: '0'.repeat(33) } }, 'udp.connectionIdKey'],
      [{ udp: { socketBufferBytes: -1 } }, 'udp.socketBufferBytes'],
      [{ log: { level: 'verbose' } }, 'log.level'],
      [{ shutdown: { graceSeconds: 301 } }, 'shutdown.graceSeconds'],
      [{ listen: { http: '0.0.0.0:6969' } }, 'listen.http'],
      [{ listen: { udp: ['0.0.0.0:6969', 'localhost:6969'] } }, 'listen.udp.1'],
      [{ announce: 5 }, 'announce'],
    ];
    for (const [input, key] of cases) {
      const l = lines(input);
      // The bad key comes first; a cross-key rule may add a line (interval 86401 is also longer
      // than the default peerLifetime), but nothing else is blamed.
      assert.ok(l[0]!.startsWith(`${key}: `), `${JSON.stringify(input)}: ${l[0]}`);
      for (const extra of l.slice(1)) assert.match(extra, /^announce\.\w+: must /, extra);
    }
  });

  it('explains bad listen addresses and proxies', () => {
    assert.deepEqual(lines({ listen: { udp: ['localhost:6969'] } }), [
      'listen.udp.0: not an IP address: "localhost"',
    ]);
    assert.deepEqual(lines({ http: { trustedProxies: ['nope'] } }), [
      'http.trustedProxies.0: expected an IP address or CIDR network such as 10.0.0.0/8 or fd00::/8',
    ]);
    assert.deepEqual(lines({ udp: { connectionIdKey: 'xyz' } }), [
      'udp.connectionIdKey: expected 32 hex digits (16 bytes)',
    ]);
  });

  it('rejects a non-object config at the top level', () => {
    for (const input of [[], 'text', 5, true]) {
      const l = lines(input);
      assert.equal(l.length, 1);
      assert.ok(l[0]!.startsWith('(top level): '), l[0]);
    }
  });
});

describe('parseConfig cross-key rules', () => {
  it('minInterval must not exceed interval', () => {
    assert.equal(
      parseConfig({ announce: { interval: 600, minInterval: 600, peerLifetime: 900 } }).announce
        .minInterval,
      600,
    );
    assert.deepEqual(lines({ announce: { interval: 600, minInterval: 601, peerLifetime: 900 } }), [
      'announce.minInterval: must not exceed announce.interval (600)',
    ]);
    // The default minInterval (900) against a smaller interval.
    assert.deepEqual(lines({ announce: { interval: 300 } }), [
      'announce.minInterval: must not exceed announce.interval (300)',
    ]);
  });

  it('numwant must not exceed maxNumwant', () => {
    assert.equal(parseConfig({ announce: { numwant: 30, maxNumwant: 30 } }).announce.numwant, 30);
    assert.deepEqual(lines({ announce: { numwant: 31, maxNumwant: 30 } }), [
      'announce.numwant: must not exceed announce.maxNumwant (30)',
    ]);
    assert.deepEqual(lines({ announce: { maxNumwant: 10 } }), [
      'announce.numwant: must not exceed announce.maxNumwant (10)',
    ]);
  });

  it('peerLifetime must be longer than interval', () => {
    assert.equal(
      parseConfig({ announce: { interval: 1800, peerLifetime: 1801 } }).announce.peerLifetime,
      1801,
    );
    assert.deepEqual(lines({ announce: { peerLifetime: 1800 } }), [
      'announce.peerLifetime: must be longer than announce.interval (1800), or peers expire between announces',
    ]);
    assert.deepEqual(lines({ announce: { interval: 3600 } }), [
      'announce.peerLifetime: must be longer than announce.interval (3600), or peers expire between announces',
    ]);
  });

  it('reports every broken cross-key rule at once', () => {
    const l = lines({ announce: { minInterval: 2000, numwant: 300, peerLifetime: 10 } });
    assert.deepEqual(
      l.map((x) => x.split(':')[0]),
      ['announce.minInterval', 'announce.numwant', 'announce.peerLifetime'],
    );
  });
});

describe('parseConfig storage and hooks', () => {
  it('takes a driver and its options per kind, independently', () => {
    const c = parseConfig({
      storage: { strings: { driver: 'chain', options: { path: '/var/lib/shoal' } } },
    });
    assert.deepEqual(c.storage.strings, { driver: 'chain', options: { path: '/var/lib/shoal' } });
    assert.deepEqual(c.storage.peers, { driver: 'memory', options: {} });
  });

  it('keeps hook entries in order with their own options', () => {
    const c = parseConfig({
      hooks: [
        { type: 'ip-list', mode: 'deny', entries: ['10.0.0.0/8'] },
        { type: 'infohash-list', name: 'dmca', mode: 'deny' },
      ],
    });
    assert.deepEqual(
      c.hooks.map((h) => [h.type, h.name]),
      [
        ['ip-list', undefined],
        ['infohash-list', 'dmca'],
      ],
    );
    assert.deepEqual(c.hooks[0]!['entries'], ['10.0.0.0/8']);
  });

  it('names bad drivers, hook types and clashing hook names', () => {
    const msg = problems({
      storage: { peers: { driver: 'no such', extra: 1 } },
      hooks: [{ type: 'client-list' }, { name: 'x' }],
    });
    assert.match(msg, /storage\.peers\.driver: expected a driver name/);
    assert.match(msg, /unknown key in storage\.peers: extra/);
    assert.match(msg, /hooks\.1\.type: /);
    assert.match(
      problems({ hooks: [{ type: 'client-list' }, { type: 'client-list', mode: 'deny' }] }),
      /hooks\.1\.name: hook name "client-list" is already used/,
    );
  });
});

describe('parseListenAddress', () => {
  it('parses host:port and [IPv6]:port', () => {
    assert.deepEqual(parseListenAddress('0.0.0.0:6969'), {
      host: '0.0.0.0',
      port: 6969,
      family: 4,
    });
    assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0, family: 4 });
    assert.deepEqual(parseListenAddress('[::]:6969'), { host: '::', port: 6969, family: 6 });
    assert.deepEqual(parseListenAddress('[::1]:65535'), { host: '::1', port: 65535, family: 6 });
    assert.deepEqual(parseListenAddress('[2001:db8::1]:80'), {
      host: '2001:db8::1',
      port: 80,
      family: 6,
    });
  });

  it('explains what is wrong', () => {
    assert.equal(parseListenAddress('1.2.3.4'), 'expected host:port or [IPv6]:port');
    assert.equal(parseListenAddress('::1:80'), 'expected host:port or [IPv6]:port');
    assert.equal(parseListenAddress(''), 'expected host:port or [IPv6]:port');
    assert.equal(parseListenAddress('[::1]'), 'expected [IPv6]:port');
    assert.equal(parseListenAddress('[::1]80'), 'expected [IPv6]:port');
    assert.equal(parseListenAddress('[::1:80'), 'expected [IPv6]:port');
    assert.equal(parseListenAddress('localhost:80'), 'not an IP address: "localhost"');
    assert.equal(parseListenAddress(':80'), 'not an IP address: ""');
    assert.equal(parseListenAddress('[]:80'), 'not an IP address: ""');
    assert.equal(parseListenAddress('1.2.3.4:'), 'bad port: ""');
    assert.equal(parseListenAddress('1.2.3.4:65536'), 'bad port: "65536"');
    assert.equal(parseListenAddress('1.2.3.4:-1'), 'bad port: "-1"');
    assert.equal(parseListenAddress('1.2.3.4:80x'), 'bad port: "80x"');
    assert.equal(parseListenAddress('1.2.3.4:123456'), 'bad port: "123456"');
    assert.equal(parseListenAddress('[::1]:'), 'bad port: ""');
    assert.equal(parseListenAddress('[::1]:1:2'), 'bad port: "1:2"');
  });
});
