/**
 * The HTTP and UDP end-to-end suites again, over node:net and node:dgram: the paths a tracker
 * takes where the native addon is not built (no compiler, not Linux) or is turned off.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

process.env['SHOAL_NATIVE_TCP'] = '0';
process.env['SHOAL_NATIVE_UDP'] = '0';

const { createTracker } = await import('../index.js');

test('without the native addon the tracker runs on node:net and node:dgram', async () => {
  const tracker = await createTracker({
    listen: { http: ['127.0.0.1:0'], udp: ['127.0.0.1:0'] },
    log: { level: 'silent' },
  });
  try {
    assert.equal(tracker.httpIo, 'net');
    assert.equal(tracker.udpIo, 'dgram');
  } finally {
    await tracker.close();
  }
});

await import('./http.test.js');
await import('./udp.test.js');
