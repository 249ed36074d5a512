import { setTimeout as sleep } from 'node:timers/promises';

export interface SwarmCounts {
  complete: number;
  incomplete: number;
}

/** `%XX` for every byte: always a valid query value for a raw 20-byte info hash. */
function percentEncodeHex(hex: string): string {
  return hex.replace(/../g, (b) => `%${b.toUpperCase()}`);
}

/**
 * One HTTP scrape (BEP 48) of one info hash against `base` (e.g. `http://127.0.0.1:1234`).
 * The reply is read with a regex instead of a full bencode decoder: for a single hash the
 * `complete`/`incomplete` integers are unambiguous.
 */
export async function httpScrape(base: string, infoHashHex: string): Promise<SwarmCounts> {
  const res = await fetch(`${base}/scrape?info_hash=${percentEncodeHex(infoHashHex)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = Buffer.from(await res.arrayBuffer()).toString('latin1');
  if (res.status !== 200) throw new Error(`scrape: HTTP ${res.status}: ${body.slice(0, 200)}`);
  const complete = /8:completei(\d+)e/.exec(body);
  const incomplete = /10:incompletei(\d+)e/.exec(body);
  if (complete === null || incomplete === null) {
    // Unknown swarm: trackers answer with an empty `files` dictionary.
    if (body.includes('5:filesde')) return { complete: 0, incomplete: 0 };
    throw new Error(`scrape: unexpected reply ${JSON.stringify(body.slice(0, 200))}`);
  }
  return { complete: Number(complete[1]), incomplete: Number(incomplete[1]) };
}

/**
 * Polls the tracker's scrape until `ok(counts)`; returns the last counts. Throws after
 * `timeoutMs`, or when `abort()` gives a reason.
 */
export async function waitForSwarm(
  base: string,
  infoHashHex: string,
  ok: (c: SwarmCounts) => boolean,
  timeoutMs: number,
  what: string,
  abort: () => string | null = () => null,
): Promise<SwarmCounts> {
  const started = Date.now();
  let last: SwarmCounts | string = 'no reply yet';
  for (;;) {
    try {
      last = await httpScrape(base, infoHashHex);
      if (ok(last)) return last;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    const reason = abort();
    if (reason !== null) throw new Error(`while waiting for ${what}: ${reason}`);
    if (Date.now() - started > timeoutMs) {
      throw new Error(`no ${what} within ${timeoutMs} ms (last scrape: ${JSON.stringify(last)})`);
    }
    await sleep(250);
  }
}
