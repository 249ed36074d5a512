import { performance } from 'node:perf_hooks';
import { createLogger } from '../../log/logger.js';
import type { Logger } from '../../log/logger.js';
import type { DriverContext } from '../driver.js';

/** One benchmark's figures (warm-up excluded). */
export interface BenchResult {
  /** The benchmark's name, e.g. `Put1kInfohash`. */
  readonly name: string;
  /** Operations in the timed part. */
  readonly ops: number;
  readonly opsPerSec: number;
  readonly nsPerOp: number;
}

/**
 * One operation of a benchmark. `i` counts the benchmark's iterations from 0 (it wraps at a
 * multiple of 1000, so `i % 1000` cycles without a jump and `i` stays a small integer). It returns
 * whatever the store returned; a promise is awaited before the next operation starts.
 */
export type BenchOp<S> = (store: S, i: number) => unknown;

/** One benchmark of a suite. */
export interface BenchCase<S> {
  readonly name: string;
  /** One line: what one operation does and what the store holds. */
  readonly doc: string;
  /** Untimed: fills the fresh store before the warm-up. */
  readonly setup?: (store: S) => void | Promise<void>;
  readonly op: BenchOp<S>;
}

/** A benchmark's name and one-line description. */
export interface BenchInfo {
  readonly name: string;
  readonly doc: string;
}

/** What every store benchmark suite takes. */
export interface BenchOptions<S, C extends DriverContext> {
  /** A fresh, empty store for each benchmark. */
  create(ctx: C): S | Promise<S>;
  /** Releases a store after its benchmark (default: `store.close()`). */
  dispose?(store: S): void | Promise<void>;
  /** Runs only the benchmarks whose name matches. */
  only?: RegExp;
  /** Timed part of each benchmark, in milliseconds (default 1000). */
  durationMs?: number;
  /** Untimed warm-up of each benchmark, in milliseconds (default a tenth of `durationMs`). */
  warmupMs?: number;
  /** Called with each result as soon as it is measured (to print progress). */
  onResult?(result: BenchResult): void;
  /** Prefix of each store's namespace (default `bench-<start time>`). */
  namespace?: string;
  /** Logger given to the driver (default: a silent one). */
  log?: Logger;
}

/** The fixed clock every benchmark store gets (seconds), so nothing expires while it runs. */
export const BENCH_NOW = 1_000_000;

/** Milliseconds between clock readings are not checked per operation but per batch of this many. */
const BATCH = 128;

/** Where the iteration index wraps: a multiple of every cycle length the suites use (1000). */
const WRAP = 1_000_000_000;

/** True if `r` is a promise (or any thenable): only then does the runner await it. */
export function isPromise(r: unknown): r is PromiseLike<unknown> {
  return (
    typeof r === 'object' && r !== null && typeof (r as { then?: unknown }).then === 'function'
  );
}

/**
 * Groups a setup's promises so that a remote driver is filled with many requests in flight
 * instead of one round trip each. `add` returns a promise to await when the group is full.
 */
export class SetupBatch {
  private readonly pending: PromiseLike<unknown>[] = [];

  add(r: unknown): Promise<void> | undefined {
    if (!isPromise(r)) return undefined;
    this.pending.push(r);
    return this.pending.length >= 256 ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }
}

// The state of the operation loop, kept here so the hot function returns a plain number.
let cursor = 0;
let pending: PromiseLike<unknown> | undefined;

/**
 * Runs up to `count` operations synchronously and returns how many ran. It stops early after an
 * operation that returned a promise, left in `pending` for the caller to await: a synchronous
 * store (the memory driver) never leaves this loop, and pays no microtask per operation.
 */
function runBatch<S>(store: S, op: BenchOp<S>, count: number): number {
  let i = cursor;
  for (let n = 0; n < count;) {
    const r = op(store, i);
    n++;
    i = i + 1 === WRAP ? 0 : i + 1;
    if (isPromise(r)) {
      pending = r;
      cursor = i;
      return n;
    }
  }
  cursor = i;
  return count;
}

/** Runs operations for at least `ms` milliseconds; returns the operations run and the time. */
async function runFor<S>(store: S, op: BenchOp<S>, ms: number): Promise<[number, number]> {
  const t0 = performance.now();
  const deadline = t0 + ms;
  let ops = 0;
  let t: number;
  do {
    let left = BATCH;
    while (left > 0) {
      left -= runBatch(store, op, left);
      if (pending !== undefined) {
        const p = pending;
        pending = undefined;
        await p;
      }
    }
    ops += BATCH;
    t = performance.now();
  } while (t < deadline);
  return [ops, t - t0];
}

let primed = false;

/**
 * Every benchmark's operation is called from the one call site in `runBatch`. Left alone, V8
 * would inline the first benchmark's operation there and deoptimize when the next one comes, so
 * figures would depend on the order (and on `only`). Calling it with several functions first
 * makes that call site megamorphic from the start: every benchmark then pays the same indirect
 * call of a few nanoseconds.
 */
async function primeCallSite(): Promise<void> {
  if (primed) return;
  primed = true;
  const ops: BenchOp<number[]>[] = [
    (a, i) => (a[0] = i),
    (a, i) => (a[1] = i),
    (a, i) => (a[2] = i),
    (a, i) => (a[3] = i),
    (a, i) => (a[4] = i),
    (a, i) => (a[5] = i),
  ];
  const scratch = [0, 0, 0, 0, 0, 0];
  for (const op of ops) await runFor(scratch, op, 1);
}

type GcHost = { gc?: () => void };

/** True while a suite runs: the loop state above is shared, and so is the machine. */
let running = false;

/**
 * Runs the benchmarks of one suite, each on a fresh store from `opts.create(ctxOf(name))`:
 * setup, warm-up, then as many operations as fit in the duration. `prepare` sets up the suite's
 * shared inputs once the run has started. One suite runs at a time (a second one rejects).
 */
export async function runBenchCases<S extends { close(): Promise<void> }, C extends DriverContext>(
  cases: readonly BenchCase<S>[],
  opts: BenchOptions<S, C>,
  ctxOf: (name: string, base: DriverContext) => C,
  prepare?: () => void,
): Promise<BenchResult[]> {
  const durationMs = opts.durationMs ?? 1000;
  const warmupMs = opts.warmupMs ?? durationMs / 10;
  if (!(durationMs > 0 && Number.isFinite(durationMs))) {
    throw new RangeError(`durationMs must be a positive number, not ${durationMs}`);
  }
  if (!(warmupMs >= 0 && Number.isFinite(warmupMs))) {
    throw new RangeError(`warmupMs must be 0 or more, not ${warmupMs}`);
  }
  if (running) throw new Error('a store benchmark suite is already running in this process');
  running = true;
  try {
    prepare?.();
    return await runCases(cases, opts, ctxOf, durationMs, warmupMs);
  } finally {
    running = false;
  }
}

async function runCases<S extends { close(): Promise<void> }, C extends DriverContext>(
  cases: readonly BenchCase<S>[],
  opts: BenchOptions<S, C>,
  ctxOf: (name: string, base: DriverContext) => C,
  durationMs: number,
  warmupMs: number,
): Promise<BenchResult[]> {
  const prefix = opts.namespace ?? `bench-${Date.now().toString(36)}`;
  const log = opts.log ?? createLogger('silent');
  const gc = (globalThis as GcHost).gc;
  const results: BenchResult[] = [];
  await primeCallSite();
  for (const c of cases) {
    // `search` ignores a global regex's lastIndex, so one RegExp can serve every call.
    if (opts.only !== undefined && c.name.search(opts.only) < 0) continue;
    // A namespace may become a key prefix or a file name: `AnnounceLeecher/v6` -> `...-v6`.
    const namespace = `${prefix}-${c.name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    const base: DriverContext = { namespace, now: () => BENCH_NOW, log };
    const store = await opts.create(ctxOf(c.name, base));
    try {
      if (c.setup !== undefined) await c.setup(store);
      cursor = 0;
      gc?.(); // with --expose-gc: the previous benchmark's garbage is not collected on our time
      if (warmupMs > 0) await runFor(store, c.op, warmupMs);
      const [ops, ms] = await runFor(store, c.op, durationMs);
      const result: BenchResult = {
        name: c.name,
        ops,
        opsPerSec: (ops * 1000) / ms,
        nsPerOp: (ms * 1e6) / ops,
      };
      results.push(result);
      opts.onResult?.(result);
    } finally {
      cursor = 0;
      pending = undefined;
      await (opts.dispose === undefined ? store.close() : opts.dispose(store));
    }
  }
  return results;
}
