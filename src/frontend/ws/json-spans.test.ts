import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { offerValueSpans } from './json-spans.js';

/** The offers' values as the scan finds them, parsed back; null when the scan gave up. */
function scanned(text: string, count: number): unknown[] | null {
  const spans: number[] = [];
  if (!offerValueSpans(text, count, spans)) return null;
  const out: unknown[] = [];
  for (let i = 0; i < spans.length; i += 2)
    out.push(JSON.parse(text.slice(spans[i], spans[i + 1])));
  return out;
}

function parsedOffers(text: string, count: number): unknown[] {
  const m = JSON.parse(text) as { offers: { offer: unknown }[] };
  return m.offers.slice(0, count).map((o) => o.offer);
}

// Any JSON value, with strings that exercise escapes: quotes, backslashes, controls, non-ASCII.
const str = fc.string({
  unit: fc.constantFrom('a', '"', '\\', '\n', '\u0000', 'é', '✓', '{', ']', ',', ':', ' '),
});
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    str,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(str, tie('v'), { maxKeys: 3 }),
  ),
})).v;
const offerObject = fc.dictionary(str, value, { maxKeys: 4 });

test('offer spans parse to exactly what JSON.parse gives, whatever the spacing and content', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ offer: offerObject, offer_id: str, extra: value }), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.dictionary(str, value, { maxKeys: 3 }),
      fc.constantFrom(undefined, 0, 1, 2, '\t', ' \r\n '),
      (offers, other, indent) => {
        // Other members before and after `offers`, to be skipped.
        const msg = {
          ...other,
          action: 'announce',
          offers,
          info_hash: 'x'.repeat(20),
          tail: other,
        };
        const text = JSON.stringify(msg, null, indent);
        // Keys written with escapes make the scan give up (see the next tests); any other
        // message must be scanned, to exactly the values JSON.parse gives.
        const keys = [...Object.keys(msg), ...offers.flatMap((o) => Object.keys(o))];
        const escaped = keys.some((k) => JSON.stringify(k).includes('\\'));
        for (const count of [offers.length, 1]) {
          const got = scanned(text, count);
          if (got === null) assert.ok(escaped, `gave up on ${text}`);
          else assert.deepEqual(got, parsedOffers(text, count));
          if (!escaped) assert.notEqual(got, null);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('duplicate keys resolve like JSON.parse: the last one wins', () => {
  const text =
    '{"offers":[{"offer":{"a":1}}],"x":1,"offers":[{"offer":{"b":1},"offer_id":"i","offer":{"c":2}},{"offer":{"d":3}}]}';
  assert.deepEqual(scanned(text, 2), parsedOffers(text, 2));
  assert.deepEqual(scanned(text, 2), [{ c: 2 }, { d: 3 }]);
});

test('the scan gives up where it cannot be sure, and the caller serialises instead', () => {
  // A key written with an escape may name `offer` or `offers`.
  assert.equal(scanned('{"offers":[{"offer":{"a":1},"off\\u0065r":{"b":2}}]}', 1), null);
  assert.equal(scanned('{"offers":[{"offer":{"a":1}}],"\\u006ffers":[]}', 1), null);
  // No offers array, an offer that is not an object, fewer elements than asked for.
  assert.equal(scanned('{"action":"announce"}', 1), null);
  assert.equal(scanned('{"offers":[{"offer":"text"}]}', 1), null);
  assert.equal(scanned('{"offers":[{"offer":{}}]}', 2), null);
  assert.equal(scanned('[1,2]', 1), null);
});
