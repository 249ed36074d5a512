import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EVENT_COMPLETED, EVENT_NONE, EVENT_STOPPED } from '../../bittorrent/event.js';
import { isBinary20, parseWsMessage, WsBadMessage } from './ws-message.js';
import type { WsAnnounceMessage } from './ws-message.js';

const H = '\u0000\u00ff'.repeat(10);
const P = 'p'.repeat(20);
const parse = (m: unknown, maxOffers = 10): ReturnType<typeof parseWsMessage> =>
  parseWsMessage(typeof m === 'string' ? m : JSON.stringify(m), maxOffers, 74);

test('isBinary20: 20 code points of 0-255 only', () => {
  assert.ok(isBinary20(H));
  assert.ok(!isBinary20('a'.repeat(19)));
  assert.ok(!isBinary20('a'.repeat(19) + '\u0100'));
  assert.ok(!isBinary20(20));
});

test('announce: fields, events, left, offers cut to numwant and the cap', () => {
  const offers = [1, 2, 3, 4].map((i) => ({
    offer: { sdp: String(i) },
    offer_id: String(i).repeat(20),
  }));
  const m = parse(
    {
      action: 'announce',
      info_hash: H,
      peer_id: P,
      event: 'completed',
      left: '0',
      numwant: 3,
      offers,
    },
    2,
  );
  assert.ok(!(m instanceof WsBadMessage));
  const a = m as WsAnnounceMessage;
  assert.equal(a.infoHash, H);
  assert.equal(a.event, EVENT_COMPLETED);
  assert.equal(a.left, 0);
  assert.deepEqual(
    a.offers.map((o) => o.offerId),
    ['1'.repeat(20), '2'.repeat(20)],
  );
  const b = parse({
    action: 'announce',
    info_hash: H,
    peer_id: P,
    event: 'update',
    numwant: 1,
    offers,
  }) as WsAnnounceMessage;
  assert.equal(b.event, EVENT_NONE);
  assert.equal(b.left, undefined);
  assert.equal(b.offers.length, 1);
  const c = parse({
    action: 'announce',
    info_hash: H,
    peer_id: P,
    event: 'stopped',
  }) as WsAnnounceMessage;
  assert.equal(c.event, EVENT_STOPPED);
});

test('answer: needs to_peer_id and offer_id; offers are then ignored', () => {
  const ok = parse({
    action: 'announce',
    info_hash: H,
    peer_id: P,
    answer: { sdp: 'x' },
    to_peer_id: P,
    offer_id: H,
  }) as WsAnnounceMessage;
  assert.deepEqual(ok.answer, { sdp: 'x' });
  assert.equal(ok.toPeerId, P);
  const bad = parse({
    action: 'announce',
    info_hash: H,
    peer_id: P,
    answer: { sdp: 'x' },
    offer_id: H,
  });
  assert.ok(bad instanceof WsBadMessage && bad.infoHash === H && /to_peer_id/.test(bad.reason));
});

test('scrape: one, many, none, too many', () => {
  assert.deepEqual(parse({ action: 'scrape', info_hash: H }), {
    action: 'scrape',
    infoHashes: [H],
  });
  assert.deepEqual(parse({ action: 'scrape', info_hash: [H, H] }), {
    action: 'scrape',
    infoHashes: [H, H],
  });
  assert.deepEqual(parse({ action: 'scrape' }), { action: 'scrape', infoHashes: [] });
  assert.ok(parse({ action: 'scrape', info_hash: new Array(75).fill(H) }) instanceof WsBadMessage);
});

test('never throws on arbitrary input, and bad reasons never echo the input', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.jsonValue().map((v) =>
          JSON.stringify({
            action: 'announce',
            info_hash: H,
            peer_id: P,
            offers: v,
            answer: v,
            left: v,
          }),
        ),
      ),
      (s) => {
        const r = parseWsMessage(s, 5, 10);
        if (r instanceof WsBadMessage) assert.ok(r.reason.length < 60);
      },
    ),
    { numRuns: 500 },
  );
});
