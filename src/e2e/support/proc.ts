import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** Keep at most this much of a child's output (the tail), for failure messages. */
const MAX_KEPT = 64 * 1024;

/** util-linux setpriv with --pdeathsig (Linux). */
const HAVE_SETPRIV =
  process.platform === 'linux' &&
  spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout?.includes('--pdeathsig') === true;

/** Every child started by this module that has not exited yet: killed on process exit. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * A child process whose stdout and stderr are read line by line; the tail is kept (without
 * the lines `noise` matches, such as progress displays) for failure messages.
 */
export class Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** Lines kept for failure reports (the tail, without lines `noise` matches). */
  private kept: string[] = [];
  private keptChars = 0;
  private partial = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;

  private readonly noise: (line: string) => boolean;

  constructor(
    name: string,
    command: string,
    args: readonly string[],
    options: SpawnOptions = {},
    noise: (line: string) => boolean = () => false,
  ) {
    installExitHook();
    this.name = name;
    this.noise = noise;
    // Under setpriv --pdeathsig the kernel kills the client if this test process dies without
    // cleaning up (SIGKILL, crash): no orphaned clients. setpriv execs, so the pid stays.
    const [cmd, argv] = HAVE_SETPRIV
      ? ['setpriv', ['--pdeathsig', 'KILL', '--', command, ...args]]
      : [command, [...args]];
    this.child = spawn(cmd, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    const onData = (chunk: Buffer): void => this.onData(chunk.toString('utf8'));
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.onData(`\n[spawn error: ${err.message}]\n`);
        this.exitInfo ??= { code: null, signal: null };
        live.delete(this.child);
        resolve();
      });
      this.child.once('close', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this.child);
        resolve();
      });
    });
  }

  get hasExited(): boolean {
    return this.exitInfo !== null;
  }

  describeExit(): string {
    if (this.exitInfo === null) return 'still running';
    return `exited (code ${String(this.exitInfo.code)}, signal ${String(this.exitInfo.signal)})`;
  }

  private onData(text: string): void {
    // Progress displays rewrite one line with \r: treat \r as a line end too.
    const parts = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.length === 0) continue;
      if (!this.noise(line)) {
        this.kept.push(line);
        this.keptChars += line.length + 1;
        while (this.keptChars > MAX_KEPT && this.kept.length > 1) {
          this.keptChars -= (this.kept.shift() ?? '').length + 1;
        }
      }
    }
  }

  /** The last `max` characters of stdout+stderr, noise lines left out. */
  tail(max = 6000): string {
    const out = this.kept.join('\n');
    return out.length > max ? '…' + out.slice(-max) : out;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.hasExited) this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
