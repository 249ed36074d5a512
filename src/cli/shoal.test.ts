import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bdecode } from '../bittorrent/bencode.js';

const CLI = fileURLToPath(new URL('./shoal.js', import.meta.url));

async function tempConfig(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-cli-'));
  const path = join(dir, 'shoal.yaml');
  await writeFile(path, text);
  return path;
}

function run(args: string[]): {
  child: ReturnType<typeof spawn>;
  out: () => string;
  err: () => string;
} {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

async function exitCode(child: ReturnType<typeof spawn>): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('shoal command', () => {
  it('starts from a YAML file, answers an announce, and exits 0 on SIGTERM', async () => {
    const cfg = await tempConfig(
      "listen:\n  http: ['127.0.0.1:0']\n  udp: ['127.0.0.1:0']\nlog:\n  level: info\n",
    );
    const p = run(['--config', cfg]);
    try {
      // The start line lists the bound addresses.
      const deadline = Date.now() + 10_000;
      let url = '';
      while (url === '' && Date.now() < deadline) {
        const m = /"(http:\/\/127\.0\.0\.1:\d+\/announce)"/.exec(p.out());
        if (m !== null) url = m[1]!;
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.notEqual(url, '', `no start line; stdout: ${p.out()} stderr: ${p.err()}`);
      const hash = '%AA'.repeat(20);
      const res = await fetch(
        `${url}?info_hash=${hash}&peer_id=-TT0001-abcdefghijkl&port=7000&left=10`,
      );
      assert.equal(res.status, 200);
      const body = bdecode(new Uint8Array(await res.arrayBuffer())) as Record<string, unknown>;
      assert.equal(body['incomplete'], 1);
      assert.equal(body['interval'], 1800);
      p.child.kill('SIGTERM');
      const started = Date.now();
      assert.equal(await exitCode(p.child), 0);
      assert.ok(Date.now() - started < 5000, 'stops within seconds');
      assert.match(p.out(), /"stopped"/);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('refuses a bad config, naming the key, with exit code 2', async () => {
    const cfg = await tempConfig('announce:\n  interval: -5\n  numwantt: 3\n');
    const p = run(['--config', cfg]);
    assert.equal(await exitCode(p.child), 2);
    assert.match(p.err(), /announce\.interval/);
    assert.match(p.err(), /unknown key in announce: numwantt/);
  });

  it('reports a missing config file and a bad flag', async () => {
    const missing = run(['--config', '/nonexistent/shoal.yaml']);
    assert.equal(await exitCode(missing.child), 2);
    assert.match(missing.err(), /cannot read config file/);
    const flag = run(['--frobnicate']);
    assert.equal(await exitCode(flag.child), 2);
    assert.match(flag.err(), /usage: shoal/);
  });

  it('validates the example config with --check', async () => {
    const example = fileURLToPath(new URL('../../shoal.example.yaml', import.meta.url));
    const p = run(['--config', example, '--check']);
    assert.equal(await exitCode(p.child), 0);
    assert.match(p.out(), /configuration ok/);
  });

  it('fails clearly when the port is taken', async () => {
    const first = run([
      '--config',
      await tempConfig("listen:\n  http: ['127.0.0.1:0']\n  udp: []\n"),
    ]);
    try {
      const deadline = Date.now() + 10_000;
      let port = '';
      while (port === '' && Date.now() < deadline) {
        const m = /http:\/\/127\.0\.0\.1:(\d+)\/announce/.exec(first.out());
        if (m !== null) port = m[1]!;
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.notEqual(port, '');
      const second = run([
        '--config',
        await tempConfig(`listen:\n  http: ['127.0.0.1:${port}']\n  udp: []\n`),
      ]);
      assert.equal(await exitCode(second.child), 1);
      assert.match(second.err(), /cannot listen for http on 127\.0\.0\.1:\d+: EADDRINUSE/);
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('--check names a bad hook option, an unknown hook type and an unknown driver', async () => {
    const cases: [string, RegExp][] = [
      ['hooks:\n  - { type: ip-list, mode: ban }\n', /hooks\.0 \(ip-list\): mode: /],
      ['hooks:\n  - { type: nope }\n', /hooks\.0 \(nope\): unknown hook type "nope"/],
      ['storage:\n  ips: { driver: nope }\n', /storage\.ips\.driver: unknown driver "nope"/],
      [
        "hooks:\n  - { type: infohash-list, mode: deny, entries: ['xyz'] }\n",
        /entries\.0: not an info hash/,
      ],
    ];
    for (const [yaml, message] of cases) {
      const p = run(['--config', await tempConfig(yaml), '--check']);
      assert.equal(await exitCode(p.child), 2, yaml);
      assert.match(p.err(), message);
    }
  });

  it('re-reads list files on SIGHUP, relative to the config file', async () => {
    const cfg = await tempConfig(
      "listen:\n  http: ['127.0.0.1:0']\n  udp: []\nlog:\n  level: info\n" +
        'hooks:\n  - { type: ip-list, name: bans, mode: deny, file: bans.txt }\n',
    );
    const bans = join(dirname(cfg), 'bans.txt');
    await writeFile(bans, '# nobody yet\n');
    const p = run(['--config', cfg]);
    try {
      const url = await startUrl(p);
      const announce = async (): Promise<Record<string, unknown>> => {
        const res = await fetch(
          `${url}?info_hash=${'%BB'.repeat(20)}&peer_id=-TT0001-abcdefghijkl&port=7000&left=10`,
        );
        return bdecode(new Uint8Array(await res.arrayBuffer())) as Record<string, unknown>;
      };
      assert.equal((await announce())['incomplete'], 1);
      await writeFile(bans, '127.0.0.0/8\n');
      p.child.kill('SIGHUP');
      const deadline = Date.now() + 10_000;
      while (!/"msg":"reloaded"/.test(p.out()) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(p.out(), /"msg":"reloaded"/);
      assert.equal(
        String((await announce())['failure reason']),
        'your address is banned from this tracker',
      );
      assert.equal(p.child.exitCode, null, 'SIGHUP does not stop the tracker');
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});

/** Waits for the start line and returns the announce URL it lists. */
async function startUrl(p: ReturnType<typeof run>): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const m = /"(http:\/\/127\.0\.0\.1:\d+\/announce)"/.exec(p.out());
    if (m !== null) return m[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no start line; stdout: ${p.out()} stderr: ${p.err()}`);
}
