import { describe, it } from 'node:test';
import type { PeerStore } from '../peer-store.js';
import { announceCases } from './peer-cases-announce.js';
import { concurrencyCases } from './peer-cases-concurrency.js';
import { expiryCases } from './peer-cases-expiry.js';
import { selectionCases } from './peer-cases-selection.js';
import { writeCases } from './peer-cases-writes.js';
import type { PeerStoreCase } from './peer-fixtures.js';
import {
  PeerStoreHarness,
  SUITE_MAX_NUM_WANT,
  SUITE_PEER_LIFETIME,
  SUITE_START_TIME,
} from './peer-fixtures.js';

/** How a driver's test file runs the PeerStore conformance suite. */
export interface PeerStoreSuiteOptions {
  /** Suite title (default 'PeerStore conformance'). */
  name?: string;
  /**
   * A store in a clean state, e.g. its own keyspace or file. Called once per test, with the
   * test's fake clock (`now`, seconds) and the lifetime and numWant limit the store must honour.
   * A driver with background expiry should turn it off here: tests call `sweep()` themselves.
   */
  create(ctx: {
    peerLifetime: number;
    maxNumWant: number;
    now: () => number;
  }): PeerStore | Promise<PeerStore>;
  /**
   * Disposes of a store after its test (default: `store.close()`, unless the test closed it).
   * It is also called after the test of `close()` itself, with the store already closed.
   */
  dispose?(store: PeerStore): void | Promise<void>;
  /** Test names (from PEER_STORE_TESTS) to skip, each with the reason shown in the output. */
  skip?: Readonly<Record<string, string>>;
}

const CASES: readonly PeerStoreCase[] = [
  ...announceCases,
  ...writeCases,
  ...expiryCases,
  ...selectionCases,
  ...concurrencyCases,
];

/** The name of every test in the suite, in running order: the valid keys of `skip`. */
export const PEER_STORE_TESTS: readonly string[] = Object.freeze(CASES.map((c) => c.name));

if (new Set(PEER_STORE_TESTS).size !== PEER_STORE_TESTS.length) {
  throw new Error('peerStoreSuite: two tests share a name, so skip keys would be ambiguous');
}

/**
 * Registers the PeerStore conformance tests (node:test) for one driver: every behaviour
 * documented on the PeerStore interface, expiry driven by a fake clock, concurrent announces,
 * and the randomness of peer selection. Each test gets its own store from `create`.
 *
 * ```ts
 * peerStoreSuite({
 *   name: 'MyPeerStore',
 *   create: (ctx) => new MyPeerStore({ ...ctx, client }),
 *   skip: { 'concurrency: ...': 'why this driver cannot do it' },
 * });
 * ```
 * A `skip` key that names no test throws, so a typo (or a renamed test) is not silently run.
 */
export function peerStoreSuite(opts: PeerStoreSuiteOptions): void {
  const skip = opts.skip ?? {};
  const known = new Set(PEER_STORE_TESTS);
  for (const name of Object.keys(skip)) {
    if (!known.has(name)) {
      throw new Error(`peerStoreSuite: skip names no test: "${name}" (see PEER_STORE_TESTS)`);
    }
  }
  describe(opts.name ?? 'PeerStore conformance', () => {
    for (const c of CASES) {
      const reason = Object.hasOwn(skip, c.name) ? skip[c.name] : undefined;
      const options = reason === undefined ? {} : { skip: reason || 'skipped by the driver' };
      it(c.name, options, () => runCase(opts, c));
    }
  });
}

/** Creates the store on a fresh fake clock, runs one case, and disposes of the store. */
async function runCase(opts: PeerStoreSuiteOptions, c: PeerStoreCase): Promise<void> {
  // The store reads this clock; the test moves it through the harness.
  const clock = { t: SUITE_START_TIME };
  const store = await opts.create({
    peerLifetime: SUITE_PEER_LIFETIME,
    maxNumWant: SUITE_MAX_NUM_WANT,
    now: () => clock.t,
  });
  const h = new PeerStoreHarness(store, clock);
  try {
    await c.run(h);
  } finally {
    if (opts.dispose !== undefined) await opts.dispose(store);
    else if (!h.closed) await store.close();
  }
}
