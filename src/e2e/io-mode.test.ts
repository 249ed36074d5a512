import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTracker } from '../index.js';
import { nativeTcpAvailable } from '../frontend/http/native-tcp.js';
import { nativeBatchAvailable } from '../frontend/udp/native-batch.js';

// The other end-to-end suites run on whatever I/O the tracker picks: prove it is the native
// path when the addon is built (and that CI builds it).
const built = nativeTcpAvailable() && nativeBatchAvailable();

test(
  'with the native addon built, the tracker uses it for HTTP and UDP',
  {
    skip:
      !built && process.env['CI'] !== 'true'
        ? 'addon not built: node scripts/build-native.mjs'
        : false,
  },
  async () => {
    assert.ok(built, 'native addon must be built in CI');
    const tracker = await createTracker({
      listen: { http: ['127.0.0.1:0', '[::1]:0'], udp: ['127.0.0.1:0', '[::1]:0'] },
      log: { level: 'silent' },
    });
    try {
      assert.equal(tracker.httpIo, 'native');
      assert.equal(tracker.udpIo, 'batch');
    } finally {
      await tracker.close();
    }
  },
);
