/** One thing that must be reachable for the tracker to be ready. */
export interface ReadinessCheck {
  /** Shown in /readyz, e.g. `store:peers` or `backend`. */
  name: string;
  /** Resolves when reachable; rejects (or throws) when not. */
  check(): void | Promise<void>;
}

/** The outcome of one check in /readyz. */
export interface ReadinessResult {
  name: string;
  ok: boolean;
  /** Why it failed (the error's message; /readyz is on the admin listener only). */
  error?: string;
  ms: number;
}

/**
 * The checks behind /readyz: every configured store, and whatever other parts add (the
 * private-mode backend adds its `ping`). Each runs with a timeout, all at once.
 */
export class ReadinessChecks {
  private readonly checks: ReadinessCheck[] = [];
  private readonly timeoutMs: number;

  constructor(timeoutMs = 2000) {
    this.timeoutMs = timeoutMs;
  }

  /** Adds a check; /readyz runs it from the next request on. */
  add(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  /** The names of the checks, in the order they were added. */
  names(): string[] {
    return this.checks.map((c) => c.name);
  }

  /** Runs every check; `ok` is true when all passed. */
  async run(): Promise<{ ok: boolean; checks: ReadinessResult[] }> {
    const results = await Promise.all(this.checks.map((c) => this.runOne(c)));
    return { ok: results.every((r) => r.ok), checks: results };
  }

  private async runOne(c: ReadinessCheck): Promise<ReadinessResult> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => c.check()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      return { name: c.name, ok: true, ms: Math.round(performance.now() - t0) };
    } catch (err) {
      return {
        name: c.name,
        ok: false,
        error: (err as Error).message,
        ms: Math.round(performance.now() - t0),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
