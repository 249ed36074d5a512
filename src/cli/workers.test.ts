import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../config/config.js';
import { checkWorkers } from './workers.js';

describe('checkWorkers', () => {
  it('refuses several processes in private mode, whatever the PeerStore', async () => {
    const config = parseConfig({
      private: { enabled: true },
      storage: { peers: { driver: 'redis' } },
      listen: { http: ['127.0.0.1:6969'], udp: ['127.0.0.1:6969'] },
      websocket: { listen: [] },
    });
    await assert.rejects(
      checkWorkers(config, 2),
      (err: Error) =>
        err instanceof ConfigError && /cannot serve private mode.*workers: 1/.test(err.message),
    );
    await checkWorkers(config, 1);
  });
});
