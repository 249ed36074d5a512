import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminToken } from './admin-token.js';
import { AdminRouter } from './admin-router.js';

describe('AdminToken', () => {
  const t = new AdminToken('0123456789abcdef-token');
  it('accepts exactly `Bearer <token>`', () => {
    assert.equal(t.check('Bearer 0123456789abcdef-token'), true);
    assert.equal(t.check('bearer 0123456789abcdef-token'), true);
    for (const h of [
      undefined,
      '',
      '0123456789abcdef-token',
      'Bearer',
      'Bearer 0123456789abcdef-toke',
      'Bearer 0123456789abcdef-tokenx',
      'Basic 0123456789abcdef-token',
      'Bearer 0123456789abcdef-token extra',
    ]) {
      assert.equal(t.check(h), false, String(h));
    }
  });
});

describe('AdminRouter', () => {
  const r = new AdminRouter();
  const handler = (): { status: number; json: unknown } => ({ status: 200, json: {} });
  r.add({
    name: 'a',
    routes: [
      { method: 'GET', path: '/api/x/{id}', auth: true, handler },
      { method: 'DELETE', path: '/api/x/{id}', auth: true, handler },
    ],
    openapi: {},
  });

  it('matches templates and decodes parameters', () => {
    const m = r.match('GET', '/api/x/a%2Fb');
    assert.ok(m !== null && m !== 'method');
    assert.deepEqual(m.params, { id: 'a/b' });
    assert.equal(r.match('POST', '/api/x/1'), 'method');
    assert.equal(r.match('GET', '/api/x'), null);
    assert.equal(r.match('GET', '/api/x/%E0%A4%A'), null, 'bad percent-encoding');
  });

  it('refuses a module that routes an operation already routed', () => {
    assert.throws(
      () =>
        r.add({
          name: 'b',
          routes: [{ method: 'GET', path: '/api/x/{id}', auth: true, handler }],
          openapi: {},
        }),
      /GET \/api\/x\/\{id\} of "b" is already routed/,
    );
  });
});
