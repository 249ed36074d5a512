/**
 * Request counters for the hot path: plain typed arrays indexed by (protocol, action, family,
 * result, duration bucket), read by prom-client collectors only when /metrics is scraped.
 *
 * Why not a prom-client Histogram per request: `observe(labels, v)` hashes a label object and
 * walks a map on every call, several hundred nanoseconds against a ~10 µs request budget.
 * Here every request costs one counter increment; durations are sampled, one request in
 * `timingSample` being timed, because a clock read costs ~110 ns on the 2-core benchmark
 * machine (two per request would be ~2% of an announce). bench/micro.js `metrics` measures it.
 */

/** Protocols, by index. WebSocket gets its slot so its frontend can count the same way. */
export const PROTOCOLS = ['http', 'udp', 'ws'] as const;
export const PROTO_HTTP = 0;
export const PROTO_UDP = 1;
export const PROTO_WS = 2;

/** Actions, by index. `connect` is UDP's (BEP 15). */
export const ACTIONS = ['announce', 'scrape', 'connect'] as const;
export const ACT_ANNOUNCE = 0;
export const ACT_SCRAPE = 1;
export const ACT_CONNECT = 2;

/** Address families, by index (4 then 6). */
export const FAMILIES = ['ipv4', 'ipv6'] as const;

/**
 * Results, by index; the only values the `result` label ever takes:
 * - ok: answered normally;
 * - client_error: the request was malformed (bad query, bad packet, expired connection ID);
 * - rejected: well-formed but refused (a hook's ClientError: deny list, ban, unknown passkey);
 * - server_error: the tracker failed (store down, bug); the client got the generic failure.
 */
export const RESULTS = ['ok', 'client_error', 'rejected', 'server_error'] as const;
export const RES_OK = 0;
export const RES_CLIENT_ERROR = 1;
export const RES_REJECTED = 2;
export const RES_SERVER_ERROR = 3;

/** Upper bounds of the duration buckets, in seconds (the last bucket, +Inf, is implicit). */
export const DURATION_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
  0.25, 0.5, 1, 2.5,
] as const;
/** The same bounds in milliseconds, the unit `performance.now()` gives. */
const BOUNDS_MS = new Float64Array(DURATION_BUCKETS.map((s) => s * 1000));
const NB = DURATION_BUCKETS.length + 1;

const NP = PROTOCOLS.length;
const NA = ACTIONS.length;
const NF = FAMILIES.length;
const NR = RESULTS.length;
/** Number of (protocol, action, family, result) series. */
export const SERIES = NP * NA * NF * NR;

/** The series index of a combination (family is 4 or 6). */
export function seriesIndex(proto: number, action: number, family: 4 | 6, result: number): number {
  return ((proto * NA + action) * NF + (family === 4 ? 0 : 1)) * NR + result;
}

/** The labels of series `i`. */
export function seriesLabels(i: number): {
  protocol: string;
  action: string;
  family: string;
  result: string;
} {
  const result = i % NR;
  const family = Math.floor(i / NR) % NF;
  const action = Math.floor(i / (NR * NF)) % NA;
  const proto = Math.floor(i / (NR * NF * NA));
  return {
    protocol: PROTOCOLS[proto]!,
    action: ACTIONS[action]!,
    family: FAMILIES[family]!,
    result: RESULTS[result]!,
  };
}

/**
 * Counts and duration histograms of every request a frontend answers, plus failures by
 * stable error code. One instance per tracker, shared by its frontends.
 */
export class RequestMetrics {
  /** Requests per series, every one counted. Float64: exact to 2^53. */
  readonly counts = new Float64Array(SERIES);
  /** Timed (sampled) requests per series and bucket, not cumulative: `buckets[series * NB + b]`. */
  readonly buckets = new Float64Array(SERIES * NB);
  /** Per series: the sum of the sampled durations, in seconds. */
  readonly sums = new Float64Array(SERIES);
  /** One request in this many is timed (a power of two). */
  readonly timingSample: number;
  private readonly sampleMask: number;
  private seq = 0;

  /** `timingSample`: time one request in this many (a power of two; 1 times them all). */
  constructor(timingSample = 64) {
    if (!(timingSample >= 1 && (timingSample & (timingSample - 1)) === 0)) {
      throw new RangeError('timingSample must be a power of two (1, 2, 4, ...)');
    }
    this.timingSample = timingSample;
    this.sampleMask = timingSample - 1;
  }
  /** Failures logged through ErrorLog, by stable code (SHOAL_E_*): a small, bounded set. */
  readonly errors = new Map<string, number>();

  /** Number of buckets per series, +Inf included. */
  static readonly BUCKETS = NB;

  /**
   * Called when a request starts: a `performance.now()` timestamp when this request is one of
   * the timed sample, else 0 (no clock read). Pass it to `record`.
   */
  start(): number {
    return (++this.seq & this.sampleMask) === 0 ? performance.now() : 0;
  }

  /** Counts one request; times it too when `startMs` (from `start()`) is not 0. */
  record(proto: number, action: number, family: 4 | 6, result: number, startMs: number): void {
    const s = ((proto * NA + action) * NF + (family === 4 ? 0 : 1)) * NR + result;
    this.counts[s]!++;
    if (startMs === 0) return;
    const ms = performance.now() - startMs;
    let b = 0;
    while (b < NB - 1 && ms > BOUNDS_MS[b]!) b++;
    this.buckets[s * NB + b]!++;
    this.sums[s]! += ms / 1000;
  }

  /** Counts one logged failure by its code. */
  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** Requests of series `s` so far. */
  count(s: number): number {
    return this.counts[s]!;
  }

  /** Requests so far of one protocol and action, both families and every result. */
  total(proto: number, action: number): number {
    let n = 0;
    for (const f of [4, 6] as const) {
      for (let r = 0; r < NR; r++) n += this.count(seriesIndex(proto, action, f, r));
    }
    return n;
  }

  /** Requests so far of one family, every protocol, action and result. */
  familyTotal(family: 4 | 6): number {
    let n = 0;
    for (let p = 0; p < NP; p++) {
      for (let a = 0; a < NA; a++) {
        for (let r = 0; r < NR; r++) n += this.count(seriesIndex(p, a, family, r));
      }
    }
    return n;
  }
}
