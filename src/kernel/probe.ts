// Proof by traffic: a TCP echo server in one namespace, a client in another,
// a token sent and read back. Used by the demo and by tests.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Netns } from './netns.js';

export interface ProbeResult {
  /** Bytes that crossed in each direction. */
  bytes: number;
  /** Connect + round trip, milliseconds. */
  ms: number;
  /** The peer address the server saw (shows masquerade/NAT). */
  seenFrom: string;
}

export interface ProbeOptions {
  /** Address the client connects to (and the server listens on, unless `listenAddress` says otherwise). */
  address: string;
  port: number;
  listenAddress?: string;
  /** Connect to this port instead (a published port that is DNATed to `port`). */
  connectPort?: number;
}

/** Runs a TCP echo exchange from `from` to a server in `to`; rejects when the bytes do not cross. */
export async function tcpProbe(from: Netns, to: Netns, opts: ProbeOptions): Promise<ProbeResult> {
  let seenFrom = '';
  const server = await to.listenTcp({ address: opts.listenAddress ?? opts.address, port: opts.port }, (s) => {
    seenFrom = s.remoteAddress ?? '';
    s.pipe(s);
  });
  try {
    const token = randomBytes(32);
    const t0 = performance.now();
    const client = await from.connectTcp({ host: opts.address, port: opts.connectPort ?? opts.port });
    const echoed = await roundTrip(client, token);
    const ms = performance.now() - t0;
    if (!echoed.equals(token)) throw new Error('echo differs from what was sent');
    return { bytes: token.length, ms, seenFrom };
  } finally {
    server.close();
  }
}

function roundTrip(client: Socket, token: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= token.length) {
        client.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    client.once('error', reject);
    client.once('close', () => {
      if (got < token.length) reject(new Error(`connection closed after ${got} of ${token.length} bytes`));
    });
    client.write(token);
  });
}
