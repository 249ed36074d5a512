import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseNetwork } from '../../bittorrent/cidr.js';
import { startLocalS3 } from '../../chainstore/stores/s3rver-test-support.js';
import { TempDirs } from '../../chainstore/stores/temp-dirs.js';
import { createLogger } from '../../log/logger.js';
import type { DriverContext } from '../driver.js';
import { ipStoreSuite } from '../suites/ip-store-suite.js';
import { stringStoreSuite } from '../suites/string-store-suite.js';
import { chainIPs, chainStrings } from './drivers.js';

// The chain IPStore and StringStore through their driver: the existing conformance suites on
// LMDB (sync off: the suites add 11,000 entries one awaited call at a time) and on LMDB over S3 (s3rver, in-process on 127.0.0.1), then restarts.
const temp = new TempDirs();
const s3 = await startLocalS3();
after(async () => {
  await s3.close();
  temp.removeAll();
});
const log = createLogger('silent');
const ctx = (namespace: string): DriverContext => ({ namespace, now: () => 0, log });
let n = 0;
const SLOW_ON_S3 =
  'its 15,000 writes take minutes through s3rver; the lmdb variant above runs it, and the chain writes S3 in the background anyway';

const lmdbChain = (): Record<string, unknown> => ({
  stores: [{ type: 'lmdb', path: temp.make('chain-lists'), sync: false }],
});
const lmdbS3Chain = (): Record<string, unknown> => ({
  stores: [
    { type: 'lmdb', path: temp.make('chain-lists'), sync: false },
    { ...s3.storeOptions(`lists${++n}/`), type: 's3' },
  ],
});

ipStoreSuite({
  name: 'ChainIPStore (lmdb) conformance',
  create: () => chainIPs.create(lmdbChain(), ctx('bans')),
});
stringStoreSuite({
  name: 'ChainStringStore (lmdb) conformance',
  create: () => chainStrings.create(lmdbChain(), ctx('hashes')),
});
ipStoreSuite({
  name: 'ChainIPStore (lmdb, s3) conformance',
  create: () => chainIPs.create(lmdbS3Chain(), ctx('bans')),
  skip: { 'many-networks': SLOW_ON_S3 },
});
stringStoreSuite({
  name: 'ChainStringStore (memory, s3) conformance',
  create: () =>
    chainStrings.create(
      { stores: [{ type: 'memory' }, { ...s3.storeOptions(`strings${++n}/`), type: 's3' }] },
      ctx('hashes'),
    ),
  skip: { 'many-values': SLOW_ON_S3 },
});

describe('chain list drivers', () => {
  it('keep lists across a restart, namespaces apart, on one shared chain', async () => {
    const options = lmdbChain();
    const bans = await chainIPs.create(options, ctx('bans'));
    const allow = await chainIPs.create(options, ctx('allow'));
    const hashes = await chainStrings.create(options, ctx('hashes'));
    await bans.addIP(Buffer.of(10, 0, 0, 1));
    await bans.addNetwork(parseNetwork('2001:db8::/32'));
    await bans.addNetwork(parseNetwork('192.168.7.9/16'));
    await allow.addIP(Buffer.of(1, 1, 1, 1));
    const odd = 'x\ud800\u0000' + 'y'.repeat(1000);
    await hashes.put(odd);
    await hashes.put(Buffer.alloc(20, 0xab).toString('latin1'));
    await hashes.put('gone');
    assert.equal(await hashes.remove('gone'), true);
    await Promise.all([bans.close(), allow.close(), hashes.close()]);

    const bans2 = await chainIPs.create(options, ctx('bans'));
    const hashes2 = await chainStrings.create(options, ctx('hashes'));
    assert.equal(bans2.contains(Buffer.of(10, 0, 0, 1)), true);
    assert.equal(bans2.contains(Buffer.of(192, 168, 200, 1)), true);
    assert.equal(bans2.contains(Buffer.from('20010db8000000000000000000000001', 'hex')), true);
    assert.equal(bans2.contains(Buffer.of(1, 1, 1, 1)), false, 'the other namespace');
    assert.equal(await bans2.removeNetwork(parseNetwork('192.168.0.0/16')), true);
    assert.equal(bans2.contains(Buffer.of(192, 168, 200, 1)), false);
    assert.deepEqual(
      (await hashes2.list!()).sort(),
      [odd, Buffer.alloc(20, 0xab).toString('latin1')].sort(),
    );
    await Promise.all([bans2.close(), hashes2.close()]);
  });

  it('reject bad options with the key named', async () => {
    await assert.rejects(async () => chainIPs.create({ stores: [{ type: 'nope' }] }, ctx('x')), {
      code: 'SHOAL_E_KV_OPTIONS',
    });
    await assert.rejects(
      async () => chainStrings.create({ stores: [{ type: 'memory' }], hashKeys: true }, ctx('x')),
      { code: 'SHOAL_E_KV_UNSUPPORTED' },
    );
  });
});
