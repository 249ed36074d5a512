import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';

/** What a conformance suite is given: how to make (and unmake) the store under test. */
export interface StoreSuiteOptions<S> {
  /** Title of the `describe` block; each suite has a default. */
  name?: string;
  /** A new, empty store; called once per case, so cases never see each other's entries. */
  create(): S | Promise<S>;
  /**
   * Releases a store after its case, pass or fail (default: `close()`). The `close` case closes
   * its store itself and does not call this.
   */
  dispose?(store: S): void | Promise<void>;
  /** Cases not to run, by key (the text before the colon in a case's title), with the reason. */
  skip?: Readonly<Record<string, string>>;
}

/** One case of a suite: `key` names it in `skip`. */
export interface SuiteCase<S> {
  readonly key: string;
  readonly title: string;
  /** True for the case that closes its store itself: dispose is not called after it. */
  readonly closes?: boolean;
  run(store: S, t: TestContext): void | Promise<void>;
}

/**
 * Declares `cases` as node:test tests in one `describe` block, each on its own store from
 * `create()`. Throws at once if `skip` names a case that does not exist, so a typo (or a case
 * renamed upstream) cannot silently leave a behaviour untested.
 */
export function runCases<S extends { close(): Promise<void> }>(
  defaultName: string,
  opts: StoreSuiteOptions<S>,
  cases: readonly SuiteCase<S>[],
): void {
  const skip = opts.skip ?? {};
  const keys = new Set(cases.map((c) => c.key));
  for (const k of Object.keys(skip)) {
    if (!keys.has(k)) {
      throw new Error(`${defaultName}: skip names no case "${k}" (cases: ${[...keys].join(', ')})`);
    }
  }
  const dispose = (store: S): void | Promise<void> =>
    opts.dispose === undefined ? store.close() : opts.dispose(store);
  describe(opts.name ?? defaultName, () => {
    for (const c of cases) {
      const title = `${c.key}: ${c.title}`;
      const reason = skip[c.key];
      if (reason !== undefined) {
        it(title, { skip: reason }, () => {});
        continue;
      }
      it(title, async (t) => {
        const store = await opts.create();
        try {
          await c.run(store, t);
        } finally {
          if (c.closes !== true) await dispose(store);
        }
      });
    }
  });
}

/**
 * A deterministic stream of unsigned 32-bit numbers (xorshift32): the suites' random data is
 * the same on every run, so a failure reproduces.
 */
export function seededRandom(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}
