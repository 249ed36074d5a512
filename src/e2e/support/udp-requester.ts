import dgram from 'node:dgram';

/**
 * One UDP socket on 127.0.0.1 for a load test's sequential requests to a tracker: a reply is
 * matched to its request by transaction id (bytes 4..7), so a late reply to a request that
 * already timed out is dropped instead of being taken for the next request's answer.
 */
export class UdpRequester {
  private waiting: { txid: number; resolve: (r: Buffer | null) => void } | null = null;

  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (msg) => {
      const w = this.waiting;
      if (w === null || msg.length < 8 || msg.readUInt32BE(4) !== w.txid) return;
      this.waiting = null;
      w.resolve(msg);
    });
  }

  static async open(): Promise<UdpRequester> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: '127.0.0.1', port: 0 }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return new UdpRequester(sock);
  }

  /** Sends `packet` (transaction id `txid`) to `port`; the reply, or null after `timeoutMs`. */
  request(port: number, packet: Buffer, txid: number, timeoutMs: number): Promise<Buffer | null> {
    if (this.waiting !== null) throw new Error('UdpRequester: one request at a time');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve(null);
      }, timeoutMs);
      this.waiting = {
        txid,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.sock.send(packet, port, '127.0.0.1', (err) => {
        if (err !== null && this.waiting?.txid === txid) {
          clearTimeout(timer);
          this.waiting = null;
          resolve(null);
        }
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.sock.close(() => resolve()));
  }
}
