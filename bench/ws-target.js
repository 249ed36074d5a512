#!/usr/bin/env node
// A WebSocket tracker for bench/ws-load.js, in its own process so its memory is measured
// alone: `node --expose-gc bench/ws-target.js shoal|shoal-ws-port|bittorrent-tracker`.
// Prints `{"port":N}` once listening; on IPC message 'mem' replies with process.memoryUsage()
// after a full GC.
const which = process.argv[2] ?? 'shoal';
let port;
let close;

if (which === 'bittorrent-tracker' || which === 'bt') {
  const { Server } = await import('bittorrent-tracker');
  const server = new Server({ udp: false, http: false, ws: true, stats: false });
  server.on('warning', () => {});
  server.on('error', () => {});
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.ws.address().port;
  close = () => new Promise((resolve) => server.close(resolve));
} else {
  const { createTracker } = await import('../dist/index.js');
  const dedicated = which === 'shoal-ws-port';
  const tracker = await createTracker({
    listen: { http: ['127.0.0.1:0'], udp: [] },
    log: { level: 'warn' },
    // The load generator announces back to back: no rate limit, room for every connection.
    http: { maxConnections: 200000 },
    websocket: {
      listen: dedicated ? ['127.0.0.1:0'] : [],
      maxConnections: 200000,
      rateLimit: { perSecond: 1e9, burst: 1000000 },
    },
  });
  port = dedicated ? tracker.wsAddresses[0].port : tracker.httpAddresses[0].port;
  close = () => tracker.close();
}

process.on('message', (m) => {
  if (m === 'mem') {
    globalThis.gc?.();
    globalThis.gc?.();
    process.send({ mem: process.memoryUsage() });
  } else if (m === 'close') {
    void close().then(() => process.exit(0));
  }
});
process.send({ port });
