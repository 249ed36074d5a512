/**
 * WebSocket end to end with an independent client: the npm `bittorrent-tracker` Client (the
 * one WebTorrent uses) with real WebRTC in Node (webrtc-polyfill, i.e. node-datachannel). Two
 * clients signal through Shoal as their only tracker, and their data channel carries bytes.
 * The Client pools one socket per tracker URL inside a process, so both peers share it: Shoal
 * tells them apart by peer id.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import Client from 'bittorrent-tracker/client';
import type { ScrapeData, UpdateData } from 'bittorrent-tracker/client';
import { createTracker } from '../index.js';
import type { Tracker } from '../index.js';
import { randomId, within } from './protocol-support/fixtures.js';
import { scrape } from './protocol-support/raw-http.js';

/** The parts of a simple-peer object the test uses. */
interface RtcPeer extends EventEmitter {
  connected: boolean;
  send(data: string): void;
}

let t: Tracker;
let wrtc: unknown;
before(async () => {
  wrtc = await import('webrtc-polyfill');
  t = await createTracker({ listen: { http: ['127.0.0.1:0'], udp: [] }, log: { level: 'silent' } });
});
after(async () => {
  await t.close();
  // node-datachannel (under webrtc-polyfill) keeps native threads that hold the process open.
  const ndc = (await import('node-datachannel')) as unknown as { cleanup(): void };
  ndc.cleanup();
});

function client(infoHash: Buffer): Client {
  const c = new Client({
    infoHash: infoHash.toString('hex'),
    peerId: randomId().toString('hex'),
    announce: [`ws://127.0.0.1:${t.httpAddresses[0]!.port}/announce`],
    port: 6881,
    wrtc,
    rtcConfig: { iceServers: [] },
  });
  c.on('error', () => undefined);
  c.on('warning', () => undefined);
  return c;
}

const nextPeer = (c: Client): Promise<RtcPeer> =>
  new Promise((resolve) => (c as unknown as EventEmitter).once('peer', resolve));
const connected = (p: RtcPeer): Promise<void> =>
  p.connected ? Promise.resolve() : new Promise((resolve) => p.once('connect', resolve));

test('bittorrent-tracker Clients find each other through Shoal and open a data channel', async () => {
  const infoHash = randomId();
  const seeder = client(infoHash);
  const leecher = client(infoHash);
  try {
    const seederUpdate = new Promise<UpdateData>((resolve) => seeder.once('update', resolve));
    seeder.start({ left: 0, numwant: 1 });
    const u = await within(
      seederUpdate,
      20000,
      'seeder update (the Client gathers WebRTC offers first)',
    );
    assert.equal(u.complete, 1);

    const peers = Promise.all([nextPeer(seeder), nextPeer(leecher)]);
    leecher.start({ left: 100, numwant: 1 });
    const [a, b] = await within(peers, 20000, 'offer and answer through Shoal');
    await within(Promise.all([connected(a), connected(b)]), 10000, 'WebRTC connect');
    const got = new Promise<string>((resolve) =>
      b.once('data', (d: Uint8Array) => resolve(Buffer.from(d).toString())),
    );
    a.send('hello through shoal');
    assert.equal(await within(got, 5000, 'data'), 'hello through shoal');

    // Scrape through the Client's WebSocket, and over HTTP: both browsers are counted.
    const scraped = new Promise<ScrapeData>((resolve) => leecher.once('scrape', resolve));
    leecher.scrape();
    const s = await within(scraped, 5000, 'scrape');
    assert.deepEqual([s.complete, s.incomplete], [1, 1]);
    const files = await scrape(t.httpAddresses[0]!.port, 4, [infoHash]);
    const e = files[infoHash.toString('latin1')] as Record<string, number>;
    assert.deepEqual([e.complete, e.incomplete], [1, 1]);

    // stop(): the leecher leaves the swarm.
    leecher.stop();
    for (let i = 0; i < 100; i++) {
      const f = await scrape(t.httpAddresses[0]!.port, 4, [infoHash]);
      if ((f[infoHash.toString('latin1')] as Record<string, number>).incomplete === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const after1 = await scrape(t.httpAddresses[0]!.port, 4, [infoHash]);
    assert.equal((after1[infoHash.toString('latin1')] as Record<string, number>).incomplete, 0);
  } finally {
    leecher.destroy();
    seeder.destroy();
  }
  // Both destroyed: the pooled socket closes and the seeder is stopped too.
  for (let i = 0; i < 100 && t.websocket!.swarms.size > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(t.websocket!.swarms.size, 0);
});
