import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ShoalError } from '../bittorrent/errors.js';
import { ErrorLog } from './error-log.js';
import type { Logger } from './logger.js';

function capture(): { lines: Record<string, unknown>[]; log: Logger } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: pino({ level: 'info' }, sink) };
}

describe('ErrorLog', () => {
  it('logs one line per code per interval and counts the rest', async () => {
    const { lines, log } = capture();
    const errors = new ErrorLog(log, 50);
    const down = new ShoalError('SHOAL_E_STORE_UNAVAILABLE', 'redis down');
    for (let i = 0; i < 1000; i++) errors.report(down, 'announce failed');
    errors.report(new Error('other'), 'announce failed');
    await new Promise((r) => setTimeout(r, 60));
    errors.report(down, 'announce failed');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      lines.map((l) => [l['code'], l['suppressed']]),
      [
        ['SHOAL_E_STORE_UNAVAILABLE', undefined],
        ['SHOAL_E_INTERNAL', undefined],
        ['SHOAL_E_STORE_UNAVAILABLE', 999],
      ],
    );
  });
});
