/**
 * One real-browser WebTorrent run, as a script (ws-browser.test.ts starts it inside a network
 * namespace that has only loopback, so WebRTC can only use 127.0.0.1): a Shoal tracker, a tiny
 * HTTP server for the pages and the WebTorrent bundle, and headless Chromium with two pages.
 * Page 1 seeds a small file with Shoal as its only tracker; page 2 downloads it by magnet link.
 * Prints one JSON line: { ok, text, expected, seederPeers, swarm, screenshot } or { ok: false, error }.
 *
 * Usage: node dist/e2e/support/webtorrent-browser-run.js <chromium> <screenshot.png>
 */
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { createTracker } from '../../index.js';

const require = createRequire(import.meta.url);
const BUNDLE = readFileSync(require.resolve('webtorrent/dist/webtorrent.min.js'));

const PAGE = `<!doctype html><meta charset="utf-8"><title>shoal webtorrent</title>
<body style="font: 16px sans-serif"><h1>Shoal WebTorrent test</h1><pre id="out">starting</pre>
<script>globalThis.WEBTORRENT_ANNOUNCE = [];</script>
<script type="module">
import WebTorrent from '/webtorrent.min.js';
const out = (s) => { document.getElementById('out').textContent = s; };
const client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } });
client.on('error', (e) => out('client error: ' + e.message));
window.seed = (tracker, text) => new Promise((resolve, reject) => {
  const file = new File([text], 'shoal-hello.txt', { type: 'text/plain' });
  client.seed(file, { announce: [tracker], announceList: [[tracker]] }, (t) => {
    out('seeding ' + t.infoHash);
    resolve(t.magnetURI);
  }).on('error', (e) => reject(String(e)));
});
window.seederPeers = () => client.torrents[0] ? client.torrents[0].numPeers : -1;
window.download = (magnet, tracker) => new Promise((resolve, reject) => {
  client.add(magnet, { announce: [tracker], announceList: [[tracker]] }, (t) => {
    out('downloading ' + t.infoHash);
    t.on('done', async () => {
      const text = new TextDecoder().decode(await t.files[0].arrayBuffer());
      out('downloaded through Shoal: ' + text);
      resolve(text);
    });
  }).on('error', (e) => reject(String(e)));
});
window.ready = true;
</script>`;

async function main(): Promise<void> {
  const [executablePath, screenshot] = process.argv.slice(2);
  if (executablePath === undefined || screenshot === undefined) {
    throw new Error('usage: webtorrent-browser-run <chromium> <screenshot.png>');
  }
  const tracker = await createTracker({
    listen: { http: ['127.0.0.1:0'], udp: [] },
    log: { level: 'silent' },
  });
  const pages = http.createServer((req, res) => {
    if (req.url === '/webtorrent.min.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(BUNDLE);
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(PAGE);
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  const pageUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}/`;
  const trackerUrl = `ws://127.0.0.1:${tracker.httpAddresses[0]!.port}/announce`;
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--allow-loopback-in-peer-connection',
      '--use-fake-ui-for-media-stream',
    ],
  });
  try {
    const seeder = await browser.newPage();
    const leecher = await browser.newPage();
    for (const p of [seeder, leecher]) {
      await p.goto(pageUrl);
      await p.waitForFunction('window.ready === true', undefined, { timeout: 10000 });
    }
    const expected = `hello from a browser, through Shoal ${Date.now()}`;
    const magnet = await seeder.evaluate(
      ([tr, text]) =>
        (globalThis as unknown as { seed(a: string, b: string): Promise<string> }).seed(tr!, text!),
      [trackerUrl, expected],
    );
    const text = await leecher.evaluate(
      ([m, tr]) =>
        Promise.race([
          (globalThis as unknown as { download(a: string, b: string): Promise<string> }).download(
            m!,
            tr!,
          ),
          new Promise<string>((_, reject) =>
            setTimeout(() => reject(new Error('download timed out')), 45000),
          ),
        ]),
      [magnet, trackerUrl],
    );
    const seederPeers = await seeder.evaluate('window.seederPeers()');
    const infoHash = /xt=urn:btih:([0-9a-f]{40})/i.exec(magnet)?.[1] ?? '';
    const counts = tracker.websocket!.swarms.get(Buffer.from(infoHash, 'hex').toString('latin1'));
    mkdirSync(dirname(screenshot), { recursive: true });
    await leecher.screenshot({ path: screenshot });
    process.stdout.write(
      `${JSON.stringify({
        ok: true,
        text,
        expected,
        seederPeers,
        swarm:
          counts === undefined ? null : { peers: counts.peers.length, seeders: counts.seeders },
        screenshot,
      })}\n`,
    );
  } finally {
    await browser.close();
    pages.close();
    await tracker.close();
  }
}

main().catch((err: unknown) => {
  process.stdout.write(
    `${JSON.stringify({ ok: false, error: String((err as Error).stack ?? err) })}\n`,
  );
  process.exitCode = 1;
});
