/**
 * A real browser: headless Chromium (Debian's `chromium`, driven by playwright-core) runs the
 * WebTorrent library in two pages; one seeds a small file, the other downloads it with Shoal
 * as its only tracker (support/webtorrent-browser-run.ts). As root, the run happens inside a
 * new network namespace with only loopback up (`unshare -n`), so WebRTC can only use 127.0.0.1
 * and nothing leaves the machine. The downloader's screenshot is saved under test-artifacts/.
 *
 * Needs /usr/bin/chromium (or SHOAL_CHROMIUM=path). Without it the test is skipped, and fails
 * under CI=true (scripts/install-test-clients.sh installs it).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const CHROMIUM = process.env.SHOAL_CHROMIUM ?? '/usr/bin/chromium';
const RUNNER = fileURLToPath(new URL('./support/webtorrent-browser-run.js', import.meta.url));
const SCREENSHOT = fileURLToPath(
  new URL('../../test-artifacts/webtorrent-download.png', import.meta.url),
);
const isRoot = process.getuid?.() === 0;
const UNSHARE = '/usr/bin/unshare';

const missing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} not found: install Debian's chromium (or set SHOAL_CHROMIUM) to run the browser test`;
if (missing !== undefined && process.env.CI === 'true') {
  test('real browser (WebTorrent in Chromium)', () => assert.fail(missing));
}

interface RunResult {
  ok: boolean;
  error?: string;
  text?: string;
  expected?: string;
  seederPeers?: number;
  swarm?: { peers: number; seeders: number } | null;
  screenshot?: string;
}

function run(): Promise<RunResult> {
  const node = [process.execPath, RUNNER, CHROMIUM, SCREENSHOT];
  const quoted = node.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const [cmd, args] =
    isRoot && existsSync(UNSHARE)
      ? [UNSHARE, ['-n', 'sh', '-c', `ip link set lo up && exec ${quoted}`]]
      : [node[0]!, node.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as RunResult);
      } catch {
        reject(new Error(`browser run exited ${code}: ${out}\n${err}`));
      }
    });
  });
}

test(
  'real browser: WebTorrent in Chromium seeds and downloads a file through Shoal',
  { skip: missing, timeout: 150_000 },
  async () => {
    const r = await run();
    assert.equal(r.ok, true, r.error);
    assert.equal(r.text, r.expected);
    assert.ok((r.seederPeers ?? 0) >= 1, 'the seeding page saw the downloader as a peer');
    // Both pages are in Shoal's WebSocket swarm, and both seed once the download is done
    // (a page may not have re-announced yet: at least the original seeder).
    assert.equal(r.swarm?.peers, 2);
    assert.ok((r.swarm?.seeders ?? 0) >= 1);
    assert.ok(statSync(SCREENSHOT).size > 0);
  },
);
