import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTracker } from '../index.js';
import type { Tracker } from '../index.js';
import {
  redisSkipReason,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../store/redis/redis-test-support.js';
import {
  boundAddress,
  compactPeers,
  ep,
  freePort,
  peerPort,
  randomId,
} from './protocol-support/fixtures.js';
import { announce } from './protocol-support/raw-http.js';
import { UdpConn } from './protocol-support/raw-udp.js';

/**
 * Several tracker processes sharing one swarm state through Redis: two trackers in this
 * process on different ports, and `shoal --workers 2` sharing one port.
 */

const CLI = fileURLToPath(new URL('../cli/shoal.js', import.meta.url));
const skip = (await redisSkipReason('single')) ?? false;

const redisPeers = (prefix: string): Record<string, unknown> => ({
  driver: 'redis',
  options: { url: TEST_REDIS_URL, prefix },
});

describe('trackers sharing Redis', { skip }, () => {
  let a: Tracker;
  let b: Tracker;
  before(async () => {
    const prefix = uniquePrefix('two-trackers');
    const config = {
      listen: { http: ['127.0.0.1:0'], udp: ['127.0.0.1:0'] },
      log: { level: 'silent' as const },
      storage: { peers: redisPeers(prefix) },
    };
    a = await createTracker(config);
    b = await createTracker(config);
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  it('a peer announced to one tracker is returned by the other', async () => {
    const ih = randomId();
    const first = peerPort();
    await announce(boundAddress(a, 'http', 4).port, 4, {
      infoHash: ih,
      peerId: randomId(),
      port: first,
      left: 0,
    });
    const c = await UdpConn.open(boundAddress(b, 'udp', 4).port, 4);
    try {
      const r = await c.announce({ infoHash: ih, peerId: randomId(), port: peerPort() });
      assert.equal(r.seeders, 1);
      assert.deepEqual(compactPeers(r.peerBytes, 4), [ep(4, first)]);
    } finally {
      await c.close();
    }
  });
});

describe('shoal --workers 2', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-workers-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves one port from two processes that see each other's peers, and restarts a dead one", async () => {
    const port = await freePort();
    const cfg = join(dir, 'shoal.yaml');
    await writeFile(
      cfg,
      JSON.stringify({
        listen: { http: [`127.0.0.1:${port}`], udp: [`127.0.0.1:${port}`] },
        log: { level: 'info' },
        storage: { peers: redisPeers(uniquePrefix('workers')) },
      }),
    );
    const child = spawn(process.execPath, [CLI, '--config', cfg, '--workers', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp, what: string): Promise<RegExpExecArray> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const m = re.exec(out);
        if (m !== null) return m;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no ${what}; output:\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      const started = await waitFor(
        /"workers":\[(\d+),(\d+)\].*"msg":"shoal tracker started"/,
        'start line',
      );
      const pids = [Number(started[1]), Number(started[2])];
      assert.notEqual(pids[0], pids[1]);
      assert.ok(!pids.includes(child.pid!), 'workers are processes of their own');

      // Peers announced over fresh connections (spread across the workers by the kernel) and
      // over UDP all land in one swarm.
      const ih = randomId();
      const ports: number[] = [];
      for (let i = 0; i < 20; i++) {
        const p = peerPort();
        ports.push(p);
        await announce(port, 4, { infoHash: ih, peerId: randomId(), port: p, left: 0 });
      }
      const c = await UdpConn.open(port, 4);
      try {
        const r = await c.announce({
          infoHash: ih,
          peerId: randomId(),
          port: peerPort(),
          numWant: 50,
        });
        assert.equal(r.seeders, 20);
        assert.deepEqual(compactPeers(r.peerBytes, 4).sort(), ports.map((p) => ep(4, p)).sort());
      } finally {
        await c.close();
      }

      process.kill(pids[0]!, 'SIGKILL');
      await waitFor(/worker exited; starting another/, 'restart');
      await waitFor(
        /"msg":"worker started"[\s\S]*"msg":"worker started"[\s\S]*"msg":"worker started"/,
        'third worker start',
      );
      const after = await announce(port, 4, { infoHash: ih, peerId: randomId(), port: peerPort() });
      assert.equal(after['complete'], 20);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, out);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('is refused with the memory PeerStore', async () => {
    const child = spawn(process.execPath, [CLI, '--workers', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 2);
    assert.match(err, /need a shared PeerStore.*storage\.peers\.driver: redis/);
  });
});
