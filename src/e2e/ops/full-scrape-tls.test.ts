import assert from 'node:assert/strict';
import { selfSignedCert } from '../../test-support/self-signed-cert.js';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import tls from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { bdecode } from '../../bittorrent/bencode.js';
import type { Decoded } from '../../bittorrent/bencode.js';
import { createTracker } from '../../index.js';
import { boundAddress, randomId, startTracker } from '../protocol-support/fixtures.js';
import { announce, announcePath, failureReason, httpGet } from '../protocol-support/raw-http.js';
import type { Dict } from '../protocol-support/raw-http.js';
import { unlistedPeerStore } from '../../test-support/unlisted-peer-store.js';

describe('full scrape', () => {
  test('is off by default: GET /scrape without info_hash fails with a reason', async () => {
    const t = await startTracker();
    try {
      const res = await httpGet(boundAddress(t, 'http', 4).port, 4, '/scrape');
      assert.equal(failureReason(res), 'full scrape is not enabled');
    } finally {
      await t.close();
    }
  });

  test('lists every swarm, gzip when accepted, at most once per address per period', async () => {
    const t = await startTracker({ scrape: { full: { enabled: true, perIpSeconds: 60 } } });
    try {
      const p4 = boundAddress(t, 'http', 4).port;
      const p6 = boundAddress(t, 'http', 6).port;
      const a = randomId();
      const b = randomId();
      await announce(p4, 4, { infoHash: a, peerId: randomId(), port: 1, left: 0 });
      await announce(p4, 4, { infoHash: a, peerId: randomId(), port: 2 });
      await announce(p4, 4, { infoHash: b, peerId: randomId(), port: 3 });
      const res = await httpGet(p4, 4, '/scrape', { 'Accept-Encoding': 'gzip, deflate' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], 'gzip');
      const files = (bdecode(gunzipSync(res.body)) as Dict).files as Record<string, Decoded>;
      assert.deepEqual(Object.keys(files).sort(), [a, b].map((h) => h.toString('latin1')).sort());
      assert.deepEqual(
        { ...(files[a.toString('latin1')] as Dict) },
        {
          complete: 1,
          downloaded: 0,
          incomplete: 1,
        },
      );
      assert.deepEqual(
        { ...(files[b.toString('latin1')] as Dict) },
        {
          complete: 0,
          downloaded: 0,
          incomplete: 1,
        },
      );
      // The same address again, too soon.
      const again = await httpGet(p4, 4, '/scrape');
      assert.equal(failureReason(again), 'full scrape: try again later');
      // Another address (::1), no gzip: the plain body, from the cache.
      const plain = await httpGet(p6, 6, '/scrape');
      assert.equal(plain.headers['content-encoding'], undefined);
      const files6 = (bdecode(plain.body) as Dict).files as Record<string, Decoded>;
      assert.equal(Object.keys(files6).length, 2);
    } finally {
      await t.close();
    }
  });

  test('needs a store that can list swarms', async () => {
    // The same store without the optional capability (as the redis driver is).
    const store = unlistedPeerStore();
    await assert.rejects(
      createTracker(
        {
          listen: { http: ['127.0.0.1:0'], udp: [] },
          log: { level: 'silent' },
          scrape: { full: { enabled: true } },
        },
        { store },
      ),
      { code: 'SHOAL_E_CONFIG', message: /scrape\.full: .*list its swarms/ },
    );
    await store.close();
  });
});

/** One GET over TLS; resolves with the raw reply and the server certificate's CN. */
function httpsGet(port: number, target: string): Promise<{ text: string; cn: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cn = String(s.getPeerCertificate().subject.CN);
      s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), cn }));
    });
    s.on('error', reject);
  });
}

describe('https listener', () => {
  test('serves announces over TLS and reloads the certificate on reload (SIGHUP)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-tls-'));
    const one = selfSignedCert(dir, 'one', 'shoal-one');
    const two = selfSignedCert(dir, 'two', 'shoal-two');
    assert.ok(one !== null && two !== null, 'openssl is needed to make the test certificates');
    const t = await createTracker({
      listen: { http: [], udp: [], https: ['127.0.0.1:0'] },
      tls: { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') },
      log: { level: 'silent' },
    }).catch((err: unknown) => err as Error);
    assert.ok(t instanceof Error, 'missing certificate files stop the start');
    assert.match(t.message, /tls: .*live\.(crt|key)/);

    await rename(one.cert, join(dir, 'live.crt'));
    await rename(one.key, join(dir, 'live.key'));
    const tracker = await createTracker({
      listen: { http: [], udp: [], https: ['127.0.0.1:0'] },
      tls: { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') },
      log: { level: 'silent' },
    });
    try {
      const port = tracker.httpsAddresses[0]!.port;
      const hash = randomId();
      const first = await httpsGet(
        port,
        announcePath({ infoHash: hash, peerId: randomId(), port: 9 }),
      );
      assert.equal(first.cn, 'shoal-one');
      assert.match(first.text, /^HTTP\/1\.1 200 OK/);
      assert.match(first.text, /8:intervali1800e/);

      await rename(two.cert, join(dir, 'live.crt'));
      await rename(two.key, join(dir, 'live.key'));
      assert.deepEqual(await tracker.reload(), []);
      const second = await httpsGet(
        port,
        announcePath({ infoHash: hash, peerId: randomId(), port: 10 }),
      );
      assert.equal(second.cn, 'shoal-two');
      assert.match(second.text, /8:completei0e/);
      assert.match(second.text, /10:incompletei2e/);

      // A broken file keeps the certificate in use.
      await writeFile(join(dir, 'live.key'), 'not a key');
      assert.deepEqual(await tracker.reload(), ['tls']);
      assert.equal((await httpsGet(port, '/scrape')).cn, 'shoal-two');
    } finally {
      await tracker.close();
    }
  });

  test('listen.https without tls is a config error', async () => {
    await assert.rejects(
      createTracker({
        listen: { http: [], udp: [], https: ['127.0.0.1:0'] },
        log: { level: 'silent' },
      }),
      { code: 'SHOAL_E_CONFIG', message: /tls: listen\.https needs tls\.cert and tls\.key/ },
    );
  });
});
