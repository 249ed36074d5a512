import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryPeerStore, ShoalError, createTracker } from '../../index.js';
import { randomId } from '../protocol-support/fixtures.js';
import { announcePath, failureReason, httpGet } from '../protocol-support/raw-http.js';
import { UdpConn } from '../protocol-support/raw-udp.js';

test('a failing store counts server_error by protocol and shoal_errors_total by code', async () => {
  const inner = new MemoryPeerStore({ peerLifetime: 2700, maxNumWant: 200 });
  // The memory store, with every announce failing the way an unreachable shared store does.
  const store = Object.assign(Object.create(inner) as MemoryPeerStore, {
    announce(): Promise<void> {
      return Promise.reject(new ShoalError('SHOAL_E_STORE_UNAVAILABLE', 'store down (test)'));
    },
  });
  const t = await createTracker(
    {
      listen: { http: ['127.0.0.1:0'], udp: ['127.0.0.1:0'] },
      log: { level: 'silent' },
      admin: { listen: '127.0.0.1:0', processMetrics: false },
    },
    { store },
  );
  try {
    const res = await httpGet(
      t.httpAddresses[0]!.port,
      4,
      announcePath({ infoHash: randomId(), peerId: randomId(), port: 1 }),
    );
    assert.match(failureReason(res), /internal tracker error/);
    const u = await UdpConn.open(t.udpAddresses[0]!.port, 4);
    try {
      await assert.rejects(u.announce({ infoHash: randomId(), peerId: randomId(), port: 2 }));
    } finally {
      await u.close();
    }
    const text = await (await fetch(`http://127.0.0.1:${t.adminAddress!.port}/metrics`)).text();
    assert.match(
      text,
      /^shoal_requests_total\{protocol="http",action="announce",family="ipv4",result="server_error"\} 1$/m,
    );
    assert.match(
      text,
      /^shoal_requests_total\{protocol="udp",action="announce",family="ipv4",result="server_error"\} 1$/m,
    );
    assert.match(text, /^shoal_errors_total\{code="SHOAL_E_STORE_UNAVAILABLE"\} 2$/m);
  } finally {
    await t.close();
    await inner.close();
  }
});
