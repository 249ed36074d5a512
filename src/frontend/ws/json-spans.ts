/**
 * Where each offer's `offer` value sits in an announce's JSON text, so a forwarded offer can
 * carry that text as it came instead of a JSON.stringify of the parsed object: re-serialising
 * a few KB of SDP per announce was a tenth of the tracker's time with offers, and the browser
 * parses the same value either way. Hand-written because it is on that hot path; it runs only
 * on text JSON.parse has accepted, so it may assume valid JSON and only has to find structure.
 * Duplicate keys resolve as JSON.parse resolves them: the last one wins.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** `s[i]` is the opening quote of a string: the index after its closing quote. */
function skipString(s: string, i: number): number {
  for (let q = s.indexOf('"', i + 1); q >= 0; q = s.indexOf('"', q + 1)) {
    let bs = 0;
    while (s.charCodeAt(q - 1 - bs) === BACKSLASH) bs++;
    if ((bs & 1) === 0) return q + 1;
  }
  return s.length;
}

/** `s[i]` starts a value: the index just after it. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === QUOTE) {
        i = skipString(s, i);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return s.length;
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < s.length) {
    const d = s.charCodeAt(i);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    i++;
  }
  return i;
}

/** The key string starting at `s[i]` (a quote) equals `name` (plain ASCII, no escapes). */
function keyIs(s: string, i: number, end: number, name: string): boolean {
  return end - i === name.length + 2 && s.startsWith(name, i + 1);
}

/** A key written with escapes could mean any name: the scan gives up rather than guess. */
function escapedKey(s: string, i: number, end: number): boolean {
  const b = s.indexOf('\\', i);
  return b >= 0 && b < end;
}

/**
 * Calls `each(start, end)` for every member of the object starting at `s[i]` (a `{`), with
 * the key's span and the value's span; returns the index after the object.
 */
function members(
  s: string,
  i: number,
  each: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void,
): number {
  i = skipSpace(s, i + 1);
  while (i < s.length && s.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(s, i);
    let v = skipSpace(s, keyEnd);
    if (s.charCodeAt(v) !== COLON) return s.length;
    v = skipSpace(s, v + 1);
    const valueEnd = skipValue(s, v);
    each(i, keyEnd, v, valueEnd);
    i = skipSpace(s, valueEnd);
    if (s.charCodeAt(i) === COMMA) i = skipSpace(s, i + 1);
  }
  return skipSpace(s, i) + 1;
}

/**
 * Fills `out` with [start, end) pairs of the `offer` values of the first `count` elements of the
 * top-level `offers` array of `text` (an object JSON.parse accepted). False when they cannot all
 * be found (the caller then serialises the parsed objects).
 */
export function offerValueSpans(text: string, count: number, out: number[]): boolean {
  out.length = 0;
  const start = skipSpace(text, 0);
  if (text.charCodeAt(start) !== OPEN_BRACE) return false;
  let arrayStart = -1;
  let unsure = false;
  members(text, start, (ks, ke, vs) => {
    if (keyIs(text, ks, ke, 'offers')) arrayStart = vs;
    else if (escapedKey(text, ks, ke)) unsure = true;
  });
  if (unsure || arrayStart < 0 || text.charCodeAt(arrayStart) !== OPEN_BRACKET) return false;
  let i = skipSpace(text, arrayStart + 1);
  for (let n = 0; n < count; n++) {
    if (text.charCodeAt(i) !== OPEN_BRACE) return false;
    let vs = -1;
    let ve = -1;
    i = members(text, i, (ks, ke, s0, s1) => {
      if (keyIs(text, ks, ke, 'offer')) {
        vs = s0;
        ve = s1;
      } else if (escapedKey(text, ks, ke)) {
        unsure = true;
      }
    });
    // The parsed offer is an object (checked by the caller): so must this text be.
    if (unsure || vs < 0 || text.charCodeAt(vs) !== OPEN_BRACE) return false;
    out.push(vs, ve);
    i = skipSpace(text, i);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  return true;
}
