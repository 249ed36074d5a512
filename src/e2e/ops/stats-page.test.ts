import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Tracker } from '../../index.js';
import { boundAddress, randomId } from '../protocol-support/fixtures.js';
import { announce } from '../protocol-support/raw-http.js';
import { UdpConn } from '../protocol-support/raw-udp.js';
import { adminUrl, startOpsTracker } from './ops-support.js';

/** Debian's chromium; override with CHROMIUM_PATH. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const IN_CI = process.env['CI'] === 'true';
/** Where the screenshot goes (gitignored). */
const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url);

const missing = existsSync(CHROMIUM)
  ? null
  : `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
if (missing !== null && IN_CI)
  throw new Error(`stats page test cannot be skipped under CI: ${missing}`);

/** What the page's charts hold, read through `window.shoalCharts`. */
interface ChartState {
  updates: number;
  rateLabels: number;
  rate: Record<string, number[]>;
  swarm: Record<string, number[]>;
  family: number[];
  topLabels: string[];
  topPeers: number[];
  canvases: number;
}

// Run in the page (strings: this project's TypeScript has no DOM types).
const READ_CHARTS = `(() => {
  const c = window.shoalCharts;
  const sets = (ch) => Object.fromEntries(ch.data.datasets.map((d) => [d.label, d.data.slice()]));
  const top = c.top.data;
  return {
    updates: window.shoalUpdates,
    rateLabels: c.rate.data.labels.length,
    rate: sets(c.rate),
    swarm: sets(c.swarm),
    family: c.family.data.datasets[0].data.slice(),
    topLabels: top.labels.slice(),
    topPeers: top.labels.map((_, i) => top.datasets[0].data[i] + top.datasets[1].data[i]),
    canvases: document.querySelectorAll('canvas').length,
  };
})()`;

const CANVASES_PAINTED = `[...document.querySelectorAll('canvas')].every((c) => {
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
  return false;
})`;

describe('stats page in headless Chromium', { skip: missing ?? false }, () => {
  let t: Tracker;
  const hashes = [randomId(), randomId(), randomId()];

  before(async () => {
    t = await startOpsTracker();
  });
  after(() => t.close());

  /** Announces over HTTP (IPv4 and IPv6) and UDP into three swarms of different sizes. */
  async function traffic(round: number): Promise<void> {
    const h4 = boundAddress(t, 'http', 4).port;
    const h6 = boundAddress(t, 'http', 6).port;
    for (let i = 0; i < hashes.length; i++) {
      for (let n = 0; n <= i; n++) {
        await announce(h4, 4, {
          infoHash: hashes[i]!,
          peerId: randomId(),
          port: 1000 + round * 10 + n,
        });
      }
    }
    await announce(h6, 6, {
      infoHash: hashes[2]!,
      peerId: randomId(),
      port: 2000 + round,
      left: 0,
    });
    const u = await UdpConn.open(boundAddress(t, 'udp', 4).port, 4);
    try {
      const id = await u.connect();
      for (let n = 0; n < 3; n++) {
        await u.announce(
          { infoHash: hashes[2]!, peerId: randomId(), port: 3000 + round * 10 + n },
          id,
        );
      }
    } finally {
      await u.close();
    }
  }

  test('loads, draws charts from live data and updates without reloading', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await traffic(0);
      await page.goto(`${adminUrl(t)}/stats?interval=300`);
      assert.equal(await page.title(), 'Shoal tracker stats');
      // A first poll, more announces, then more polls: the rate chart needs two snapshots.
      await page.waitForFunction('window.shoalUpdates >= 1');
      await traffic(1);
      const read = (): Promise<ChartState> => page.evaluate<ChartState>(READ_CHARTS);
      // Wait (polling the page, not the clock) until the charts show the second round.
      let s = await read();
      for (
        let i = 0;
        i < 100 &&
        !(Math.max(0, ...(s.rate.udp ?? [])) > 0 && s.topPeers[0] === 14 && s.rateLabels >= 3);
        i++
      ) {
        await page.waitForTimeout(100);
        s = await read();
      }
      assert.equal(s.canvases, 4);
      assert.ok(s.updates >= 2, `updated ${s.updates} times without a reload`);
      assert.ok(s.rateLabels >= 3, `${s.rateLabels} points of announces/s`);
      assert.ok(Math.max(...s.rate.http!) > 0, `http announces/s: ${s.rate.http!.join(',')}`);
      assert.ok(Math.max(...s.rate.udp!) > 0, `udp announces/s: ${s.rate.udp!.join(',')}`);
      assert.equal(s.swarm.swarms!.at(-1), 3);
      assert.equal(s.swarm.seeders!.at(-1), 2);
      assert.equal(s.swarm.leechers!.at(-1), 18);
      assert.deepEqual(s.family, [18, 2]);
      assert.deepEqual(s.topPeers, [14, 4, 2]);
      assert.equal(s.topLabels[0], `${hashes[2]!.toString('hex').slice(0, 12)}…`);
      // The canvases were drawn on: not blank.
      const painted = await page.evaluate<boolean>(CANVASES_PAINTED);
      assert.ok(painted, 'every chart has drawn pixels');
      assert.deepEqual(errors, []);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({
        path: new URL('stats-page.png', ARTIFACTS).pathname,
        fullPage: true,
      });
    } finally {
      await browser.close();
    }
  });
});
