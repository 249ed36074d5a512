import type { DriverContext } from '../driver.js';
import type { StringStore } from '../string-store.js';
import { infoHashKeys } from './bench-data.js';
import { isPromise, runBenchCases, SetupBatch } from './bench-runner.js';
import type { BenchCase, BenchInfo, BenchOptions, BenchResult } from './bench-runner.js';

/** Options of `stringStoreBench`. */
export type StringStoreBenchOptions = BenchOptions<StringStore, DriverContext>;

/** Length of every cycle: "1k". */
const N = 1000;

// Values like those of an info hash list: 20-byte latin1 strings. MISS is never put.
const VALUES = infoHashKeys(N + 1, 2);
const MISS = VALUES.pop()!;
const VALUE = VALUES[0]!;

/** Puts the 1000 values. */
async function fill(s: StringStore): Promise<void> {
  const batch = new SetupBatch();
  for (const v of VALUES) {
    const full = batch.add(s.put(v));
    if (full !== undefined) await full;
  }
  await batch.flush();
}

function removePut(s: StringStore, v: string): unknown {
  const r = s.remove(v);
  if (isPromise(r)) return r.then(() => s.put(v));
  return s.put(v);
}

const CASES: readonly BenchCase<StringStore>[] = [
  {
    name: 'Put',
    doc: 'put one value into an empty store (then again)',
    op: (s) => s.put(VALUE),
  },
  {
    name: 'Put1k',
    doc: 'put 1000 values in turn into an empty store (then again)',
    op: (s, i) => s.put(VALUES[i % N]!),
  },
  {
    name: 'Has',
    doc: 'has of one present value, 1000 values stored',
    setup: fill,
    op: (s) => s.has(VALUE),
  },
  {
    name: 'Has1k',
    doc: 'has of the 1000 stored values in turn',
    setup: fill,
    op: (s, i) => s.has(VALUES[i % N]!),
  },
  {
    name: 'HasMiss',
    doc: 'has of an absent value, 1000 values stored',
    setup: fill,
    op: (s) => s.has(MISS),
  },
  {
    name: 'RemovePut',
    doc: 'remove one stored value, then put it back; 1000 values stored',
    setup: fill,
    op: (s) => removePut(s, VALUE),
  },
  {
    name: 'RemovePut1k',
    doc: 'remove and put back the 1000 stored values in turn',
    setup: fill,
    op: (s, i) => removePut(s, VALUES[i % N]!),
  },
];

/** The StringStore benchmarks, in the order they run; each starts from an empty store. */
export const stringStoreBenchmarks: readonly BenchInfo[] = CASES.map(({ name, doc }) => ({
  name,
  doc,
}));

/**
 * Runs the StringStore benchmarks against stores from `opts.create`, one fresh store each. The
 * values are 20-byte latin1 strings (as in an info hash list), made before timing starts.
 */
export function stringStoreBench(opts: StringStoreBenchOptions): Promise<BenchResult[]> {
  return runBenchCases(CASES, opts, (_name, base) => base);
}
