/**
 * NativeTcpServer.detach (used for WebSocket upgrades on the native HTTP path): the connection's
 * file descriptor moves to a net.Socket that keeps talking to the same client, and the native
 * side reports the connection closed exactly once without closing the client's socket.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { nativeTcpAvailable, openNativeTcp } from './native-tcp.js';

test(
  'detach hands a live connection to node:net',
  { skip: nativeTcpAvailable() ? false : 'native TCP addon not built (npm run build:native)' },
  async () => {
    let closes = 0;
    let taken: net.Socket | null = null;
    const srv = (await openNativeTcp({
      host: '127.0.0.1',
      port: 0,
      family: 4,
      backlog: 16,
      maxConnections: 4,
      handlers: {
        onOpen: (id) => ({ id }),
        onData: (state, data) => {
          const { id } = state as { id: number };
          assert.equal(data.toString(), 'hello');
          const fd = srv.detach(id);
          assert.ok(fd >= 0, 'detach gives a file descriptor');
          assert.equal(srv.detach(id), -1, 'a detached connection is gone');
          taken = new net.Socket({ fd, readable: true, writable: true });
          taken.on('data', (d: Buffer) => taken!.write(`echo:${d.toString()}`));
          taken.write('taken');
        },
        onClose: () => {
          closes++;
        },
      },
    }))!;
    const client = net.connect(srv.address().port, '127.0.0.1');
    try {
      await once(client, 'connect');
      client.write('hello');
      const [first] = (await once(client, 'data')) as [Buffer];
      assert.equal(first.toString(), 'taken');
      client.write('more');
      const [second] = (await once(client, 'data')) as [Buffer];
      assert.equal(second.toString(), 'echo:more');
      assert.equal(closes, 1);
      assert.equal(srv.connections, 0);
      const ended = once(client, 'close');
      taken!.destroy();
      await ended; // the client sees the close only when node:net closes the descriptor
    } finally {
      client.destroy();
      await srv.closeListener();
    }
  },
);
