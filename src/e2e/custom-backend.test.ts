/**
 * examples/custom-backend: a script that registers its own backend driver and calls boot(),
 * run as its own process, answering announces in private mode from that driver's users.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bdecode } from '../bittorrent/bencode.js';

const EXAMPLE = fileURLToPath(
  new URL('../../examples/custom-backend/tracker.mjs', import.meta.url),
);

async function announce(
  url: string,
  infoHashHex: string,
  left: number,
): Promise<Record<string, unknown>> {
  const hash = infoHashHex.replace(/../g, '%$&');
  const res = await fetch(
    `${url}?info_hash=${hash}&peer_id=-TT0001-abcdefghijkl&port=7000&left=${left}`,
  );
  assert.equal(res.status, 200);
  return bdecode(new Uint8Array(await res.arrayBuffer())) as Record<string, unknown>;
}

function reason(d: Record<string, unknown>): string | undefined {
  const f = d['failure reason'];
  return f instanceof Uint8Array ? Buffer.from(f).toString() : undefined;
}

describe('examples/custom-backend', () => {
  it('boots a private tracker on its own driver: valid passkey admitted, invalid refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-example-'));
    const cfg = join(dir, 'shoal.yaml');
    await writeFile(
      cfg,
      "listen:\n  http: ['127.0.0.1:0']\n  udp: ['127.0.0.1:0']\nprivate:\n  enabled: true\n  backend:\n    driver: memory-example\n",
    );
    const child = spawn(process.execPath, [EXAMPLE, '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      let base = '';
      for (let t = 0; t < 10_000 && base === ''; t += 50) {
        const m = /"http:\/\/(127\.0\.0\.1:\d+)\/announce"/.exec(out);
        if (m !== null) base = `http://${m[1]!}`;
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.notEqual(base, '', `no start line; stdout: ${out} stderr: ${err}`);
      assert.match(out, /memory-example backend opened/);
      const ok = await announce(`${base}/alice-passkey/announce`, 'aa'.repeat(20), 100);
      assert.equal(reason(ok), undefined);
      assert.equal(ok['incomplete'], 1);
      assert.equal(
        reason(await announce(`${base}/wrong/announce`, 'aa'.repeat(20), 0)),
        'unknown passkey',
      );
      assert.equal(
        reason(await announce(`${base}/alice-passkey/announce`, 'cc'.repeat(20), 0)),
        'torrent not registered with this tracker',
      );
      assert.match(
        reason(await announce(`${base}/leech-banned-passkey/announce`, 'bb'.repeat(20), 5)) ?? '',
        /may not download/,
      );
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, err);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
